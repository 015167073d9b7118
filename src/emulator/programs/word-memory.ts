// Loads and stores for the interpreter on pointer words (hi, lo) and the register's tag, without BigInts on
// the common path: an in-bounds access, at a non-negative offset, to the plain byte region the tag names
// (stack, packet, map value, global data). Everything else — scalars, freed ids, negative or out-of-bounds
// offsets, pointers that left their region, read-only regions, the ctx's virtual regions — goes through
// Memory.load/store with the pointer as a BigInt, so it is checked, rewritten and reported exactly as
// memory.ts does it.
import { retag, viewOf, type AccessSize, type Memory } from './memory.js';
import { pairToBig, splitBig, splitHi } from './word-pairs.js';

const TWO_32 = 0x1_0000_0000;

export class WordMemory {
  /** The high word of the last load(). */
  hi = 0;
  /** The tag of the last load()'s value (a spilled pointer's, a ctx packet field's, else 0). */
  tag = 0;
  // The last buffer seen and its DataView (viewOf is a WeakMap lookup; a run mostly touches one or two).
  private lastBuffer: ArrayBufferLike | null = null;
  private lastView: DataView | null = null;
  /** Where the last located access is, in lastView, and its offset in its region. */
  private at = 0;
  private offset = 0;
  /** The located region's spill tags (stacks), or undefined. */
  private tags: Int32Array | undefined = undefined;

  constructor(readonly memory: Memory) {}

  /**
   * Points lastView/at at the `size` bytes at (h, l) + off when they lie inside the plain byte region `t`
   * names and may be accessed that way; false sends the access to Memory.
   */
  private locate(t: number, h: number, l: number, off: number, size: number, write: boolean): boolean {
    if (t === 0) return false;
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
    if (hi !== t) return false;
    const region = this.memory.byteRegionOf(t);
    if (region === undefined) return false;
    lo -= region.origin ?? 0;
    if (lo < 0 || lo + size > region.size || (write && !region.writable)) return false;
    // bytes()/base() on every access: a map's slab may have been reallocated since the last one (memory.ts).
    const bytes = region.bytes();
    if (bytes.buffer !== this.lastBuffer) {
      this.lastBuffer = bytes.buffer;
      this.lastView = viewOf(bytes.buffer);
    }
    this.at = bytes.byteOffset + region.base() + lo;
    this.offset = lo;
    this.tags = region.tags;
    return true;
  }

  /** Loads `size` bytes little-endian, zero-extended: returns the low word, the high one in this.hi. */
  load(t: number, h: number, l: number, off: number, size: AccessSize): number {
    if (!this.locate(t, h, l, off, size, false)) {
      const memory = this.memory;
      const lo = splitBig(memory.load(t, BigInt.asUintN(64, pairToBig(h, l) + BigInt(off)), size));
      this.hi = splitHi;
      this.tag = memory.loadedTag;
      return lo;
    }
    const view = this.lastView!;
    const at = this.at;
    switch (size) {
      case 1: this.hi = 0; this.tag = 0; return view.getUint8(at);
      case 2: this.hi = 0; this.tag = 0; return view.getUint16(at, true);
      case 4: this.hi = 0; this.tag = 0; return view.getInt32(at, true);
      default:
        this.tag = this.tags !== undefined && (this.offset & 7) === 0 ? this.tags[this.offset >> 3]! : 0;
        this.hi = view.getInt32(at + 4, true);
        return view.getInt32(at, true);
    }
  }

  /** Stores the low `size` bytes of the value (vh, vl), tagged `vt`, little-endian. */
  store(t: number, h: number, l: number, off: number, size: AccessSize, vh: number, vl: number, vt: number): void {
    if (!this.locate(t, h, l, off, size, true)) {
      this.memory.store(t, BigInt.asUintN(64, pairToBig(h, l) + BigInt(off)), size, pairToBig(vh, vl), vt);
      return;
    }
    if (this.tags !== undefined) retag(this.tags, this.offset, size, vt);
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
