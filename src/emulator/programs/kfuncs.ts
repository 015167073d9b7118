// The kfuncs the emulator runs (called with BPF_PSEUDO_KFUNC_CALL). The kernel names a kfunc by its BTF
// id in vmlinux; an object names it by extern (`extern int bpf_res_spin_lock(...) __ksym`), and the
// emulator's linker (object.ts) replaces the call's imm with the id below.
import type { HelperContext } from './helpers.js';
import type { Vm } from './interpreter.js';
import { ProgramFault } from './memory.js';
import { objDrop, objNew } from './kptrs.js';
import { iterBitsDestroy, iterBitsNew, iterBitsNext } from './bits-iter.js';
import { dynptrFromPacket, dynptrSlice } from './dynptr.js';
import type { Insn } from '../../uapi/isa.js';

export const KfuncId = {
  ResSpinLock: 1, ResSpinUnlock: 2, ResSpinLockIrqsave: 3, ResSpinUnlockIrqrestore: 4, ObjNew: 5, ObjDrop: 6, RdonlyCast: 7,
  DynptrFromSkb: 8, DynptrFromSkbRdonly: 9, DynptrFromXdp: 10, DynptrSlice: 11, DynptrSliceRdwr: 12,
  IterBitsNew: 13, IterBitsNext: 14, IterBitsDestroy: 15,
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
  ['bpf_iter_bits_new', KfuncId.IterBitsNew],
  ['bpf_iter_bits_next', KfuncId.IterBitsNext],
  ['bpf_iter_bits_destroy', KfuncId.IterBitsDestroy],
]);

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

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
    case KfuncId.ObjNew:
      return objNew(vm);
    case KfuncId.ObjDrop:
      return objDrop(vm);
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
    case KfuncId.IterBitsNew:
      return iterBitsNew(vm);
    case KfuncId.IterBitsNext:
      return iterBitsNext(vm);
    case KfuncId.IterBitsDestroy:
      return iterBitsDestroy(vm);
    default:
      throw new ProgramFault(`kfunc #${insn.imm} is not emulated`);
  }
}
