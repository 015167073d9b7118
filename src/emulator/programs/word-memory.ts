// Loads and stores for the interpreter on pointer words (hi, lo), without BigInts on the common path: an
// in-bounds access to a plain byte region (stack, packet, map value, global data). Everything else — NULL,
// scalars, freed ids, negative or out-of-bounds offsets, read-only regions, the ctx's virtual regions —
// goes through Memory.load/store with the pointer as a BigInt, so it is checked, rewritten and reported
// exactly as memory.ts does it.
import { viewOf, type AccessSize, type Memory } from './memory.js';
import { pairToBig, splitBig, splitHi } from './word-pairs.js';

const TWO_32 = 0x1_0000_0000;
/** memory.ts reads offset words at or above 2^31 as negative offsets from the next id: always a fault. */
const NEGATIVE_FROM = 0x8000_0000;

export class WordMemory {
  /** The high word of the last load(). */
  hi = 0;
  // The last buffer seen and its DataView (viewOf is a WeakMap lookup; a run mostly touches one or two).
  private lastBuffer: ArrayBufferLike | null = null;
  private lastView: DataView | null = null;
  /** Where the last located access is, in lastView. */
  private at = 0;

  constructor(readonly memory: Memory) {}

  /**
   * Points lastView/at at the `size` bytes at (h, l) + off when they lie inside a plain byte region and may
   * be accessed that way; false sends the access to Memory.
   */
  private locate(h: number, l: number, off: number, size: number, write: boolean): boolean {
    // The 64-bit sum pointer + off: off is the insn's s16, so at most one carry or borrow into the high word.
    let lo = (l >>> 0) + off;
    let hi = h;
    if (lo < 0) {
      lo += TWO_32;
      hi = (hi - 1) | 0;
    } else if (lo >= TWO_32) {
      lo -= TWO_32;
      hi = (hi + 1) | 0;
    }
    if (hi === 0 || lo >= NEGATIVE_FROM) return false;
    const region = this.memory.byteRegionOf(hi);
    if (region === undefined || lo + size > region.size || (write && !region.writable)) return false;
    // bytes()/base() on every access: a map's slab may have been reallocated since the last one (memory.ts).
    const bytes = region.bytes();
    if (bytes.buffer !== this.lastBuffer) {
      this.lastBuffer = bytes.buffer;
      this.lastView = viewOf(bytes.buffer);
    }
    this.at = bytes.byteOffset + region.base() + lo;
    return true;
  }

  /** Loads `size` bytes little-endian, zero-extended: returns the low word, the high one in this.hi. */
  load(h: number, l: number, off: number, size: AccessSize): number {
    if (!this.locate(h, l, off, size, false)) {
      const lo = splitBig(this.memory.load(BigInt.asUintN(64, pairToBig(h, l) + BigInt(off)), size));
      this.hi = splitHi;
      return lo;
    }
    const view = this.lastView!;
    const at = this.at;
    switch (size) {
      case 1: this.hi = 0; return view.getUint8(at);
      case 2: this.hi = 0; return view.getUint16(at, true);
      case 4: this.hi = 0; return view.getInt32(at, true);
      default:
        this.hi = view.getInt32(at + 4, true);
        return view.getInt32(at, true);
    }
  }

  /** Stores the low `size` bytes of the value (vh, vl), little-endian. */
  store(h: number, l: number, off: number, size: AccessSize, vh: number, vl: number): void {
    if (!this.locate(h, l, off, size, true)) {
      this.memory.store(BigInt.asUintN(64, pairToBig(h, l) + BigInt(off)), size, pairToBig(vh, vl));
      return;
    }
    const view = this.lastView!;
    const at = this.at;
    switch (size) {
      case 1: view.setUint8(at, vl & 0xff); return;
      case 2: view.setUint16(at, vl & 0xffff, true); return;
      case 4: view.setInt32(at, vl, true); return;
      default:
        view.setInt32(at, vl, true);
        view.setInt32(at + 4, vh, true);
    }
  }
}
