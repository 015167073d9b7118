// What compiled code runs for BPF_STX | BPF_ATOMIC of 4 and 8 bytes (compiler.ts stx): add, and, or, xor
// (with and without BPF_FETCH), xchg and cmpxchg on int32 words, without BigInts, with the semantics of
// interpreter.ts atomic() (memory.ts atomicRmw/atomicCmpxchg), which the differential tests hold it to.
//
// A stack or a test buffer belongs to one CPU: its atomics are plain reads and writes of the words. Map
// memory is shared with the other emulated CPUs, which change it at the same time, so there an atomic must be
// one indivisible step, as the kernel's `lock`-prefixed instruction is (arch/x86/net/bpf_jit_comp.c
// emit_atomic_rmw). JavaScript has 32-bit Atomics on int32 words and 64-bit ones only on BigInts, so:
//  - 32 bits: Atomics.add/and/or/xor/exchange/compareExchange on the word.
//  - 64-bit add without fetch: one Atomics.compareExchange on the low word, when the high word does not
//    change (high half of the operand plus the carry is 0 mod 2^32: adding a small positive or negative
//    number, no carry across 2^32). Then the 64-bit value goes from (hi, lo) to (hi, lo + v) in one step
//    whatever hi is: no other CPU's atomic (of either size) can see a half-done add or lose an update.
//    When the high word would change, adding to the two halves in two steps would not do: between them
//    another CPU's 64-bit cmpxchg/xchg/fetch could see a value that never was, and an xchg there would get
//    the carry added to what it stored. That add takes one 64-bit Atomics.add (BigInt).
//  - 64-bit and/or/xor without fetch: one 32-bit Atomics op on the half the operand changes, when the other
//    half of the operand leaves its half as it is (and with -1, or/xor with 0); else one 64-bit op (BigInt).
//  - 64-bit fetch ops, xchg and cmpxchg: always one 64-bit Atomics op (BigInt). They return the whole old
//    value, read in the same indivisible step as the write: 32-bit Atomics cannot read two words at once
//    (reading the high word before and after a 32-bit step would miss a change and its undoing in between).
// A 32-bit Atomics op on one half and a 64-bit one on the whole word are hardware atomics on the same
// aligned 8 bytes (lock cmpxchg/xadd on x86-64; exclusive pairs on arm64, which one another's stores break),
// so they exclude each other as the kernel's 32- and 64-bit atomics on one value do.
import { AtomicOp } from '../../uapi/isa.js';
import { hiOut, type FastMemory } from './compiled-runtime.js';

const { Add, And, Or, Xor, Fetch, Xchg, Cmpxchg } = AtomicOp;

/** Whether compiled code does this atomic itself: 4 or 8 bytes, a read-modify-write, xchg or cmpxchg. */
export function inlineAtomic(size: number, imm: number): boolean {
  if (size !== 4 && size !== 8) return false;
  if (imm === Xchg || imm === Cmpxchg) return true;
  const op = imm & ~Fetch;
  return (op === Add || op === And || op === Or || op === Xor) && (imm & ~(Fetch | 0xf0)) === 0;
}

/**
 * One atomic of `size` bytes at (h, l) + off through a pointer tagged `t` (an op inlineAtomic() takes),
 * with operand (vh, vl) and, for cmpxchg, the expected value (eh, el): returns the old value's low word,
 * its high word in hiOut (a 4-byte one zero-extended), with M.hit set. When the access is not one compiled
 * code may do itself (FastMemory.atomicRegion), M.hit is clear and nothing happened: the caller takes
 * Memory's path. FastMemory's region cache holds across runs, so a map value's atomics find it at once.
 */
export function fastAtomic(M: FastMemory, t: number, h: number, l: number, off: number, size: 4 | 8, imm: number,
  vh: number, vl: number, eh: number, el: number): number {
  if (!M.atomicRegion(t, h, l, off, size)) return 0;
  // An atomic clears the stack slot it writes: what is there is no longer a spilled pointer (memory.ts retag).
  if (M.tags !== null) M.tags[M.rel >> 3] = 0;
  const words = M.words;
  const i = (M.base + M.rel) >> 2;
  if (size === 4) {
    hiOut[0] = 0;
    if (M.shared) {
      switch (imm) {
        case Cmpxchg: return Atomics.compareExchange(words, i, el, vl);
        case Xchg: return Atomics.exchange(words, i, vl);
        default: switch (imm & ~Fetch) {
          case Add: return Atomics.add(words, i, vl);
          case And: return Atomics.and(words, i, vl);
          case Or: return Atomics.or(words, i, vl);
          default: return Atomics.xor(words, i, vl);
        }
      }
    }
    const old = words[i]!;
    switch (imm) {
      case Cmpxchg: if (old === el) words[i] = vl; break;
      case Xchg: words[i] = vl; break;
      default: switch (imm & ~Fetch) {
        case Add: words[i] = (old + vl) | 0; break;
        case And: words[i] = old & vl; break;
        case Or: words[i] = old | vl; break;
        default: words[i] = old ^ vl;
      }
    }
    return old;
  }
  if (M.shared) return M.sharedAtomic64(words, M.words64!, i, imm, vh, vl, eh, el);
  const lo = words[i]!;
  const hi = words[i + 1]!;
  hiOut[0] = hi;
  switch (imm) {
    case Cmpxchg:
      if (lo === el && hi === eh) {
        words[i] = vl;
        words[i + 1] = vh;
      }
      break;
    case Xchg:
      words[i] = vl;
      words[i + 1] = vh;
      break;
    default: switch (imm & ~Fetch) {
      case Add: {
        const sum = (lo >>> 0) + (vl >>> 0);
        words[i] = sum | 0;
        words[i + 1] = (hi + vh + (sum > 0xffff_ffff ? 1 : 0)) | 0;
        break;
      }
      case And: words[i] = lo & vl; words[i + 1] = hi & vh; break;
      case Or: words[i] = lo | vl; words[i + 1] = hi | vh; break;
      default: words[i] = lo ^ vl; words[i + 1] = hi ^ vh;
    }
  }
  return lo;
}
