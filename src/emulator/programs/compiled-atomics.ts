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

const { Add, And, Or, Xor, Fetch, Xchg, Cmpxchg } = AtomicOp;

/** The read-modify-write ops by their imm without BPF_FETCH: the Atomics function, the operator. */
const RMW: Record<number, { fn: string; op: string }> = {
  [Add]: { fn: 'add', op: '+' },
  [And]: { fn: 'and', op: '&' },
  [Or]: { fn: 'or', op: '|' },
  [Xor]: { fn: 'xor', op: '^' },
};

/** Whether compiled code does this atomic itself: 4 or 8 bytes, a read-modify-write, xchg or cmpxchg. */
export function inlineAtomic(size: number, imm: number): boolean {
  if (size !== 4 && size !== 8) return false;
  if (imm === Xchg || imm === Cmpxchg) return true;
  const op = imm & ~Fetch;
  return (op === Add || op === And || op === Or || op === Xor) && (imm & ~(Fetch | 0xf0)) === 0;
}

/**
 * The code of one atomic (an op inlineAtomic() takes) on the int32 words `w` (an expression), whose low word is
 * at index `i`; `shared` tells whether another CPU may change them, `words64` is them as BigInt64Array then.
 * The operand is the register pair (vh, vl); cmpxchg's expected value is r0 (h0, l0). Leaves the old value in
 * (u, c): a 4-byte one zero-extended. Specialised per instruction, so each is a few lines of the body.
 */
export function atomicCode(size: 4 | 8, imm: number, w: string, shared: string, words64: string, i: string, vh: string, vl: string): string {
  if (size === 4) {
    if (imm === Cmpxchg) return `u = 0; if (${shared}) c = Atomics.compareExchange(${w}, ${i}, l0, ${vl}); else { c = ${w}[${i}]; if (c === l0) ${w}[${i}] = ${vl}; }`;
    const rmw = RMW[imm & ~Fetch]!;
    const fn = imm === Xchg ? 'exchange' : rmw.fn;
    const next = imm === Xchg ? vl : `(c ${rmw.op} ${vl}) | 0`;
    return `u = 0; if (${shared}) c = Atomics.${fn}(${w}, ${i}, ${vl}); else { c = ${w}[${i}]; ${w}[${i}] = ${next}; }`;
  }
  const hi = `${i} + 1`;
  let plain: string;
  if (imm === Cmpxchg) plain = `if (c === l0 && u === h0) { ${w}[${i}] = ${vl}; ${w}[${hi}] = ${vh}; }`;
  else if (imm === Xchg) plain = `${w}[${i}] = ${vl}; ${w}[${hi}] = ${vh};`;
  else if ((imm & ~Fetch) === Add) plain = `tq = (c >>> 0) + (${vl} >>> 0); ${w}[${i}] = tq | 0; ${w}[${hi}] = (u + ${vh} + (tq > 0xffffffff ? 1 : 0)) | 0;`;
  else {
    const { op } = RMW[imm & ~Fetch]!;
    plain = `${w}[${i}] = c ${op} ${vl}; ${w}[${hi}] = u ${op} ${vh};`;
  }
  // Shared memory's 64-bit atomics out of line (FastMemory.sharedAtomic64): a loop in the generated body
  // would make V8 optimise all of it less well.
  const atomic = `c = M.sharedAtomic64(${w}, ${words64}, ${i}, ${imm}, ${vh}, ${vl}, h0, l0); u = hiOut[0];`;
  return `if (${shared}) { ${atomic} } else { c = ${w}[${i}]; u = ${w}[${hi}]; ${plain} }`;
}
