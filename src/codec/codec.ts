// Codecs: JS values <-> the bytes of a C object with the x86-64/arm64 ABI layout that BPF maps use
// (little-endian host order, natural alignment, trailing padding). Encoding validates the whole
// value before writing anything and writes every byte of `size` (padding as zeros), so equal values
// give equal bytes: hash map keys are compared bytewise (kernel/bpf/hashtab.c: lookup_elem_raw uses
// memcmp), and a stray padding byte would make two "equal" keys different.
import type { Codec, CodecDesc, Infer, StructField } from './types.js';
import type { LockField } from '../seam/engine.js';
import { codecFaults, describeValue } from '../errors/errors.js';

// ---------------------------------------------------------------------------------------------
// Internal protocol. Composite codecs read and check the whole tree first (read, which touches each
// field of the user's value once) and then write the clean copy (write), so a bad field deep inside a
// struct leaves the caller's buffer untouched. A fault is a Fault record, not an Error, so a nested
// struct can prefix the field path before the top level throws.

/** A bad value: built only when a value is bad, so a good encode allocates nothing for it. */
class Fault {
  range: boolean;
  message: string;
  /** `.a.b[2]` style path from the outermost codec, filled in while unwinding. */
  path = '';
  constructor(range: boolean, message: string) {
    this.range = range;
    this.message = message;
  }
}

const readKey: unique symbol = Symbol('bpfkit.codec.read');
const writeKey: unique symbol = Symbol('bpfkit.codec.write');

/**
 * Inputs are read once: `read` takes the user's value, reads every field of it exactly once, checks it,
 * and returns either a Fault or a clean value (primitives, or arrays this module built) that `write`
 * stores without reading the user's object again. A getter that answers differently on a second read
 * therefore cannot slip an unchecked value past the check.
 */
interface Internal<T> extends Codec<T> {
  [readKey](value: unknown): unknown;
  /** Writes a clean value that `read` returned. */
  [writeKey](clean: unknown, view: DataView, offset: number): void;
}

function isInternal<T>(codec: Codec<T>): codec is Internal<T> {
  return typeof (codec as Partial<Internal<T>>)[readKey] === 'function';
}

function toError(f: Fault): TypeError | RangeError {
  const message = f.path === '' ? f.message : `field ${f.path.startsWith('.') ? f.path.slice(1) : f.path}: ${f.message}`;
  const e = f.range ? new RangeError(message) : new TypeError(message);
  codecFaults.set(e, { path: f.path, message: f.message });
  return e;
}

const describe = describeValue;

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
  if (typeof value !== 'number') return new Fault(false, `${name} expects a number, got ${describe(value)}`);
  if (Number.isNaN(value)) return new Fault(false, `${name} expects an integer, got NaN`);
  if (Number.isFinite(value) && !Number.isInteger(value)) return new Fault(true, `${name} not an integer: ${value}`);
  return new Fault(true, `${name} out of range: ${value} (${min} to ${max})`);
}

function bigintFault(name: string, value: unknown, min: bigint, max: bigint): Fault {
  if (typeof value === 'number') {
    const hint = Number.isSafeInteger(value) ? ` (use a bigint: ${value}n)` : ' (use a bigint)';
    return new Fault(false, `${name} expects a bigint, got number ${value}${hint}`);
  }
  if (typeof value !== 'bigint') return new Fault(false, `${name} expects a bigint, got ${describe(value)}`);
  return new Fault(true, `${name} out of range: ${value} (${min} to ${max})`);
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
    [readKey]: (value: unknown) => (fits(value) ? value : numberFault(name, value, min, max)),
    [writeKey]: (value: unknown, view: DataView, offset: number) => write(view, offset, value as number),
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
    [readKey]: (value: unknown) =>
      typeof value === 'bigint' && value >= min && value <= max ? value : bigintFault(name, value, min, max),
    [writeKey]: (value: unknown, view: DataView, offset: number) => write(view, offset, value as bigint),
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
  return new Fault(false, `bool expects a boolean, got ${describe(value)}`);
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
  [readKey]: (value: unknown) => (typeof value === 'boolean' ? value : boolFault(value)),
  [writeKey]: (value: unknown, view: DataView, offset: number) => view.setUint8(offset, value ? 1 : 0),
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
      : new Fault(typeof value === 'number', `${name} is owned by the kernel: omit it or pass 0, got ${describe(value)}`);
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
    [readKey]: (value: unknown) => fault(value) ?? 0,
    [writeKey]: (_value: unknown, view: DataView, offset: number) => view.setUint32(offset, 0, true),
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

/**
 * `length` raw bytes. `align` (a power of two, default 1) places the field inside a struct as a C type of
 * that alignment would be placed: a union read as its bytes keeps its members' alignment.
 */
export function bytes(length: number, options?: { align?: number }): Codec<Uint8Array> {
  const n = checkCount('bytes', length);
  const align = options?.align ?? 1;
  if (!Number.isInteger(align) || align < 1 || align > 4096 || (align & (align - 1)) !== 0) throw new RangeError(`bytes: align must be a power of two from 1 to 4096, got ${describe(align)}`);
  if (n % align !== 0) throw new RangeError(`bytes: a length of ${n} is not a multiple of its alignment ${align}`);
  const name = align === 1 ? `bytes(${n})` : `bytes(${n}, align ${align})`;
  const fault = (value: unknown): Fault | undefined => {
    if (!(value instanceof Uint8Array)) return new Fault(false, `${name} expects a Uint8Array, got ${describe(value)}`);
    // The intrinsic length: a subclass or an object faking the prototype cannot answer with a getter.
    const length = typedLength(value);
    if (length !== n) return new Fault(true, `${name} got ${length < 0 ? 'a detached or fake Uint8Array' : `${length} bytes`}, expected ${n}`);
    return undefined;
  };
  // Callers check the span first (encode here, or the enclosing struct/array's encode).
  const write = (value: Uint8Array, view: DataView, offset: number): void => {
    if (n <= 32) for (let i = 0; i < n; i++) view.setUint8(offset + i, value[i]!);
    else new Uint8Array(view.buffer, view.byteOffset + offset, n).set(value);
  };
  const codec: Internal<Uint8Array> = {
    size: n,
    align,
    desc: Object.freeze(align === 1 ? { kind: 'bytes', length: n } : { kind: 'bytes', length: n, align }),
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
    // Inside a struct or array, later fields' getters run between this read and the write and could
    // detach or rewrite the buffer: keep a copy.
    [readKey]: (value: unknown) => fault(value) ?? (value as Uint8Array).slice(),
    [writeKey]: write as Write,
  };
  return Object.freeze(codec);
}

const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')!.get!;

/** A typed array's length from its internal slot (0 when detached); -1 for anything that only looks like one. */
function typedLength(value: Uint8Array): number {
  try {
    return typedArrayLength.call(value) as number;
  } catch {
    return -1;
  }
}

// ---------------------------------------------------------------------------------------------
// Composite codecs accept codecs written elsewhere too (anything with the Codec shape). Those are
// validated by their own encode, during the write pass.

/** `codec` has the Codec shape, or a TypeError starting with `what` ("createMap: key", "struct field 'b"). */
export function checkCodec(what: string, codec: unknown): Codec<unknown> {
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

type Read = (value: unknown) => unknown;
type Write = (value: unknown, view: DataView, offset: number) => void;

/** A codec written elsewhere checks its value in its own encode, during the write pass. */
const readByEncode: Read = (value) => value;

/** A child's read and write, resolved once when the parent is built (not per encode). */
function partsOf(codec: Codec<unknown>): { read: Read; write: Write } {
  if (isInternal(codec)) return { read: codec[readKey], write: codec[writeKey] };
  return { read: readByEncode, write: (value, view, offset) => codec.encode(value, view, offset) };
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
  const { read: readElement, write: writeElement } = partsOf(el);
  // The user's array is read once: its length, then each element, into an array of clean values.
  const read = (value: unknown): unknown => {
    if (!Array.isArray(value)) return new Fault(false, `${name} expects an array, got ${describe(value)}`);
    const length = value.length;
    if (length !== n) return new Fault(true, `${name} got ${length} elements, expected ${n}`);
    const clean = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const r = readElement(value[i]);
      if (r instanceof Fault) {
        r.path = `[${i}]${r.path}`;
        return r;
      }
      clean[i] = r;
    }
    return clean;
  };
  const write = (clean: unknown, view: DataView, offset: number): void => {
    const values = clean as unknown[];
    for (let i = 0; i < n; i++) writeElement(values[i], view, offset + i * stride);
  };
  const codec: Internal<Infer<C>[]> = {
    size,
    align: el.align,
    desc: Object.freeze({ kind: 'array', element: el, length: n }),
    encode(value: Infer<C>[], view: DataView, offset: number): void {
      const r = read(value);
      if (r instanceof Fault) throw toError(r);
      checkSpan(name, size, view, offset);
      write(r, view, offset);
    },
    decode(view: DataView, offset: number): Infer<C>[] {
      const out = new Array<Infer<C>>(n);
      for (let i = 0; i < n; i++) out[i] = el.decode(view, offset + i * stride) as Infer<C>;
      return out;
    },
    [readKey]: read,
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
  read: Read;
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

  const notAnObject = (value: unknown): Fault => new Fault(false, `${label} expects an object, got ${describe(value)}`);
  const missing = (i: number): Fault => new Fault(false, `${label} is missing field '${plan[i]!.name}'`);
  const inField = (f: Fault, i: number): Fault => {
    f.path = `.${plan[i]!.name}${f.path}`;
    return f;
  };
  const unknownField = (key: string): Fault =>
    new Fault(false, `${label} has no field '${key}' (fields: ${plan.map((p) => p.name).join(', ')})`);
  // Unknown fields: for-in (not Object.keys) so a valid value allocates nothing. Values are usually
  // built in declaration order, so comparing with the next expected name (a pointer compare for
  // internalized strings) settles most keys without the dictionary lookup. It runs after every field
  // was read, so nothing it triggers can change what was read.
  const extraKey = (record: object): Fault | undefined => {
    let next = 0;
    for (const key in record) {
      if (next < fieldCount && key === plan[next]!.name) {
        next++;
        continue;
      }
      if (known[key] !== true && Object.hasOwn(record, key)) return unknownField(key);
    }
    return undefined;
  };
  /** Each field read once into `clean`; a Fault for the first bad one. */
  const readInto = (value: unknown, clean: unknown[]): Fault | undefined => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return notAnObject(value);
    const record = value as Record<string, unknown>;
    for (let i = 0; i < fieldCount; i++) {
      const field = plan[i]!;
      const v = record[field.name];
      if (v === undefined && !field.isLock) return missing(i);
      const r = field.read(v);
      if (r instanceof Fault) return inField(r, i);
      clean[i] = r;
    }
    return extraKey(record);
  };
  const read = (value: unknown): unknown => {
    const clean = new Array<unknown>(fieldCount);
    return readInto(value, clean) ?? clean;
  };
  const write = (clean: unknown, view: DataView, at: number): void => {
    const values = clean as unknown[];
    for (let i = 0; i < fieldCount; i++) plan[i]!.write(values[i], view, at + plan[i]!.offset);
    for (let h = 0; h < holes.length; h += 2) {
      for (let b = holes[h]!; b < holes[h + 1]!; b++) view.setUint8(at + b, 0);
    }
  };
  const encode = (value: unknown, view: DataView, at: number): void => {
    const clean = new Array<unknown>(fieldCount);
    const f = readInto(value, clean);
    if (f !== undefined) throw toError(f);
    checkSpan(label, size, view, at);
    write(clean, view, at);
  };
  const decode = (view: DataView, at: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fieldCount; i++) {
      const field = plan[i]!;
      out[field.name] = field.codec.decode(view, at + field.offset);
    }
    return out;
  };
  const fast = compileStruct(plan, holes, { notAnObject, missing, inField, extraKey, Fault, toError, checkSpan, label, size });
  const encodeFast = fast?.encode ?? encode;
  const readFast = fast?.read ?? read;
  const writeFast = fast?.write ?? write;
  const decodeFast = fast?.decode ?? decode;
  const descFields: StructField[] = plan.map((p) => Object.freeze({ name: p.name, offset: p.offset, codec: p.codec }));
  const codec: Internal<StructValue<F>> = {
    size,
    align,
    desc: Object.freeze({ kind: 'struct', ...(structName ? { name: structName } : {}), fields: Object.freeze(descFields) }),
    encode: encodeFast as (value: StructValue<F>, view: DataView, at: number) => void,
    decode: decodeFast as (view: DataView, at: number) => StructValue<F>,
    [readKey]: readFast,
    [writeKey]: writeFast,
  };
  return Object.freeze(codec);
}

interface StructHelpers {
  notAnObject(value: unknown): Fault;
  missing(i: number): Fault;
  inField(f: Fault, i: number): Fault;
  extraKey(record: object): Fault | undefined;
  Fault: typeof Fault;
  toError(f: Fault): Error;
  checkSpan(name: string, size: number, view: DataView, offset: number): void;
  label: string;
  size: number;
}

/**
 * The same read/encode/write/decode as straight-line code with literal property names. A loop over
 * field names makes every `value[name]` a megamorphic keyed access (~25 ns each here); `value.a`
 * in a function of its own is monomorphic, and decode returns one object literal (one hidden
 * class, no transitions). encode keeps the clean field values in locals, so a struct of scalars
 * allocates nothing. Field names are C identifiers (checked above), so they are safe to splice into
 * source. Returns undefined where code generation is disallowed (node
 * --disallow-code-generation-from-strings); the generic closures then do the work.
 */
function compileStruct(
  plan: readonly FieldPlan[],
  holes: readonly number[],
  h: StructHelpers,
): { encode: Write; read: Read; write: Write; decode: (view: DataView, at: number) => Record<string, unknown> } | undefined {
  const reads: string[] = [];
  const writeLocals: string[] = [];
  const writeArray: string[] = [];
  const decode: string[] = [];
  plan.forEach((f, i) => {
    reads.push(`const v${i} = value.${f.name};`);
    if (!f.isLock) reads.push(`if (v${i} === undefined) return H.missing(${i});`);
    reads.push(`const r${i} = R[${i}](v${i}); if (r${i} instanceof F) return H.inField(r${i}, ${i});`);
    writeLocals.push(`W[${i}](r${i}, view, at + ${f.offset});`);
    writeArray.push(`W[${i}](clean[${i}], view, at + ${f.offset});`);
    decode.push(`${f.name}: C[${i}].decode(view, at + ${f.offset})`);
  });
  const zero: string[] = [];
  for (let k = 0; k < holes.length; k += 2) {
    const [start, end] = [holes[k]!, holes[k + 1]!];
    if (end - start <= 8) for (let b = start; b < end; b++) zero.push(`view.setUint8(at + ${b}, 0);`);
    else zero.push(`for (let b = ${start}; b < ${end}; b++) view.setUint8(at + b, 0);`);
  }
  const readBody = `
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return H.notAnObject(value);
        ${reads.join('\n        ')}
        const extra = H.extraKey(value);
        if (extra !== undefined) return extra;`;
  const list = plan.map((_f, i) => `r${i}`).join(', ');
  const source = `
    'use strict';
    const F = H.Fault;
    function readAll(value, view, at) {${readBody}
        H.checkSpan(H.label, H.size, view, at);
        ${writeLocals.join('\n        ')}
        ${zero.join('\n        ')}
        return undefined;
    }
    return {
      encode(value, view, at) {
        const f = readAll(value, view, at);
        if (f !== undefined) throw H.toError(f);
      },
      read(value) {${readBody}
        return [${list}];
      },
      write(clean, view, at) {
        ${writeArray.join('\n        ')}
        ${zero.join('\n        ')}
      },
      decode(view, at) {
        return { ${decode.join(', ')} };
      },
    };`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the comment above
    const make = new Function('H', 'R', 'W', 'C', source) as (...args: unknown[]) => ReturnType<typeof compileStruct>;
    return make(h, plan.map((f) => f.read), plan.map((f) => f.write), plan.map((f) => f.codec));
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
