// Codecs: JS values <-> the bytes of a C object with the x86-64/arm64 ABI layout that BPF maps use
// (little-endian host order, natural alignment, trailing padding). Encoding validates the whole
// value before writing anything and writes every byte of `size` (padding as zeros), so equal values
// give equal bytes: hash map keys are compared bytewise (kernel/bpf/hashtab.c: lookup_elem_raw uses
// memcmp), and a stray padding byte would make two "equal" keys different.
import type { Codec, CodecDesc, Infer, StructField } from './codec-types.js';
import type { LockField } from './engine.js';

// ---------------------------------------------------------------------------------------------
// Internal protocol. Composite codecs validate the whole tree first (validate) and then write it
// (write), so a bad field deep inside a struct leaves the caller's buffer untouched. A fault is a
// plain record, not an Error, so a nested struct can prefix the field path before the top level
// throws; nothing is allocated unless the value is bad.

interface Fault {
  range: boolean;
  message: string;
  /** `.a.b[2]` style path from the outermost codec, filled in while unwinding. */
  path: string;
}

const validateKey: unique symbol = Symbol('bpfkit.codec.validate');
const writeKey: unique symbol = Symbol('bpfkit.codec.write');

interface Internal<T> extends Codec<T> {
  [validateKey](value: unknown): Fault | undefined;
  /** Writes a value that `validate` accepted. */
  [writeKey](value: T, view: DataView, offset: number): void;
}

function isInternal<T>(codec: Codec<T>): codec is Internal<T> {
  return typeof (codec as Partial<Internal<T>>)[validateKey] === 'function';
}

function toError(f: Fault): TypeError | RangeError {
  const message = f.path === '' ? f.message : `field ${f.path.startsWith('.') ? f.path.slice(1) : f.path}: ${f.message}`;
  return f.range ? new RangeError(message) : new TypeError(message);
}

/** Short description of a bad value for messages: never dumps a whole object. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'string':
      return value.length <= 20 ? `string ${JSON.stringify(value)}` : 'a string';
    case 'object': {
      const name = (value as object).constructor?.name;
      return name && name !== 'Object' ? `a ${name}` : 'an object';
    }
    default:
      return typeof value;
  }
}

function checkSpan(name: string, size: number, view: DataView, offset: number): void {
  if (!(offset >= 0 && offset + size <= view.byteLength) || !Number.isInteger(offset)) {
    throw new RangeError(`${name}: ${size} bytes at offset ${offset} do not fit a DataView of ${view.byteLength} bytes`);
  }
}

// ---------------------------------------------------------------------------------------------
// Integers. Each codec gets its own `fits` test so the encode fast path is one comparison chain and
// a DataView write: no allocation, no try/catch. The typeof test comes first because bitwise
// operators throw on bigints and symbols and call valueOf() on objects; after it, the bit tricks
// reject NaN, fractions, infinities and out-of-range values in one comparison.

type IntDesc = Extract<CodecDesc, { kind: 'int' }>;

function numberFault(name: string, value: unknown, min: number, max: number): Fault {
  if (typeof value !== 'number') return { range: false, message: `${name} expects a number, got ${describe(value)}`, path: '' };
  if (Number.isNaN(value)) return { range: false, message: `${name} expects an integer, got NaN`, path: '' };
  if (Number.isFinite(value) && !Number.isInteger(value)) return { range: true, message: `${name} not an integer: ${value}`, path: '' };
  return { range: true, message: `${name} out of range: ${value} (${min} to ${max})`, path: '' };
}

function bigintFault(name: string, value: unknown, min: bigint, max: bigint): Fault {
  if (typeof value === 'number') {
    const hint = Number.isSafeInteger(value) ? ` (use a bigint: ${value}n)` : ' (use a bigint)';
    return { range: false, message: `${name} expects a bigint, got number ${value}${hint}`, path: '' };
  }
  if (typeof value !== 'bigint') return { range: false, message: `${name} expects a bigint, got ${describe(value)}`, path: '' };
  return { range: true, message: `${name} out of range: ${value} (${min} to ${max})`, path: '' };
}

function numberCodec(
  name: string,
  desc: IntDesc,
  min: number,
  max: number,
  fits: (value: unknown) => boolean,
  write: (view: DataView, offset: number, value: number) => void,
  read: (view: DataView, offset: number) => number,
): Codec<number> {
  const size = desc.bits / 8;
  const codec: Internal<number> = {
    size,
    align: size,
    desc,
    encode(value: number, view: DataView, offset: number): void {
      if (fits(value)) write(view, offset, value);
      else throw toError(numberFault(name, value, min, max));
    },
    decode: read,
    [validateKey]: (value: unknown) => (fits(value) ? undefined : numberFault(name, value, min, max)),
    [writeKey]: (value: number, view: DataView, offset: number) => write(view, offset, value),
  };
  return Object.freeze(codec);
}

function bigintCodec(
  name: string,
  desc: IntDesc,
  min: bigint,
  max: bigint,
  write: (view: DataView, offset: number, value: bigint) => void,
  read: (view: DataView, offset: number) => bigint,
): Codec<bigint> {
  const codec: Internal<bigint> = {
    size: 8,
    align: 8,
    desc,
    encode(value: bigint, view: DataView, offset: number): void {
      if (typeof value === 'bigint' && value >= min && value <= max) write(view, offset, value);
      else throw toError(bigintFault(name, value, min, max));
    },
    decode: read,
    [validateKey]: (value: unknown) =>
      typeof value === 'bigint' && value >= min && value <= max ? undefined : bigintFault(name, value, min, max),
    [writeKey]: (value: bigint, view: DataView, offset: number) => write(view, offset, value),
  };
  return Object.freeze(codec);
}

const intDesc = (bits: 8 | 16 | 32 | 64, signed: boolean, bigEndian = false): IntDesc =>
  Object.freeze({ kind: 'int', bits, signed, bigEndian });

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

export const u8: Codec<number> = numberCodec('u8', intDesc(8, false), 0, 0xff,
  (v) => typeof v === 'number' && (v & 0xff) === v, (d, o, v) => d.setUint8(o, v), (d, o) => d.getUint8(o));
export const u16: Codec<number> = numberCodec('u16', intDesc(16, false), 0, 0xffff,
  (v) => typeof v === 'number' && (v & 0xffff) === v, (d, o, v) => d.setUint16(o, v, true), (d, o) => d.getUint16(o, true));
export const u32: Codec<number> = numberCodec('u32', intDesc(32, false), 0, 0xffffffff,
  (v) => typeof v === 'number' && v >>> 0 === v, (d, o, v) => d.setUint32(o, v, true), (d, o) => d.getUint32(o, true));
export const u64: Codec<bigint> = bigintCodec('u64', intDesc(64, false), 0n, U64_MAX,
  (d, o, v) => d.setBigUint64(o, v, true), (d, o) => d.getBigUint64(o, true));
export const i8: Codec<number> = numberCodec('i8', intDesc(8, true), -0x80, 0x7f,
  (v) => typeof v === 'number' && ((v << 24) >> 24) === v, (d, o, v) => d.setInt8(o, v), (d, o) => d.getInt8(o));
export const i16: Codec<number> = numberCodec('i16', intDesc(16, true), -0x8000, 0x7fff,
  (v) => typeof v === 'number' && ((v << 16) >> 16) === v, (d, o, v) => d.setInt16(o, v, true), (d, o) => d.getInt16(o, true));
export const i32: Codec<number> = numberCodec('i32', intDesc(32, true), -0x80000000, 0x7fffffff,
  (v) => typeof v === 'number' && (v | 0) === v, (d, o, v) => d.setInt32(o, v, true), (d, o) => d.getInt32(o, true));
export const i64: Codec<bigint> = bigintCodec('i64', intDesc(64, true), I64_MIN, I64_MAX,
  (d, o, v) => d.setBigInt64(o, v, true), (d, o) => d.getBigInt64(o, true));

/** Network byte order (ports, IPv4 addresses as integers, ...). */
export const be16: Codec<number> = numberCodec('be16', intDesc(16, false, true), 0, 0xffff,
  (v) => typeof v === 'number' && (v & 0xffff) === v, (d, o, v) => d.setUint16(o, v, false), (d, o) => d.getUint16(o, false));
export const be32: Codec<number> = numberCodec('be32', intDesc(32, false, true), 0, 0xffffffff,
  (v) => typeof v === 'number' && v >>> 0 === v, (d, o, v) => d.setUint32(o, v, false), (d, o) => d.getUint32(o, false));
export const be64: Codec<bigint> = bigintCodec('be64', intDesc(64, false, true), 0n, U64_MAX,
  (d, o, v) => d.setBigUint64(o, v, false), (d, o) => d.getBigUint64(o, false));

// ---------------------------------------------------------------------------------------------
// bool: one byte, like C's _Bool. Only real booleans are accepted (1/0 as numbers are a likely
// mix-up with u8); any nonzero byte reads as true because BPF programs may store any nonzero value.

function boolFault(value: unknown): Fault {
  return { range: false, message: `bool expects a boolean, got ${describe(value)}`, path: '' };
}

export const bool: Codec<boolean> = Object.freeze<Internal<boolean>>({
  size: 1,
  align: 1,
  desc: Object.freeze({ kind: 'bool' }),
  encode(value: boolean, view: DataView, offset: number): void {
    if (value === true) view.setUint8(offset, 1);
    else if (value === false) view.setUint8(offset, 0);
    else throw toError(boolFault(value));
  },
  decode: (view: DataView, offset: number) => view.getUint8(offset) !== 0,
  [validateKey]: (value: unknown) => (typeof value === 'boolean' ? undefined : boolFault(value)),
  [writeKey]: (value: boolean, view: DataView, offset: number) => view.setUint8(offset, value ? 1 : 0),
});

// ---------------------------------------------------------------------------------------------
// Lock words. struct bpf_spin_lock and struct bpf_res_spin_lock are both { __u32 val; }
// (include/uapi/linux/bpf.h; bpf_res_spin_lock is 4 bytes in the kernel's BTF too). Userspace never
// owns the lock word: bpf_map_update_elem copies around it (include/linux/bpf.h: copy_map_value
// skips the special fields), and lookups give zeros there. So we always write zeros, always read 0,
// and in a struct's input the field may be omitted.

/** A lock codec: its TS value is always 0, and struct inputs may leave it out. */
export interface LockCodec extends Codec<0> {
  readonly desc: { readonly kind: 'lock'; readonly lock: 'spin' | 'res' };
}

function lockCodec(lock: 'spin' | 'res'): LockCodec {
  const name = lock === 'spin' ? 'spinLock' : 'resSpinLock';
  const fault = (value: unknown): Fault | undefined =>
    value === undefined || value === 0
      ? undefined
      : { range: typeof value === 'number', message: `${name} is owned by the kernel: omit it or pass 0, got ${describe(value)}`, path: '' };
  const codec: Internal<0> & LockCodec = {
    size: 4,
    align: 4,
    desc: Object.freeze({ kind: 'lock', lock }),
    encode(value: 0, view: DataView, offset: number): void {
      const f = fault(value);
      if (f !== undefined) throw toError(f);
      view.setUint32(offset, 0, true);
    },
    decode: () => 0,
    [validateKey]: fault,
    [writeKey]: (_value: 0, view: DataView, offset: number) => view.setUint32(offset, 0, true),
  };
  return Object.freeze(codec);
}

/** struct bpf_spin_lock: lets update/lookup with BPF_F_LOCK take the value's lock. */
export const spinLock: LockCodec = lockCodec('spin');
/** struct bpf_res_spin_lock (kernel/bpf/rqspinlock.c): the resilient lock BPF programs take. */
export const resSpinLock: LockCodec = lockCodec('res');

// ---------------------------------------------------------------------------------------------
// bytes(n): a char[n]. Short arrays (keys like IPv6 addresses) are copied byte by byte, which
// beats allocating a Uint8Array view per call; long ones use one set().

const MAX_SIZE = 0x7fffffff;

function checkCount(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`${what} length must be an integer, got ${describe(n)}`);
  if (n < 0 || n > MAX_SIZE) throw new RangeError(`${what} length out of range: ${n}`);
  return n;
}

export function bytes(length: number): Codec<Uint8Array> {
  const n = checkCount('bytes', length);
  const name = `bytes(${n})`;
  const fault = (value: unknown): Fault | undefined => {
    if (!(value instanceof Uint8Array)) return { range: false, message: `${name} expects a Uint8Array, got ${describe(value)}`, path: '' };
    if (value.length !== n) return { range: true, message: `${name} got ${value.length} bytes, expected ${n}`, path: '' };
    return undefined;
  };
  // Callers check the span first (encode here, or the enclosing struct/array's encode).
  const write = (value: Uint8Array, view: DataView, offset: number): void => {
    if (n <= 32) for (let i = 0; i < n; i++) view.setUint8(offset + i, value[i]!);
    else new Uint8Array(view.buffer, view.byteOffset + offset, n).set(value);
  };
  const codec: Internal<Uint8Array> = {
    size: n,
    align: 1,
    desc: Object.freeze({ kind: 'bytes', length: n }),
    encode(value: Uint8Array, view: DataView, offset: number): void {
      const f = fault(value);
      if (f !== undefined) throw toError(f);
      checkSpan(name, n, view, offset);
      write(value, view, offset);
    },
    decode(view: DataView, offset: number): Uint8Array {
      checkSpan(name, n, view, offset);
      // A fresh small Uint8Array lives on the JS heap; ArrayBuffer.slice would cost a backing store.
      const out = new Uint8Array(n);
      if (n <= 32) for (let i = 0; i < n; i++) out[i] = view.getUint8(offset + i);
      else out.set(new Uint8Array(view.buffer, view.byteOffset + offset, n));
      return out;
    },
    [validateKey]: fault,
    [writeKey]: write,
  };
  return Object.freeze(codec);
}

// ---------------------------------------------------------------------------------------------
// Composite codecs accept codecs written elsewhere too (anything with the Codec shape). Those are
// validated by their own encode, during the write pass.

function checkCodec(what: string, codec: unknown): Codec<unknown> {
  const c = codec as Partial<Codec<unknown>> | null | undefined;
  if (
    c === null || typeof c !== 'object' ||
    typeof c.encode !== 'function' || typeof c.decode !== 'function' || typeof c.desc !== 'object' || c.desc === null ||
    !Number.isInteger(c.size) || (c.size as number) < 0 ||
    !Number.isInteger(c.align) || (c.align as number) < 1 || ((c.align as number) & ((c.align as number) - 1)) !== 0
  ) {
    throw new TypeError(`${what} must be a codec (u32, u64, struct({...}), bytes(n), ...), got ${describe(codec)}`);
  }
  return c as Codec<unknown>;
}

type Validate = (value: unknown) => Fault | undefined;
type Write = (value: unknown, view: DataView, offset: number) => void;

const validatedByEncode: Validate = () => undefined;

/** A child's validate and write, resolved once when the parent is built (not per encode). */
function partsOf(codec: Codec<unknown>): { validate: Validate; write: Write } {
  if (isInternal(codec)) return { validate: codec[validateKey], write: codec[writeKey] };
  return { validate: validatedByEncode, write: (value, view, offset) => codec.encode(value, view, offset) };
}

function describeCodec(codec: Codec<unknown>): string {
  const d = codec.desc;
  switch (d.kind) {
    case 'int':
      return `${d.bigEndian ? 'be' : d.signed ? 'i' : 'u'}${d.bits}`;
    case 'bytes':
      return `bytes(${d.length})`;
    case 'array':
      return `array(${describeCodec(d.element)}, ${d.length})`;
    case 'struct':
      return d.name ? `struct ${d.name}` : 'struct';
    case 'lock':
      return d.lock === 'spin' ? 'spinLock' : 'resSpinLock';
    default:
      return d.kind;
  }
}

/** What struct() takes: field name -> codec, in C declaration order. */
type Fields = { readonly [name: string]: Codec<any> };

/** `n` values of one codec, back to back: C's `T name[n]` (no holes: sizeof(T) is a multiple of alignof(T)). */
export function array<C extends Codec<any>>(element: C, length: number): Codec<Infer<C>[]> {
  const el = checkCodec('array element', element);
  const n = checkCount('array', length);
  if (el.size * n > MAX_SIZE) throw new RangeError(`array(${describeCodec(el)}, ${n}) is larger than ${MAX_SIZE} bytes`);
  const name = `array(${describeCodec(el)}, ${n})`;
  const stride = el.size;
  const size = stride * n;
  const { validate: validateElement, write: writeElement } = partsOf(el);
  const validate = (value: unknown): Fault | undefined => {
    if (!Array.isArray(value)) return { range: false, message: `${name} expects an array, got ${describe(value)}`, path: '' };
    if (value.length !== n) return { range: true, message: `${name} got ${value.length} elements, expected ${n}`, path: '' };
    for (let i = 0; i < n; i++) {
      const f = validateElement(value[i]);
      if (f !== undefined) {
        f.path = `[${i}]${f.path}`;
        return f;
      }
    }
    return undefined;
  };
  const write = (value: unknown[], view: DataView, offset: number): void => {
    for (let i = 0; i < n; i++) writeElement(value[i], view, offset + i * stride);
  };
  const codec: Internal<Infer<C>[]> = {
    size,
    align: el.align,
    desc: Object.freeze({ kind: 'array', element: el, length: n }),
    encode(value: Infer<C>[], view: DataView, offset: number): void {
      const f = validate(value);
      if (f !== undefined) throw toError(f);
      checkSpan(name, size, view, offset);
      write(value, view, offset);
    },
    decode(view: DataView, offset: number): Infer<C>[] {
      const out = new Array<Infer<C>>(n);
      for (let i = 0; i < n; i++) out[i] = el.decode(view, offset + i * stride) as Infer<C>;
      return out;
    },
    [validateKey]: validate,
    [writeKey]: write,
  };
  return Object.freeze(codec);
}

// ---------------------------------------------------------------------------------------------
// struct({...}): fields in object key order at their natural alignment; the struct is aligned to
// its most aligned field and its size rounded up to that alignment (the SysV ABI rules gcc and
// clang -target bpf both follow, checked against gcc in test/unit/codec-layout.test.ts).

type LockKeys<F> = { [K in keyof F]: F[K] extends { readonly desc: { readonly kind: 'lock' } } ? K : never }[keyof F];

/** A struct's value: every field, lock fields optional (they always decode as 0). */
export type StructValue<F> = {
  -readonly [K in keyof F as K extends LockKeys<F> ? never : K]: Infer<F[K]>;
} & {
  -readonly [K in keyof F as K extends LockKeys<F> ? K : never]?: 0;
} extends infer V
  ? { [K in keyof V]: V[K] }
  : never;

export interface StructOptions {
  /** The C name (`struct name`), used in generated BTF. */
  name?: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface FieldPlan {
  name: string;
  offset: number;
  codec: Codec<unknown>;
  isLock: boolean;
  validate: Validate;
  write: Write;
}

export function struct<const F extends Fields>(fields: F, options: StructOptions = {}): Codec<StructValue<F>> {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new TypeError(`struct expects an object of field codecs, got ${describe(fields)}`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError(`struct options must be an object, got ${describe(options)}`);
  const structName = options.name;
  if (structName !== undefined && (typeof structName !== 'string' || !identifier.test(structName))) {
    throw new TypeError(`struct name must be a C identifier, got ${describe(structName)}`);
  }
  const plan: FieldPlan[] = [];
  // Holes (between fields and at the end) as [start, end) pairs, zeroed on every encode.
  const holes: number[] = [];
  let offset = 0;
  let align = 1;
  for (const name of Object.keys(fields)) {
    // Integer-like keys would be reordered by JS (they come first, ascending), and BTF needs C names.
    if (!identifier.test(name) || name === '__proto__') throw new TypeError(`struct field name must be a C identifier, got ${JSON.stringify(name)}`);
    const codec = checkCodec(`struct field '${name}'`, fields[name]);
    const at = Math.ceil(offset / codec.align) * codec.align;
    if (at > offset) holes.push(offset, at);
    plan.push({ name, offset: at, codec, isLock: codec.desc.kind === 'lock', ...partsOf(codec) });
    offset = at + codec.size;
    if (codec.align > align) align = codec.align;
    if (offset > MAX_SIZE) throw new RangeError(`struct is larger than ${MAX_SIZE} bytes`);
  }
  const size = Math.ceil(offset / align) * align;
  if (size > offset) holes.push(offset, size);
  const known: Record<string, true> = Object.create(null);
  for (const f of plan) known[f.name] = true;
  const label = structName ? `struct ${structName}` : 'struct';
  const fieldCount = plan.length;

  const validate = (value: unknown): Fault | undefined => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { range: false, message: `${label} expects an object, got ${describe(value)}`, path: '' };
    }
    const record = value as Record<string, unknown>;
    for (let i = 0; i < fieldCount; i++) {
      const field = plan[i]!;
      const v = record[field.name];
      if (v === undefined && !field.isLock) {
        return { range: false, message: `${label} is missing field '${field.name}'`, path: '' };
      }
      const f = field.validate(v);
      if (f !== undefined) {
        f.path = `.${field.name}${f.path}`;
        return f;
      }
    }
    // Unknown fields: for-in (not Object.keys) so a valid value allocates nothing. Values are
    // usually built in declaration order, so comparing with the next expected name (a pointer
    // compare for internalized strings) settles most keys without the dictionary lookup.
    let next = 0;
    for (const key in record) {
      if (next < fieldCount && key === plan[next]!.name) {
        next++;
        continue;
      }
      if (known[key] !== true && Object.hasOwn(record, key)) {
        return { range: false, message: `${label} has no field '${key}' (fields: ${plan.map((p) => p.name).join(', ')})`, path: '' };
      }
    }
    return undefined;
  };
  const write = (value: Record<string, unknown>, view: DataView, at: number): void => {
    for (let i = 0; i < fieldCount; i++) {
      const field = plan[i]!;
      field.write(value[field.name], view, at + field.offset);
    }
    for (let h = 0; h < holes.length; h += 2) {
      for (let b = holes[h]!; b < holes[h + 1]!; b++) view.setUint8(at + b, 0);
    }
  };
  const decode = (view: DataView, at: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fieldCount; i++) {
      const field = plan[i]!;
      out[field.name] = field.codec.decode(view, at + field.offset);
    }
    return out;
  };
  const fast = compileStruct(plan, holes, validate);
  const validateFast = fast?.validate ?? validate;
  const writeFast = fast?.write ?? write;
  const decodeFast = fast?.decode ?? decode;
  const descFields: StructField[] = plan.map((p) => Object.freeze({ name: p.name, offset: p.offset, codec: p.codec }));
  const codec: Internal<StructValue<F>> = {
    size,
    align,
    desc: Object.freeze({ kind: 'struct', ...(structName ? { name: structName } : {}), fields: Object.freeze(descFields) }),
    encode(value: StructValue<F>, view: DataView, at: number): void {
      const f = validateFast(value);
      if (f !== undefined) throw toError(f);
      checkSpan(label, size, view, at);
      writeFast(value as Record<string, unknown>, view, at);
    },
    decode: decodeFast as (view: DataView, at: number) => StructValue<F>,
    [validateKey]: validateFast,
    [writeKey]: writeFast as (value: StructValue<F>, view: DataView, offset: number) => void,
  };
  return Object.freeze(codec);
}

/**
 * The same validate/write/decode as straight-line code with literal property names. A loop over
 * field names makes every `value[name]` a megamorphic keyed access (~25 ns each here); `value.a`
 * in a function of its own is monomorphic, and decode returns one object literal (one hidden
 * class, no transitions). Field names are C identifiers (checked above), so they are safe to
 * splice into source. Only the happy path is generated: any failure defers to the generic
 * `validate`, which builds the message. Returns undefined where code generation is disallowed
 * (node --disallow-code-generation-from-strings); the generic closures then do the work.
 */
function compileStruct(
  plan: readonly FieldPlan[],
  holes: readonly number[],
  slowValidate: Validate,
): { validate: Validate; write: Write; decode: (view: DataView, at: number) => Record<string, unknown> } | undefined {
  const check: string[] = [];
  const write: string[] = [];
  const decode: string[] = [];
  plan.forEach((f, i) => {
    const read = `value.${f.name}`;
    check.push(f.isLock ? `if (V[${i}](${read}) !== undefined) return slow(value);` : `if (${read} === undefined || V[${i}](${read}) !== undefined) return slow(value);`);
    write.push(`W[${i}](${read}, view, at + ${f.offset});`);
    decode.push(`${f.name}: C[${i}].decode(view, at + ${f.offset})`);
  });
  for (let h = 0; h < holes.length; h += 2) {
    const [start, end] = [holes[h]!, holes[h + 1]!];
    if (end - start <= 8) for (let b = start; b < end; b++) write.push(`view.setUint8(at + ${b}, 0);`);
    else write.push(`for (let b = ${start}; b < ${end}; b++) view.setUint8(at + b, 0);`);
  }
  const names = plan.map((f) => `key !== '${f.name}'`);
  const source = `
    'use strict';
    return {
      validate(value) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return slow(value);
        ${check.join('\n        ')}
        for (const key in value) if (${names.length ? names.join(' && ') + ' && ' : ''}Object.hasOwn(value, key)) return slow(value);
        return undefined;
      },
      write(value, view, at) {
        ${write.join('\n        ')}
      },
      decode(view, at) {
        return { ${decode.join(', ')} };
      },
    };`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the comment above
    const make = new Function('slow', 'V', 'W', 'C', source) as (...args: unknown[]) => ReturnType<typeof compileStruct>;
    return make(slowValidate, plan.map((f) => f.validate), plan.map((f) => f.write), plan.map((f) => f.codec));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

/** Every lock word in a value, with its byte offset, walking nested structs and arrays. */
export function lockFields(codec: Codec<unknown>): LockField[] {
  const out: LockField[] = [];
  const walk = (c: Codec<unknown>, base: number): void => {
    const d = c.desc;
    if (d.kind === 'lock') out.push({ kind: d.lock, offset: base });
    else if (d.kind === 'struct') for (const f of d.fields) walk(f.codec, base + f.offset);
    else if (d.kind === 'array') for (let i = 0; i < d.length; i++) walk(d.element, base + i * d.element.size);
  };
  walk(checkCodec('lockFields argument', codec), 0);
  return out;
}

/** Encodes into a fresh buffer of exactly `codec.size` bytes (convenience, not for hot paths). */
export function encodeToBytes<T>(codec: Codec<T>, value: T): Uint8Array {
  checkCodec('encodeToBytes codec', codec);
  const out = new Uint8Array(codec.size);
  codec.encode(value, new DataView(out.buffer), 0);
  return out;
}

/** Decodes `bytes`, which must be exactly `codec.size` long (convenience, not for hot paths). */
export function decodeFromBytes<T>(codec: Codec<T>, bytes: Uint8Array): T {
  checkCodec('decodeFromBytes codec', codec);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeFromBytes expects a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length !== codec.size) {
    throw new RangeError(`decodeFromBytes: ${describeCodec(codec)} is ${codec.size} bytes, got ${bytes.length}`);
  }
  return codec.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
}
