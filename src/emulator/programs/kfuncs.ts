// The kfuncs the emulator runs (called with BPF_PSEUDO_KFUNC_CALL). The kernel names a kfunc by its BTF
// id in vmlinux; an object names it by extern (`extern int bpf_res_spin_lock(...) __ksym`), and the
// emulator's linker (object.ts) replaces the call's imm with the id below.
import type { HelperContext } from './helpers.js';
import type { Vm } from './interpreter.js';
import { fixedBytes, ProgramFault, regionTag, type ByteRegion } from './memory.js';
import { runValueSlab } from '../maps/shared.js';
import { dynptrFromPacket, dynptrSlice } from './dynptr.js';
import type { Insn } from '../../uapi/isa.js';

export const KfuncId = {
  ResSpinLock: 1, ResSpinUnlock: 2, ResSpinLockIrqsave: 3, ResSpinUnlockIrqrestore: 4, ObjNew: 5, ObjDrop: 6, RdonlyCast: 7,
  DynptrFromSkb: 8, DynptrFromSkbRdonly: 9, DynptrFromXdp: 10, DynptrSlice: 11, DynptrSliceRdwr: 12,
} as const;

/** Emulated kfuncs by their kernel names (kernel/bpf/helpers.c BTF_KFUNCS_START(generic_btf_ids)). */
export const kfuncByName: ReadonlyMap<string, number> = new Map([
  ['bpf_res_spin_lock', KfuncId.ResSpinLock],
  ['bpf_res_spin_unlock', KfuncId.ResSpinUnlock],
  ['bpf_res_spin_lock_irqsave', KfuncId.ResSpinLockIrqsave],
  ['bpf_res_spin_unlock_irqrestore', KfuncId.ResSpinUnlockIrqrestore],
  ['bpf_obj_new_impl', KfuncId.ObjNew],
  ['bpf_obj_drop_impl', KfuncId.ObjDrop],
  ['bpf_rdonly_cast', KfuncId.RdonlyCast],
  ['bpf_dynptr_from_skb', KfuncId.DynptrFromSkb],
  ['bpf_dynptr_from_xdp', KfuncId.DynptrFromXdp],
  ['bpf_dynptr_slice', KfuncId.DynptrSlice],
  ['bpf_dynptr_slice_rdwr', KfuncId.DynptrSliceRdwr],
]);

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

/** The regions bpf_obj_new made: only those may be dropped. */
const allocated = new WeakSet<ByteRegion>();

/** Runs kfunc `insn.imm` (an id from kfuncByName) with vm.regs[1..5]; returns r0. */
export function callKfunc(insn: Insn, vm: Vm, ctx: HelperContext): bigint {
  const r = vm.regs;
  const t = vm.tags;
  const mem = vm.memory;
  switch (insn.imm) {
    case KfuncId.ResSpinLock:
      return u64(ctx.locks.resLock(mem.view(t[1]!, r[1]!, 4, 'write')));
    case KfuncId.ResSpinLockIrqsave: {
      // bpf_res_spin_lock_irqsave(lock, unsigned long *flags): the saved interrupt state goes to *flags
      // (a stack slot the verifier lets no one read); the emulator has no interrupts to save.
      const rc = ctx.locks.resLock(mem.view(t[1]!, r[1]!, 4, 'write'));
      if (rc === 0) mem.store(t[2]!, r[2]!, 8, 0n);
      return u64(rc);
    }
    case KfuncId.ResSpinUnlock:
    case KfuncId.ResSpinUnlockIrqrestore:
      ctx.locks.resUnlock(mem.view(t[1]!, r[1]!, 4, 'write'));
      return 0n;
    case KfuncId.ObjNew: {
      // bpf_obj_new_impl(local_type_id__k, meta__ign): the verifier proved r1 a struct of the program's BTF
      // (check_kfunc_call), and fixup_kfunc_call passes its size. The object lives until bpf_obj_drop or
      // the run's end (a verified program drops it or stores it: an unreleased reference is refused). Its
      // bytes are zero: bpf_mem_alloc's are whatever the last user left, which a verified program cannot
      // rely on; its special fields (a lock) bpf_obj_init zeroes. A slab of its own, for the lock words.
      const size = vm.program.allocSizes?.get(Number(r[1]!));
      if (size === undefined) throw new ProgramFault(`bpf_obj_new of type id ${r[1]!}, not a struct of the program's BTF`);
      const region = fixedBytes(`object of type id ${r[1]!}`, runValueSlab(size));
      allocated.add(region);
      const ptr = mem.addRegion(region, 'run');
      vm.r0Tag = regionTag(ptr);
      return ptr;
    }
    case KfuncId.ObjDrop: {
      // bpf_obj_drop_impl(p__alloc, meta__ign): the object is freed; a pointer kept to it faults from now on.
      const found = mem.regionOf(t[1]!, r[1]!);
      if (found === undefined || found.offset !== 0 || !allocated.has(found.region as ByteRegion)) {
        throw new ProgramFault(`bpf_obj_drop of 0x${r[1]!.toString(16)}, not an object bpf_obj_new made`);
      }
      mem.removeRegion(r[1]!);
      return 0n;
    }
    case KfuncId.RdonlyCast:
      // bpf_rdonly_cast(obj__ign, btf_id__k): the same pointer, seen by the verifier as another type
      // (fixup_kfunc_call makes the call a move).
      vm.r0Tag = t[1]!;
      return r[1]!;
    case KfuncId.DynptrFromSkb:
    case KfuncId.DynptrFromSkbRdonly:
    case KfuncId.DynptrFromXdp:
      return dynptrFromPacket(vm, ctx.packetRun, insn.imm === KfuncId.DynptrFromXdp ? 'xdp' : 'skb', insn.imm === KfuncId.DynptrFromSkbRdonly);
    case KfuncId.DynptrSlice:
    case KfuncId.DynptrSliceRdwr:
      return dynptrSlice(vm, ctx.packetRun, insn.imm === KfuncId.DynptrSliceRdwr);
    default:
      throw new ProgramFault(`kfunc #${insn.imm} is not emulated`);
  }
}
