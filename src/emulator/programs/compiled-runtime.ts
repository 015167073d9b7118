// What compiled programs (compiler.ts) call at run time. Registers there are pairs of int32 words (hi, lo):
// the arithmetic V8 runs fastest (measured on Node 20: a 64-bit multiply/xor/shift loop runs ~10x faster
// on int32 pairs than on BigInt.asUintN(64, ...)). Functions that produce a 64-bit value return the low
// word and leave the high word in `hiOut[0]`. Every rule here restates interpreter.ts, which cites the
// kernel: the two must agree bit for bit, and the differential tests hold them to it.
import { sizeBytes, AtomicOp } from './isa.js';
import { Memory, ProgramFault, type AccessSize, type AtomicRmwOp, type ByteRegion } from './memory.js';

/** The high word of the last 64-bit result a runtime function returned. */
export const hiOut = new Int32Array(1);

/** The unsigned 64-bit BigInt of a register pair. */
export const big = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);

/** Splits an unsigned 64-bit BigInt: returns the low word, the high one in hiOut. */
export function split(v: bigint): number {
  hiOut[0] = Number(v >> 32n);
  return Number(v & 0xffff_ffffn) | 0;
}

/** Records the faulting instruction (first wins, as the interpreter's catch does) and returns the error. */
export function faultAt(e: unknown, pc: number): unknown {
  if (e instanceof ProgramFault) e.at(pc);
  return e;
}

export const fault = (reason: string, pc: number): ProgramFault => new ProgramFault(reason).at(pc);

export const unknownOpcode = (code: number, pc: number): ProgramFault =>
  fault(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`, pc);

// ---- 64-bit arithmetic on pairs ----

/** The low 64 bits of a * b (core.c ALU64_MUL). */
export function mul64(ah: number, al: number, bh: number, bl: number): number {
  // The 64-bit product of the low words from 16-bit halves (each partial product < 2^32, exact in a double),
  // then the cross terms, which only reach the high word.
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + (p00 >>> 16);
  hiOut[0] = (a1 * b1 + Math.floor(mid / 65536) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
  return Math.imul(al, bl);
}

/** ALU64 shifts by a register (core.c masks the amount with 63). */
export function lsh64(h: number, l: number, s: number): number {
  s &= 63;
  if (s === 0) { hiOut[0] = h; return l; }
  if (s < 32) { hiOut[0] = (h << s) | (l >>> (32 - s)); return l << s; }
  hiOut[0] = l << (s - 32);
  return 0;
}
export function rsh64(h: number, l: number, s: number): number {
  s &= 63;
  if (s === 0) { hiOut[0] = h; return l; }
  if (s < 32) { hiOut[0] = h >>> s; return (l >>> s) | (h << (32 - s)); }
  hiOut[0] = 0;
  return (h >>> (s - 32)) | 0;
}
export function arsh64(h: number, l: number, s: number): number {
  s &= 63;
  if (s === 0) { hiOut[0] = h; return l; }
  if (s < 32) { hiOut[0] = h >> s; return (l >>> s) | (h << (32 - s)); }
  hiOut[0] = h >> 31;
  return h >> (s - 32);
}

/** ALU64 DIV/MOD, off 0 (unsigned) or 1 (signed), with the verifier's rewrites (see interpreter.ts alu64). */
export function div64(ah: number, al: number, bh: number, bl: number, signed: boolean, mod: boolean): number {
  if (!signed && (ah | bh) === 0) {
    // Both fit in 32 bits: exact in doubles.
    const a = al >>> 0;
    const b = bl >>> 0;
    hiOut[0] = 0;
    if (b === 0) return mod ? al : 0; // do_misc_fixups: "Rx div 0 -> 0", "Rx mod 0 -> Rx"
    return (mod ? a % b : Math.floor(a / b)) | 0;
  }
  const a = big(ah, al);
  const b = big(bh, bl);
  if (!signed) {
    if (b === 0n) return split(mod ? a : 0n);
    return split(mod ? a % b : a / b);
  }
  const sa = BigInt.asIntN(64, a);
  const sb = BigInt.asIntN(64, b);
  if (sb === 0n) return split(mod ? a : 0n);
  if (sb === -1n) return split(mod ? 0n : BigInt.asUintN(64, -a));
  return split(BigInt.asUintN(64, mod ? sa % sb : sa / sb));
}

/** ALU (32-bit) DIV/MOD on the low words; the result is a u32 bit pattern (see interpreter.ts alu32). */
export function div32(a: number, b: number, signed: boolean, mod: boolean): number {
  if (!signed) {
    const ua = a >>> 0;
    const ub = b >>> 0;
    if (ub === 0) return mod ? a : 0;
    return (mod ? ua % ub : Math.floor(ua / ub)) | 0;
  }
  const sb = b | 0;
  if (sb === 0) return mod ? a : 0;
  if (sb === -1) return mod ? 0 : -a | 0;
  return (mod ? (a | 0) % sb : Math.trunc((a | 0) / sb)) | 0;
}

const swapView = new DataView(new ArrayBuffer(8));
export function bswap32(v: number): number {
  swapView.setInt32(0, v, true);
  return swapView.getInt32(0, false);
}
export const bswap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);

// ---- memory ----

/**
 * Byte access for compiled code, with an inline cache per memory instruction: the region behind a
 * pointer's high word is looked up once per run (region ids are stable within a run: run regions are only
 * added until execute() returns), bytes()/base() are still asked on every access as memory.ts requires
 * (a map's slab may be reallocated). Anything unusual — NULL, a virtual (ctx) region, an offset outside
 * [0, 2^31), out of bounds, read-only — takes Memory's own path, so faults carry its exact messages.
 */
export class FastMemory {
  memory: Memory;
  private readonly ids: Int32Array;
  private readonly regions: (ByteRegion | null)[];
  private readonly buffers: (ArrayBufferLike | null)[];
  private readonly views: (DataView | null)[];
  /** The view the last locate() resolved. */
  private view: DataView = swapView;

  constructor(memory: Memory, slots: number) {
    this.memory = memory;
    this.ids = new Int32Array(slots);
    this.regions = new Array<ByteRegion | null>(slots).fill(null);
    this.buffers = new Array<ArrayBufferLike | null>(slots).fill(null);
    this.views = new Array<DataView | null>(slots).fill(null);
  }

  /** Forgets every cached region: a new run (its run regions reuse the ids of the last one's). */
  reset(memory: Memory): void {
    this.memory = memory;
    this.ids.fill(0);
    this.regions.fill(null);
  }

  /** The absolute byte index of an in-bounds access, or -1 for Memory's path. */
  private locate(k: number, h: number, l: number, off: number, size: number, write: boolean): number {
    const lo = (l >>> 0) + off;
    const region = this.ids[k] === h ? this.regions[k]! : this.lookup(k, h);
    // Offsets from 2^31 up are negative ones from the next region id (memory.ts): Memory's path.
    if (region === null || lo < 0 || lo >= 0x8000_0000 || lo + size > region.size || (write && !region.writable)) return -1;
    const bytes = region.bytes();
    const buffer = bytes.buffer;
    if (buffer !== this.buffers[k]) return this.refresh(k, buffer, bytes.byteOffset + region.base() + lo);
    this.view = this.views[k]!;
    return bytes.byteOffset + region.base() + lo;
  }

  private refresh(k: number, buffer: ArrayBufferLike, at: number): number {
    this.buffers[k] = buffer;
    this.view = this.views[k] = new DataView(buffer);
    return at;
  }

  private lookup(k: number, h: number): ByteRegion | null {
    const found = h === 0 ? undefined : this.memory.regionOf(BigInt(h >>> 0) << 32n);
    const region = found !== undefined && 'bytes' in found.region ? found.region : null;
    this.ids[k] = h;
    this.regions[k] = region;
    return region;
  }

  /** Loads `size` bytes zero-extended: returns the low word, the high word in hiOut. */
  load(k: number, h: number, l: number, off: number, size: AccessSize, pc: number): number {
    const at = this.locate(k, h, l, off, size, false);
    if (at < 0) return this.slowLoad(h, l, off, size, pc);
    const view = this.view;
    switch (size) {
      case 1: hiOut[0] = 0; return view.getUint8(at);
      case 2: hiOut[0] = 0; return view.getUint16(at, true);
      case 4: hiOut[0] = 0; return view.getInt32(at, true);
      default:
        hiOut[0] = view.getInt32(at + 4, true);
        return view.getInt32(at, true);
    }
  }

  /** Stores the low `size` bytes of (vh, vl). */
  store(k: number, h: number, l: number, off: number, size: AccessSize, vh: number, vl: number, pc: number): void {
    const at = this.locate(k, h, l, off, size, true);
    if (at < 0) {
      this.slowStore(h, l, off, size, vh, vl, pc);
      return;
    }
    const view = this.view;
    switch (size) {
      case 1: view.setUint8(at, vl & 0xff); return;
      case 2: view.setUint16(at, vl & 0xffff, true); return;
      case 4: view.setInt32(at, vl, true); return;
      default:
        view.setInt32(at, vl, true);
        view.setInt32(at + 4, vh, true);
    }
  }

  private slowLoad(h: number, l: number, off: number, size: AccessSize, pc: number): number {
    try {
      return split(this.memory.load(BigInt.asUintN(64, big(h, l) + BigInt(off)), size));
    } catch (e) {
      throw faultAt(e, pc);
    }
  }

  private slowStore(h: number, l: number, off: number, size: AccessSize, vh: number, vl: number, pc: number): void {
    try {
      this.memory.store(BigInt.asUintN(64, big(h, l) + BigInt(off)), size, big(vh, vl));
    } catch (e) {
      throw faultAt(e, pc);
    }
  }
}

const rmwOps: Record<number, AtomicRmwOp> = {
  [AtomicOp.Add]: 'add', [AtomicOp.And]: 'and', [AtomicOp.Or]: 'or', [AtomicOp.Xor]: 'xor',
};

/**
 * BPF_STX | BPF_ATOMIC exactly as interpreter.ts atomic() does it (through Memory, so shared map memory
 * gets real Atomics). `regs` holds r0, dst and src as BigInts; returns the value of the register the
 * instruction writes (r0 for cmpxchg, src for fetches, dst for load-acquire), or undefined.
 */
export function atomic(memory: Memory, code: number, imm: number, dstPtr: bigint, src: bigint, r0: bigint, off: number, pc: number): bigint | undefined {
  try {
    const size: AccessSize = sizeBytes(code);
    if (imm === AtomicOp.LoadAcq) return memory.load(BigInt.asUintN(64, src + BigInt(off)), size);
    const addr = BigInt.asUintN(64, dstPtr + BigInt(off));
    if (imm === AtomicOp.StoreRel) {
      memory.store(addr, size, src);
      return undefined;
    }
    if (size !== 4 && size !== 8) throw unknownOpcode(code, pc);
    if (imm === AtomicOp.Cmpxchg) return memory.atomicCmpxchg(addr, size, r0, src);
    if (imm === AtomicOp.Xchg) return memory.atomicRmw('xchg', addr, size, src);
    const op = rmwOps[imm & ~AtomicOp.Fetch];
    if (op === undefined || (imm & ~0xf1) !== 0) throw new ProgramFault(`unknown atomic op 0x${imm.toString(16)}`);
    const old = memory.atomicRmw(op, addr, size, src);
    return imm & AtomicOp.Fetch ? old : undefined;
  } catch (e) {
    throw faultAt(e, pc);
  }
}
