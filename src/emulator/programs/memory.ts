// The emulator's address space. A program sees 64-bit pointers; here a pointer's bits are
//   pointer = (regionId << 32) | offset        (region ids start at 1, so 0 is NULL)
// and every register also carries a TAG: the id of the region its value was derived from (0 for a scalar).
// The tag, never the bits, decides which region an access may reach: an access through a register resolves
// the full 64-bit pointer against the base of the tagged region, so arithmetic that moves a pointer out of
// its region (by 2^32 or by anything else) reaches nothing, and a number that happens to look like a pointer
// is a scalar (kernel/bpf/verifier.c: registers have types, and only pointer types may be dereferenced).
// Tags come only from where the emulator makes pointers: ld_imm64 of a map or global, the ctx in r1, the
// frame pointer, a helper returning one (bpf_map_lookup_elem), a context's packet fields, and a stack slot
// a pointer was spilled to (ByteRegion.tags). Pointer arithmetic (add/sub of a scalar) keeps the tag.
//
// Objects of the Emulator's heap (bpf_obj_new, object-heap.ts) have ids of their own, OBJECT_BASE up.
//
// All byte access goes through load/store/atomicRmw/atomicCmpxchg so a later change can swap the
// read-modify-write bodies for `Atomics` over SharedArrayBuffer slabs without touching the interpreter.

import { OBJECT_BASE, ObjectHeap } from '../object-heap.js';

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
  /**
   * The low word of a pointer to the region's first byte (0 unless set). Packets set it to their place past
   * the run's headroom: a kernel packet pointer's low word is never 0, and clang tests a u32-loaded
   * skb->data for NULL on its low word alone.
   */
  origin?: number;
  /**
   * Stacks only: the tag of the pointer spilled in each 8-byte slot (0: none). A 64-bit aligned store of a
   * pointer records its tag; any other write over a slot clears it; a 64-bit aligned load gives it back
   * (kernel/bpf/verifier.c: a spilled register keeps its type until the slot is overwritten).
   */
  tags?: Int32Array;
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
  /** The tag of what a load at `off` returns: the packet region's for the packet pointer fields, else 0. */
  tagAt?(off: number, size: number): number;
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

/**
 * A stack: a fixed byte region that remembers the pointers spilled to it (ByteRegion.tags). The tags array
 * has one more element than slots: non-zero once any pointer was spilled, so clearSpills() is free for the
 * frames (most) that spill none.
 */
export function stackBytes(name: string, bytes: Uint8Array): ByteRegion {
  return { name, size: bytes.length, writable: true, bytes: () => bytes, base: () => 0, tags: new Int32Array(Math.ceil(bytes.length / 8) + 1) };
}

/** Forgets a stack's spilled pointers (a new frame on it). */
export function clearSpills(tags: Int32Array): void {
  if (tags[tags.length - 1] !== 0) tags.fill(0);
}

/**
 * The tag of a pointer the emulator made itself (addRegion, codePointer, a helper's result): its region id.
 * Never for a program's value: a program's registers carry their tags.
 */
export function regionTag(ptr: bigint): number {
  return Number(BigInt.asUintN(64, ptr) >> 32n) | 0;
}

/**
 * What a write of `size` bytes at `off` does to a stack's spill tags: a 64-bit aligned store of a pointer
 * records its tag, anything else clears the slots it touches.
 */
export function retag(tags: Int32Array, off: number, size: number, tag: number): void {
  if (size === 8 && (off & 7) === 0) {
    tags[off >> 3] = tag;
    if (tag !== 0) tags[tags.length - 1] = 1;
    return;
  }
  const last = (off + size - 1) >> 3;
  for (let slot = off >> 3; slot <= last; slot++) tags[slot] = 0;
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
const TWO_32 = 0x1_0000_0000;

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

const int32ByBuffer = new WeakMap<ArrayBufferLike, Int32Array>();
const int64ByBuffer = new WeakMap<SharedArrayBuffer, BigInt64Array>();
/** A buffer as int32 words, one array per buffer (Atomics on shared memory; compiled atomics on any). */
export function int32Of(buffer: ArrayBufferLike): Int32Array {
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
  /** The Emulator's object heap (bpf_obj_new), where ids OBJECT_BASE.. point; set by linkProgram. */
  objects: ObjectHeap | undefined;
  /** This memory's entries for objects of the heap, by id (each a window of the heap's bytes). */
  private readonly objectEntries = new Map<number, Entry>();
  private readonly scratches = new Map<string, ArrayBuffer>();
  // The last access's decoded location (filled by locate(); read right after, never held).
  private offset = 0;

  /**
   * At least `bytes` of this memory's scratch for `use`, the same buffer run after run (grown when too small;
   * its contents are the caller's to clear). A test run builds its skb and XDP frame in it: typed arrays past
   * a few dozen bytes live outside V8's heap, and making them per run was most of a run() call. One memory
   * serves one run at a time, and what a run leaves there is copied out before the next.
   */
  scratch(use: 'skb' | 'skb fields' | 'xdp page', bytes: number): ArrayBuffer {
    let buffer = this.scratches.get(use);
    if (buffer === undefined || buffer.byteLength < bytes) this.scratches.set(use, (buffer = new ArrayBuffer(bytes)));
    return buffer;
  }

  /** Registers a region; returns its base pointer (offset 0). */
  addRegion(region: Region, lifetime: Lifetime): bigint {
    if (lifetime === 'run') return BigInt(this.addRunRegion(region)) << 32n;
    const id = this.statics.length;
    if (id >= OBJECT_BASE) throw new RangeError('too many static regions');
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

  /**
   * A region's bytes, base or size changed in place (a packet a helper moved): caches of id → region bounds
   * (compiled-runtime.ts FastMemory) look again.
   */
  regionChanged(): void {
    this.version++;
  }

  /** Whether region id `hi` (a pointer's high word, unsigned or int32) is a live run region, or a static id. */
  isLive(hi: number): boolean {
    const id = hi >>> 0;
    if (id >= OBJECT_BASE && id < RUN_BASE) return this.objects?.isLive(id) ?? false;
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

  /** The region a tagged pointer falls in and its offset there, or undefined (scalar, freed, out of range). */
  regionOf(tag: number, ptr: bigint): { region: Region; offset: number } | undefined {
    const entry = this.find(tag, ptr);
    if (entry === undefined || !(this.offset >= 0 && this.offset <= entry.region.size)) return undefined;
    return { region: entry.region, offset: this.offset };
  }

  /** The payload of a handle region (a map pointer from ld_imm64), for helpers. */
  handleOf(tag: number, ptr: bigint): unknown {
    return this.handleAt(tag, Number(ptr >> 32n) | 0, Number(ptr & OFFSET_MASK) | 0);
  }

  /** handleOf() of the pointer whose words (unsigned or int32) are hi, lo. */
  handleAt(tag: number, hi: number, lo: number): unknown {
    const entry = this.resolve(tag, hi, lo);
    if (entry === undefined || entry.kind !== Kind.Handle || this.offset !== 0) {
      throw new ProgramFault(`${hex(wordsToPtr(hi, lo))} is not a handle pointer`);
    }
    return (entry.region as HandleRegion).handle;
  }

  /**
   * The byte region of an id (a pointer's tag), for the executors' fast paths; undefined for anything else
   * (0, virtual and handle regions, freed ids).
   */
  byteRegionOf(id: number): ByteRegion | undefined {
    const entry = this.entryOf(id);
    return entry?.kind === Kind.Bytes ? (entry.region as ByteRegion) : undefined;
  }

  /** The virtual region of an id, or undefined (as byteRegionOf). */
  virtualRegionOf(id: number): VirtualRegion | undefined {
    const entry = this.entryOf(id);
    return entry?.kind === Kind.Virtual ? (entry.region as VirtualRegion) : undefined;
  }

  /** The pointer of a code address (static, one per owner and instruction); its tag is regionTag(pointer). */
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
  codeOf(tag: number, ptr: bigint): CodeAddress {
    const handle = this.regionOf(tag, ptr) === undefined ? undefined : this.handleOf(tag, ptr);
    if (!(handle instanceof CodeAddress)) throw new ProgramFault(`${hex(ptr)} is not a code pointer`);
    return handle;
  }

  /** The tag of what the last load() returned: a spilled pointer's, a ctx packet field's, else 0. */
  loadedTag = 0;

  /** Loads `size` bytes little-endian, zero-extended, through a pointer tagged `tag`. */
  load(tag: number, ptr: bigint, size: AccessSize): bigint {
    const entry = this.checked(tag, ptr, size, 'read');
    const off = this.offset;
    if (entry.kind === Kind.Virtual) {
      const region = entry.region as VirtualRegion;
      const value = BigInt.asUintN(64, region.load(off, size));
      this.loadedTag = region.tagAt?.(off, size) ?? 0;
      return value;
    }
    const tags = (entry.region as ByteRegion).tags;
    this.loadedTag = tags !== undefined && size === 8 && (off & 7) === 0 ? tags[off >> 3]! : 0;
    const view = this.viewAt(entry);
    const at = this.offset;
    switch (size) {
      case 1: return BigInt(view.getUint8(at));
      case 2: return BigInt(view.getUint16(at, true));
      case 4: return BigInt(view.getUint32(at, true));
      default: return view.getBigUint64(at, true);
    }
  }

  /** Stores the low `size` bytes of value, little-endian; `valueTag` is the stored register's tag. */
  store(tag: number, ptr: bigint, size: AccessSize, value: bigint, valueTag = 0): void {
    const entry = this.checked(tag, ptr, size, 'write');
    if (entry.kind === Kind.Virtual) {
      (entry.region as VirtualRegion).store(this.offset, size, BigInt.asUintN(size * 8, value), BigInt.asUintN(64, value));
      return;
    }
    const tags = (entry.region as ByteRegion).tags;
    if (tags !== undefined) retag(tags, this.offset, size, valueTag);
    this.storeBytes(this.viewAt(entry), this.offset, size, value);
  }

  /** Read-modify-write (atomic add/and/or/xor/xchg) of 4 or 8 bytes; returns the old value. */
  atomicRmw(op: AtomicRmwOp, tag: number, ptr: bigint, size: 4 | 8, value: bigint): bigint {
    const view = this.atomicView(tag, ptr, size);
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
  atomicCmpxchg(tag: number, ptr: bigint, size: 4 | 8, expected: bigint, desired: bigint): bigint {
    const view = this.atomicView(tag, ptr, size);
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
   * view() without allocating: the whole backing store of the `len` bytes at the pointer with words hi, lo
   * tagged `tag`; they start at `located`. Read them at once (as view()'s).
   */
  locate(tag: number, hi: number, lo: number, len: number, access: 'read' | 'write' = 'read'): Uint8Array {
    const entry = this.checkedWords(tag, hi, lo, len, access);
    if (entry.kind !== Kind.Bytes) throw new ProgramFault(`${access} of ${len} bytes from ${entry.region.name}: not plain memory`);
    const region = entry.region as ByteRegion;
    if (access === 'write' && region.tags !== undefined) retag(region.tags, this.offset, len, 0);
    this.located = region.base() + this.offset;
    return region.bytes();
  }
  /** Where locate()'s bytes start. */
  located = 0;

  /** A COPY of `len` bytes at ptr (helpers: keys, values, strings). */
  read(tag: number, ptr: bigint, len: number): Uint8Array {
    return this.view(tag, ptr, len, 'read').slice();
  }

  /**
   * The bytes at ptr IN PLACE (a subarray of the backing store): valid until the region's slab is
   * reallocated, so use it at once. Byte regions only. A write view clears the stack slots it covers.
   */
  view(tag: number, ptr: bigint, len: number, access: 'read' | 'write' = 'read'): Uint8Array {
    const bytes = this.locate(tag, Number(ptr >> 32n) | 0, Number(ptr & OFFSET_MASK) | 0, len, access);
    return bytes.subarray(this.located, this.located + len);
  }

  write(tag: number, ptr: bigint, bytes: Uint8Array): void {
    this.view(tag, ptr, bytes.length, 'write').set(bytes);
  }

  // ---- internals ----

  /** The entry of region `id` (live run regions and static ones), or undefined. */
  private entryOf(id: number): Entry | undefined {
    const u = id >>> 0;
    if (u >= RUN_BASE) return u - RUN_BASE < this.runCount ? this.runs[u - RUN_BASE] : undefined;
    if (u >= OBJECT_BASE) return this.objectEntry(u);
    return u > 0 ? this.statics[u] : undefined;
  }

  /** The entry of a live object of the heap (a freed one's pointers reach nothing), made once per id and size. */
  private objectEntry(id: number): Entry | undefined {
    const heap = this.objects;
    const size = heap === undefined ? -1 : heap.sizeOf(id);
    if (heap === undefined || size < 0) return undefined;
    let entry = this.objectEntries.get(id);
    if (entry === undefined || entry.region.size !== size) {
      const bytes = heap.bytes;
      const offset = ObjectHeap.payloadOffset(id);
      const region: ByteRegion = { name: `object of ${size} bytes`, size, writable: true, bytes: () => bytes, base: () => offset };
      this.objectEntries.set(id, (entry = newEntry(region)));
      this.version++;
    }
    return entry;
  }

  private find(tag: number, ptr: bigint): Entry | undefined {
    return this.resolve(tag, Number(ptr >> 32n) | 0, Number(ptr & OFFSET_MASK) | 0);
  }

  /**
   * The region `tag` names, with the offset of the pointer (hi, lo) from its first byte in this.offset: the exact
   * 64-bit difference when it is within ±2^32, NaN (out of bounds) beyond. Undefined for a scalar (tag 0)
   * or a region that no longer exists.
   */
  private resolve(tag: number, hi: number, lo: number): Entry | undefined {
    const id = tag >>> 0;
    if (id === 0) return undefined;
    const h = hi >>> 0;
    if (h === id) this.offset = lo >>> 0;
    else if (h === id - 1) this.offset = (lo >>> 0) - TWO_32;
    else this.offset = Number.NaN;
    const entry = this.entryOf(id);
    if (entry?.kind === Kind.Bytes) this.offset -= (entry.region as ByteRegion).origin ?? 0;
    return entry;
  }

  private checked(tag: number, ptr: bigint, size: number, access: 'read' | 'write'): Entry {
    return this.checkedWords(tag, Number(ptr >> 32n) | 0, Number(ptr & OFFSET_MASK) | 0, size, access);
  }

  private checkedWords(tag: number, hi: number, lo: number, size: number, access: 'read' | 'write'): Entry {
    const entry = this.resolve(tag, hi, lo);
    if (entry === undefined) {
      const ptr = wordsToPtr(hi, lo);
      throw new ProgramFault(tag === 0
        ? `invalid ${access} of ${size} bytes at ${hex(ptr)}: not a pointer (NULL or scalar)`
        : `invalid ${access} of ${size} bytes at ${hex(ptr)}: no such region (freed or never mapped)`);
    }
    const region = entry.region;
    if (entry.kind === Kind.Handle) throw new ProgramFault(`invalid ${access} of ${region.name}: not memory`);
    const off = this.offset;
    if (!(off >= 0 && off + size <= region.size)) {
      // Beyond ±2^32 of its region the offset is told exactly: the pointer left the region it came from.
      const at = Number.isNaN(off) ? BigInt.asIntN(64, wordsToPtr(hi, lo) - (BigInt(tag >>> 0) << 32n)).toString() : String(off);
      throw new ProgramFault(`invalid ${access} of ${size} bytes at offset ${at} of ${region.name} (size ${region.size})`);
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

  private atomicView(tag: number, ptr: bigint, size: 4 | 8): DataView {
    const entry = this.checked(tag, ptr, size, 'write');
    // kernel/bpf/verifier.c check_atomic: atomics only on plain memory (not ctx, not packet), aligned.
    if (entry.kind !== Kind.Bytes) throw new ProgramFault(`atomic access to ${entry.region.name}: not plain memory`);
    if (this.offset % size !== 0) throw new ProgramFault(`misaligned atomic access at offset ${this.offset} of ${entry.region.name}`);
    const tags = (entry.region as ByteRegion).tags;
    if (tags !== undefined) retag(tags, this.offset, size, 0);
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
