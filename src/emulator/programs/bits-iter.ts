// The bits iterator (kernel/bpf/helpers.c bpf_iter_bits_new, _next, _destroy; 6.11+): the set bits of a copy
// of up to 511 words, in order. Its state is the program's 16-byte struct bpf_iter_bits on the stack, laid out
// as struct bpf_iter_bits_kern: the bits themselves (64 of them) or where the copy is, nr_bits, the last bit.
import type { Vm } from './interpreter.js';
import { ProgramFault } from './memory.js';
import { errnoByCode } from '../../uapi/errno.js';

/** include/linux/bpf.h BITS_ITER_NR_WORDS_MAX */
const BITS_ITER_NR_WORDS_MAX = 511;
const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const NR_BITS = 8;
const BIT = 12;

/** The copies of more than 64 bits, by the iterator's address (the kernel's bpf_mem_alloc'd kit->bits). */
const copies = new WeakMap<Vm, Map<bigint, Uint8Array>>();

/** bpf_iter_bits_new(it, unsafe_ptr__ign, nr_words): 0, -EINVAL, -E2BIG or -EFAULT (the read of the words). */
export function iterBitsNew(vm: Vm): bigint {
  const { regs: r, tags: t, memory: mem } = vm;
  mem.store(t[1]!, r[1]!, 8, 0n);
  mem.store(t[1]!, r[1]! + BigInt(NR_BITS), 4, 0n);
  mem.store(t[1]!, r[1]! + BigInt(BIT), 4, 0xffffffffn);
  copies.get(vm)?.delete(r[1]!);
  const nrWords = Number(BigInt.asUintN(32, r[3]!));
  if (r[2] === 0n || nrWords === 0) return u64(-errnoByCode.EINVAL);
  if (nrWords > BITS_ITER_NR_WORDS_MAX) return u64(-errnoByCode.E2BIG);
  let bits: Uint8Array;
  try {
    // bpf_probe_read_kernel_common: an address the program may not read is EFAULT, not a fault of the run.
    bits = mem.read(t[2]!, r[2]!, nrWords * 8).slice();
  } catch (e) {
    if (e instanceof ProgramFault) return u64(-errnoByCode.EFAULT);
    throw e;
  }
  if (nrWords === 1) mem.write(t[1]!, r[1]!, bits);
  else {
    let byIt = copies.get(vm);
    if (!byIt) copies.set(vm, (byIt = new Map()));
    byIt.set(r[1]!, bits);
  }
  mem.store(t[1]!, r[1]! + BigInt(NR_BITS), 4, BigInt(nrWords * 64));
  return 0n;
}

/** bpf_iter_bits_next(it): a pointer to the next set bit's index (in the iterator), or NULL at the end. */
export function iterBitsNext(vm: Vm): bigint {
  const { regs: r, tags: t, memory: mem } = vm;
  const nrBits = Number(mem.load(t[1]!, r[1]! + BigInt(NR_BITS), 4));
  let bit = Number(BigInt.asIntN(32, mem.load(t[1]!, r[1]! + BigInt(BIT), 4)));
  vm.r0Tag = 0;
  if (nrBits === 0 || bit >= nrBits) return 0n;
  const bits = nrBits === 64 ? mem.read(t[1]!, r[1]!, 8) : copies.get(vm)?.get(r[1]!);
  if (!bits) throw new ProgramFault('bpf_iter_bits_next of an iterator bpf_iter_bits_new did not make');
  // find_next_bit over little-endian words: bit i is bit i % 8 of byte i / 8.
  for (bit++; bit < nrBits && !((bits[bit >> 3]! >> (bit & 7)) & 1); bit++);
  mem.store(t[1]!, r[1]! + BigInt(BIT), 4, BigInt(Math.min(bit, nrBits)));
  if (bit >= nrBits) return 0n;
  vm.r0Tag = t[1]!;
  return r[1]! + BigInt(BIT);
}

/** bpf_iter_bits_destroy(it): the copy of more than 64 bits goes. */
export function iterBitsDestroy(vm: Vm): bigint {
  copies.get(vm)?.delete(vm.regs[1]!);
  return 0n;
}
