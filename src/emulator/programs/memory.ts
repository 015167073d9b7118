// The emulator's address space. A program sees 64-bit pointers; here a pointer is TAGGED:
//   pointer = (regionId << 32) | offset        (offset: u32; region ids start at 1, so 0 is NULL)
// so small integers never alias memory and every access can be bounds-checked against its region.
// Pointer arithmetic stays plain 64-bit integer arithmetic on the tagged value. The verifier keeps a
// pointer's offset within ±2^29 (BPF_MAX_VAR_OFF, kernel/bpf/verifier.c), so an offset word at or above
// 2^31 is read as a NEGATIVE offset from the next region id (the borrow of `ptr - 8` on offset 0).
//
// All byte access goes through load/store/atomicRmw/atomicCmpxchg so a later change can swap the
// read-modify-write bodies for `Atomics` over SharedArrayBuffer slabs without touching the interpreter.

/** A program's runtime error: bad memory access, bad jump, unknown opcode, instruction limit. */
export class ProgramFault extends Error {
  /** The faulting instruction index; -1 until the interpreter fills it in. */
  insn: number;
  reason: string;
  constructor(reason: string, insn = -1) {
    super(insn >= 0 ? `${reason} (insn ${insn})` : reason);
    this.name = 'ProgramFault';
    this.reason = reason;
    this.insn = insn;
  }
  /** Records where the fault happened, once: the innermost frame knows best. */
  at(insn: number): this {
    if (this.insn < 0) {
      this.insn = insn;
      this.message = `${this.reason} (insn ${insn})`;
    }
    return this;
  }
}

/** Plain memory. bytes()/base() are asked on every access: a map's slab may be reallocated in between. */
export interface ByteRegion {
  /** Shown in faults: 'stack', 'packet', "map 'counts' value", 'global .bss'. */
  name: string;
  size: number;
  writable: boolean;
  /** The backing bytes (may be a view over a SharedArrayBuffer). */
  bytes(): Uint8Array;
  /** Where the region starts inside bytes(). */
  base(): number;
}

/** Memory computed on access (the program context, e.g. struct __sk_buff): may throw a ProgramFault. */
export interface VirtualRegion {
  name: string;
  size: number;
  load(off: number, size: number): bigint;
  /** `value` is the low `size` bytes; `register` the whole 64-bit source (ctx rewrites may test it). */
  store(off: number, size: number, value: bigint, register: bigint): void;
  /**
   * Optional, for compiled code: load() without BigInts, for the loads that need no checks beyond the
   * region's bounds (the ctx fields a program reads on every run). Returns the value's low word and puts
   * its high word in hi[0], or returns undefined to have load() answer (and fault) instead.
   */
  loadWords?(off: number, size: number, hi: Int32Array): number | undefined;
}

/** Not memory at all: an address the program may hold and pass to helpers (a map, a callback). */
export interface HandleRegion {
  name: string;
  size: 0;
  handle: unknown;
}

export type Region = ByteRegion | VirtualRegion | HandleRegion;
export type Lifetime = 'static' | 'run';
export type AtomicRmwOp = 'add' | 'and' | 'or' | 'xor' | 'xchg';
export type AccessSize = 1 | 2 | 4 | 8;

/** The handle of a code address (ld_imm64 with BPF_PSEUDO_FUNC): an instruction index of `owner`. */
export class CodeAddress {
  constructor(readonly owner: object, readonly insn: number) {}
}

/** A fixed byte region over `bytes` (stacks, test buffers, packets). */
export function fixedBytes(name: string, bytes: Uint8Array, writable = true): ByteRegion {
  return { name, size: bytes.length, writable, bytes: () => bytes, base: () => 0 };
}

/** How an entry's region is accessed, decided once at addRegion. */
const Kind = { Bytes: 0, Virtual: 1, Handle: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Entry {
  region: Region;
  kind: Kind;
  /** The buffer the cached view covers; a slab reallocation shows up as a different buffer. */
  buffer: ArrayBufferLike | null;
  view: DataView | null;
}

/** Run regions take ids from here up, so static ids (1, 2, …) stay stable across runs. */
const RUN_BASE = 0x8000_0000;
const OFFSET_MASK = 0xffff_ffffn;
const NEGATIVE_FROM = 0x8000_0000;

/** One DataView per backing buffer, shared by every region (and every Memory) over it. */
const viewsByBuffer = new WeakMap<ArrayBufferLike, DataView>();
export function viewOf(buffer: ArrayBufferLike): DataView {
  let view = viewsByBuffer.get(buffer);
  if (view === undefined) {
    view = new DataView(buffer);
    viewsByBuffer.set(buffer, view);
  }
  return view;
}

const int32ByBuffer = new WeakMap<SharedArrayBuffer, Int32Array>();
const int64ByBuffer = new WeakMap<SharedArrayBuffer, BigInt64Array>();
export function int32Of(buffer: SharedArrayBuffer): Int32Array {
  let a = int32ByBuffer.get(buffer);
  if (a === undefined) int32ByBuffer.set(buffer, (a = new Int32Array(buffer, 0, buffer.byteLength >> 2)));
  return a;
}
export function int64Of(buffer: SharedArrayBuffer): BigInt64Array {
  let a = int64ByBuffer.get(buffer);
  if (a === undefined) int64ByBuffer.set(buffer, (a = new BigInt64Array(buffer, 0, buffer.byteLength >> 3)));
  return a;
}

/** An atomic read-modify-write on shared memory at byte `at` (aligned); returns the old value, unsigned. */
function sharedRmw(op: AtomicRmwOp, buffer: SharedArrayBuffer, at: number, size: 4 | 8, value: bigint): bigint {
  if (size === 4) {
    const a = int32Of(buffer);
    const i = at >> 2;
    const v = Number(BigInt.asIntN(32, value));
    let old: number;
    switch (op) {
      case 'add': old = Atomics.add(a, i, v); break;
      case 'and': old = Atomics.and(a, i, v); break;
      case 'or': old = Atomics.or(a, i, v); break;
      case 'xor': old = Atomics.xor(a, i, v); break;
      default: old = Atomics.exchange(a, i, v);
    }
    return BigInt(old >>> 0);
  }
  const a = int64Of(buffer);
  const i = at >> 3;
  const v = BigInt.asIntN(64, value);
  let old: bigint;
  switch (op) {
    case 'add': old = Atomics.add(a, i, v); break;
    case 'and': old = Atomics.and(a, i, v); break;
    case 'or': old = Atomics.or(a, i, v); break;
    case 'xor': old = Atomics.xor(a, i, v); break;
    default: old = Atomics.exchange(a, i, v);
  }
  return BigInt.asUintN(64, old);
}

const hex = (ptr: bigint): string => `0x${ptr.toString(16)}`;
const wordsToPtr = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const newEntry = (region: Region): Entry => ({
  region, kind: 'bytes' in region ? Kind.Bytes : 'load' in region ? Kind.Virtual : Kind.Handle, buffer: null, view: null,
});

export class Memory {
  /** Index = region id (slot 0 unused: NULL). */
  private readonly statics: (Entry | undefined)[] = [undefined];
  /**
   * Index = region id - RUN_BASE; the first runCount are live. Entries past it are kept so that a run
   * adding the same region at the same place as the last one (a stack, a map value) allocates nothing.
   */
  private readonly runs: (Entry | undefined)[] = [];
  private runCount = 0;
  /**
   * Bumped whenever an id comes to mean another region (a run entry replaced, a region removed): caches of
   * id → region (compiled-runtime.ts FastMemory) are valid while it stays and the id is live (isLive).
   */
  version = 0;
  private readonly codePointers = new WeakMap<object, Map<number, bigint>>();
  // The last access's decoded location (filled by locate(); read right after, never held).
  private offset = 0;

  /** Registers a region; returns its base pointer (offset 0). */
  addRegion(region: Region, lifetime: Lifetime): bigint {
    if (lifetime === 'run') return BigInt(this.addRunRegion(region)) << 32n;
    const id = this.statics.length;
    if (id >= RUN_BASE) throw new RangeError('too many static regions');
    this.statics.push(newEntry(region));
    return BigInt(id) << 32n;
  }

  /** addRegion(region, 'run') as the region id (a pointer's high word, unsigned): no BigInt. */
  addRunRegion(region: Region): number {
    const index = this.runCount;
    const id = RUN_BASE + index;
    if (id > 0xffff_fffe) throw new RangeError('too many regions in one run');
    // The same region where the last run had it (the loop of BPF_PROG_TEST_RUN repeat): reuse its entry.
    if (this.runs[index]?.region !== region) {
      if (this.runs[index] !== undefined) this.version++;
      this.runs[index] = newEntry(region);
    }
    this.runCount = index + 1;
    return id;
  }

  /** Forgets a region (e.g. a static one whose map was closed); its pointers fault from now on. */
  removeRegion(ptr: bigint): void {
    const id = Number(ptr >> 32n);
    this.version++;
    if (id >= RUN_BASE) this.runs[id - RUN_BASE] = undefined;
    else if (id > 0) this.statics[id] = undefined;
  }

  /** Whether region id `hi` (a pointer's high word, unsigned or int32) is a live run region, or a static id. */
  isLive(hi: number): boolean {
    const id = hi >>> 0;
    return id < RUN_BASE || id - RUN_BASE < this.runCount;
  }

  /** A mark to release() back to: every run region added after it goes. */
  mark(): number {
    return this.runCount;
  }
  release(mark: number): void {
    this.runCount = Math.min(this.runCount, mark);
  }
  /** Drops every per-run region (stack frames, ctx, packet, map element values). */
  resetRun(): void {
    this.runCount = 0;
  }

  /** The region a pointer falls in and its offset there, or undefined (NULL, scalar, freed, out of range). */
  regionOf(ptr: bigint): { region: Region; offset: number } | undefined {
    const entry = this.find(ptr);
    if (entry === undefined || this.offset < 0 || this.offset > entry.region.size) return undefined;
    return { region: entry.region, offset: this.offset };
  }

  /** The payload of a handle region (a map pointer from ld_imm64), for helpers. */
  handleOf(ptr: bigint): unknown {
    return this.handleAt(Number(ptr >> 32n), Number(ptr & OFFSET_MASK));
  }

  /** handleOf() of the pointer whose words (unsigned or int32) are hi, lo. */
  handleAt(hi: number, lo: number): unknown {
    const entry = this.findWords(hi, lo);
    if (entry === undefined || entry.kind !== Kind.Handle || this.offset !== 0) {
      throw new ProgramFault(`${hex(wordsToPtr(hi, lo))} is not a handle pointer`);
    }
    return (entry.region as HandleRegion).handle;
  }

  /**
   * The byte region of an id (a pointer's high word), for compiled code's inline caches; undefined for
   * anything else (NULL, scalars, virtual and handle regions, freed ids).
   */
  byteRegionOf(hi: number): ByteRegion | undefined {
    const entry = this.findWords(hi, 0);
    return entry?.kind === Kind.Bytes ? (entry.region as ByteRegion) : undefined;
  }

  /** The virtual region of an id, or undefined (as byteRegionOf). */
  virtualRegionOf(hi: number): VirtualRegion | undefined {
    const entry = this.findWords(hi, 0);
    return entry?.kind === Kind.Virtual ? (entry.region as VirtualRegion) : undefined;
  }

  /** The pointer of a code address (static, one per owner and instruction). */
  codePointer(owner: object, insn: number): bigint {
    let byInsn = this.codePointers.get(owner);
    if (byInsn === undefined) this.codePointers.set(owner, (byInsn = new Map()));
    let ptr = byInsn.get(insn);
    if (ptr === undefined) {
      ptr = this.addRegion({ name: `code @${insn}`, size: 0, handle: new CodeAddress(owner, insn) }, 'static');
      byInsn.set(insn, ptr);
    }
    return ptr;
  }

  /** The code address behind a callback pointer, for helpers that call back (bpf_loop, ...). */
  codeOf(ptr: bigint): CodeAddress {
    const handle = this.regionOf(ptr) === undefined ? undefined : this.handleOf(ptr);
    if (!(handle instanceof CodeAddress)) throw new ProgramFault(`${hex(ptr)} is not a code pointer`);
    return handle;
  }

  /** Loads `size` bytes little-endian, zero-extended. */
  load(ptr: bigint, size: AccessSize): bigint {
    const entry = this.checked(ptr, size, 'read');
    if (entry.kind === Kind.Virtual) {
      return BigInt.asUintN(64, (entry.region as VirtualRegion).load(this.offset, size));
    }
    const view = this.viewAt(entry);
    const at = this.offset;
    switch (size) {
      case 1: return BigInt(view.getUint8(at));
      case 2: return BigInt(view.getUint16(at, true));
      case 4: return BigInt(view.getUint32(at, true));
      default: return view.getBigUint64(at, true);
    }
  }

  /** Stores the low `size` bytes of value, little-endian. */
  store(ptr: bigint, size: AccessSize, value: bigint): void {
    const entry = this.checked(ptr, size, 'write');
    if (entry.kind === Kind.Virtual) {
      (entry.region as VirtualRegion).store(this.offset, size, BigInt.asUintN(size * 8, value), BigInt.asUintN(64, value));
      return;
    }
    this.storeBytes(this.viewAt(entry), this.offset, size, value);
  }

  /** Read-modify-write (atomic add/and/or/xor/xchg) of 4 or 8 bytes; returns the old value. */
  atomicRmw(op: AtomicRmwOp, ptr: bigint, size: 4 | 8, value: bigint): bigint {
    const view = this.atomicView(ptr, size);
    const at = this.offset;
    // Map memory is shared with the other emulated CPUs: a real atomic there (BPF_ATOMIC is `lock`-prefixed).
    if (view.buffer instanceof SharedArrayBuffer) return sharedRmw(op, view.buffer, at, size, value);
    const old = size === 4 ? BigInt(view.getUint32(at, true)) : view.getBigUint64(at, true);
    let next: bigint;
    switch (op) {
      case 'add': next = old + value; break;
      case 'and': next = old & value; break;
      case 'or': next = old | value; break;
      case 'xor': next = old ^ value; break;
      default: next = value;
    }
    this.storeBytes(view, at, size, next);
    return old;
  }

  /** Compare-and-exchange of 4 or 8 bytes: stores `desired` if memory equals `expected`; returns the old value. */
  atomicCmpxchg(ptr: bigint, size: 4 | 8, expected: bigint, desired: bigint): bigint {
    const view = this.atomicView(ptr, size);
    const at = this.offset;
    if (view.buffer instanceof SharedArrayBuffer) {
      if (size === 4) {
        const old = Atomics.compareExchange(int32Of(view.buffer), at >> 2, Number(BigInt.asIntN(32, expected)), Number(BigInt.asIntN(32, desired)));
        return BigInt(old >>> 0);
      }
      return BigInt.asUintN(64, Atomics.compareExchange(int64Of(view.buffer), at >> 3, BigInt.asIntN(64, expected), BigInt.asIntN(64, desired)));
    }
    const old = size === 4 ? BigInt(view.getUint32(at, true)) : view.getBigUint64(at, true);
    if (old === BigInt.asUintN(size * 8, expected)) this.storeBytes(view, at, size, desired);
    return old;
  }

  /**
   * view() without allocating: the whole backing store of the `len` bytes at the pointer with words hi, lo;
   * they start at `located`. Read them at once (as view()'s).
   */
  locate(hi: number, lo: number, len: number, access: 'read' | 'write' = 'read'): Uint8Array {
    const entry = this.checkedWords(hi, lo, len, access);
    if (entry.kind !== Kind.Bytes) throw new ProgramFault(`${access} of ${len} bytes from ${entry.region.name}: not plain memory`);
    const region = entry.region as ByteRegion;
    this.located = region.base() + this.offset;
    return region.bytes();
  }
  /** Where locate()'s bytes start. */
  located = 0;

  /** A COPY of `len` bytes at ptr (helpers: keys, values, strings). */
  read(ptr: bigint, len: number): Uint8Array {
    return this.view(ptr, len, 'read').slice();
  }

  /**
   * The bytes at ptr IN PLACE (a subarray of the backing store): valid until the region's slab is
   * reallocated, so use it at once. Byte regions only.
   */
  view(ptr: bigint, len: number, access: 'read' | 'write' = 'read'): Uint8Array {
    const entry = this.checked(ptr, len, access);
    if (entry.kind !== Kind.Bytes) throw new ProgramFault(`${access} of ${len} bytes from ${entry.region.name}: not plain memory`);
    const region = entry.region as ByteRegion;
    const start = region.base() + this.offset;
    return region.bytes().subarray(start, start + len);
  }

  write(ptr: bigint, bytes: Uint8Array): void {
    this.view(ptr, bytes.length, 'write').set(bytes);
  }

  // ---- internals ----

  /** Finds the region of ptr and leaves the (possibly negative) offset in this.offset. */
  private find(ptr: bigint): Entry | undefined {
    return this.findWords(Number(ptr >> 32n), Number(ptr & OFFSET_MASK));
  }

  /** find() of the pointer with words hi, lo (each unsigned or int32). */
  private findWords(hi: number, lo: number): Entry | undefined {
    let id = hi >>> 0;
    let offset = lo >>> 0;
    if (offset >= NEGATIVE_FROM) {
      id += 1;
      offset -= 0x1_0000_0000;
    }
    this.offset = offset;
    if (id >= RUN_BASE) return id - RUN_BASE < this.runCount ? this.runs[id - RUN_BASE] : undefined;
    return id > 0 ? this.statics[id] : undefined;
  }

  private checked(ptr: bigint, size: number, access: 'read' | 'write'): Entry {
    return this.checkedWords(Number(ptr >> 32n), Number(ptr & OFFSET_MASK), size, access);
  }

  private checkedWords(hi: number, lo: number, size: number, access: 'read' | 'write'): Entry {
    const entry = this.findWords(hi, lo);
    if (entry === undefined) {
      const ptr = wordsToPtr(hi, lo);
      const id = hi >>> 0;
      throw new ProgramFault(id === 0
        ? `invalid ${access} of ${size} bytes at ${hex(ptr)}: not a pointer (NULL or scalar)`
        : `invalid ${access} of ${size} bytes at ${hex(ptr)}: no such region (freed or never mapped)`);
    }
    const region = entry.region;
    if (entry.kind === Kind.Handle) throw new ProgramFault(`invalid ${access} of ${region.name}: not memory`);
    const off = this.offset;
    if (off < 0 || off + size > region.size) {
      throw new ProgramFault(`invalid ${access} of ${size} bytes at offset ${off} of ${region.name} (size ${region.size})`);
    }
    if (access === 'write' && entry.kind === Kind.Bytes && !(region as ByteRegion).writable) {
      throw new ProgramFault(`write into read-only ${region.name} at offset ${off}`);
    }
    return entry;
  }

  /** The DataView over a byte region's current buffer; moves this.offset to the absolute byte offset. */
  private viewAt(entry: Entry): DataView {
    const region = entry.region as ByteRegion;
    const bytes = region.bytes();
    if (bytes.buffer !== entry.buffer) {
      entry.buffer = bytes.buffer;
      entry.view = viewOf(bytes.buffer);
    }
    this.offset += bytes.byteOffset + region.base();
    return entry.view!;
  }

  private atomicView(ptr: bigint, size: 4 | 8): DataView {
    const entry = this.checked(ptr, size, 'write');
    // kernel/bpf/verifier.c check_atomic: atomics only on plain memory (not ctx, not packet), aligned.
    if (entry.kind !== Kind.Bytes) throw new ProgramFault(`atomic access to ${entry.region.name}: not plain memory`);
    if (this.offset % size !== 0) throw new ProgramFault(`misaligned atomic access at offset ${this.offset} of ${entry.region.name}`);
    return this.viewAt(entry);
  }

  private storeBytes(view: DataView, at: number, size: number, value: bigint): void {
    switch (size) {
      case 1: view.setUint8(at, Number(value & 0xffn)); break;
      case 2: view.setUint16(at, Number(value & 0xffffn), true); break;
      case 4: view.setUint32(at, Number(value & 0xffff_ffffn), true); break;
      default: view.setBigUint64(at, BigInt.asUintN(64, value), true);
    }
  }
}
