// Objects a program allocates (bpf_obj_new) and keeps in a map value's kptr field between runs
// (bpf_kptr_xchg): kernel/bpf/helpers.c bpf_obj_new_impl, bpf_obj_drop_impl, bpf_kptr_xchg, over the
// Emulator's object heap (object-heap.ts), which every emulated CPU shares.
import type { ObjectHeap } from '../object-heap.js';
import type { Vm } from './interpreter.js';
import { int64Of, ProgramFault } from './memory.js';

const heapOf = (vm: Vm): ObjectHeap => {
  const heap = vm.memory.objects;
  if (heap === undefined) throw new ProgramFault('objects need the Emulator\'s object heap (a program linked without one)');
  return heap;
};

/** An object's pointer: its id in the high word, offset 0. */
const pointerOf = (id: number): bigint => BigInt(id >>> 0) << 32n;

/** The id of the object register `r` points to the start of, or a fault (the verifier proved it one). */
function objectArg(vm: Vm, r: number, what: string): number {
  const id = vm.tags[r]! >>> 0;
  if (!heapOf(vm).isLive(id) || vm.regs[r] !== pointerOf(id)) throw new ProgramFault(`${what} of 0x${vm.regs[r]!.toString(16)}, not an object bpf_obj_new made`);
  return id;
}

/**
 * bpf_obj_new_impl(local_type_id__k, meta__ign): a zeroed object of the struct's size (fixup_kfunc_call passes
 * it), or NULL when the allocator has no room. bpf_mem_alloc's bytes are whatever the last user left, which a
 * verified program cannot rely on; bpf_obj_init zeroes the special fields: here every byte is zero.
 */
export function objNew(vm: Vm): bigint {
  const size = vm.program.allocSizes?.get(Number(vm.regs[1]!));
  if (size === undefined) throw new ProgramFault(`bpf_obj_new of type id ${vm.regs[1]!}, not a struct of the program's BTF`);
  const id = heapOf(vm).alloc(size);
  vm.r0Tag = id;
  return id === 0 ? 0n : pointerOf(id);
}

/** bpf_obj_drop_impl(p__alloc, meta__ign): the object is freed; a pointer kept to it faults from now on. */
export function objDrop(vm: Vm): bigint {
  heapOf(vm).free(objectArg(vm, 1, 'bpf_obj_drop'));
  return 0n;
}

/**
 * bpf_kptr_xchg(map_value, ptr): the field's object out, `ptr` (an object or NULL) in, atomically (xchg);
 * r0 takes the reference the field held (the verifier's acquired reference), NULL when it held none.
 */
export function kptrXchg(vm: Vm): bigint {
  const heap = heapOf(vm);
  const next = vm.regs[2] === 0n ? 0n : pointerOf(objectArg(vm, 2, 'bpf_kptr_xchg'));
  const field = vm.memory.view(vm.tags[1]!, vm.regs[1]!, 8, 'write');
  if (!(field.buffer instanceof SharedArrayBuffer) || field.byteOffset % 8 !== 0) throw new ProgramFault('bpf_kptr_xchg on memory that holds no kptr field');
  const old = BigInt.asUintN(64, Atomics.exchange(int64Of(field.buffer), field.byteOffset >> 3, BigInt.asIntN(64, next)));
  const id = Number(old >> 32n);
  if (old !== 0n && !heap.isLive(id)) throw new ProgramFault(`bpf_kptr_xchg found 0x${old.toString(16)} in the field, not a live object`);
  vm.r0Tag = old === 0n ? 0 : id;
  return old;
}
