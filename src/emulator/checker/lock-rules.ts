// The verifier's lock discipline (kernel/bpf/verifier.c, Linux 6.18), as rules on the walk (walk.ts): which
// bpf_spin_lock / bpf_res_spin_lock is held, which irq flags are saved, what may happen while they are. The
// rules and their messages are the kernel's; each Refusal names the kernel function it comes from. The walk
// is depth first in the kernel's order (a res-lock call continues with success and leaves failure for
// later), so the first violation found is the one the kernel reports.
import { EACCES, EINVAL } from '../../uapi/errno.js';
import { HelperId } from '../../uapi/helpers.js';
import { CallKind, Class, JmpOp, type Insn } from '../../uapi/isa.js';
import { fieldRefusal } from './structure.js';
import { localObjectAccess, lockFieldName } from './local-objects.js';
import { kfuncArgName } from '../kernel-version.js';
import { KernelProgramType as ProgType } from '../../uapi/program-type.js';
import type { CheckedMap, CheckFailure, CheckInput } from './types.js';
import { type HeldLock, type IrqClass, type LockType, NONE, type State, topFrame, withFrame } from './state.js';
import { constant, isConst } from './ranges.js';
import { type HelperCallObserver, OUT, prepare, type Program, Refusal, scalar, type Step, Walker } from './walk.js';

/** include/linux/err.h MAX_ERRNO: a failed res lock returns a value in [-MAX_ERRNO, -1]. */
const MAX_ERRNO = 4095n;

/** kernel/bpf/verifier.c is_tracing_prog_type. */
const tracingProgramTypes: ReadonlySet<number> = new Set([
  ProgType.Kprobe, ProgType.Tracepoint, ProgType.PerfEvent, ProgType.RawTracepoint, ProgType.RawTracepointWritable,
]);

/** kfuncs callable while a lock is held (kernel/bpf/verifier.c kfunc_spin_allowed): graph API, bpf_iter_num_*, res locks. */
const kfuncsAllowedLocked: ReadonlySet<string> = new Set([
  'bpf_list_push_front_impl', 'bpf_list_push_back_impl', 'bpf_list_pop_front', 'bpf_list_pop_back', 'bpf_list_front',
  'bpf_list_back', 'bpf_rbtree_add_impl', 'bpf_rbtree_remove', 'bpf_rbtree_first', 'bpf_rbtree_root', 'bpf_rbtree_left',
  'bpf_rbtree_right', 'bpf_refcount_acquire_impl', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy',
  'bpf_res_spin_lock', 'bpf_res_spin_unlock', 'bpf_res_spin_lock_irqsave', 'bpf_res_spin_unlock_irqrestore',
]);

const lockStr = (res: boolean): string => (res ? 'bpf_res_spin' : 'bpf_spin');

export function checkLocks(input: CheckInput): CheckFailure | undefined {
  const p = prepare(input);
  return meetsLockRules(p) ? new LockRules(p).run() : undefined;
}

/** The kfuncs that take or release a lock or an irq flag (LockRules.kfuncCall). */
const lockKfuncs: ReadonlySet<string> = new Set([
  'bpf_res_spin_lock', 'bpf_res_spin_unlock', 'bpf_res_spin_lock_irqsave', 'bpf_res_spin_unlock_irqrestore',
  'bpf_local_irq_save', 'bpf_local_irq_restore',
]);

/**
 * Whether the walk could refuse the program: it names a map with a lock, calls something that takes or
 * releases one, or has an instruction with bad fields (which the walk refuses where it meets it). Most
 * programs do none of these, and the walk over them (a sixth of a parser's load time) finds nothing.
 */
function meetsLockRules(p: Program): boolean {
  if (p.maps.some((m) => m.locks.length > 0)) return true;
  for (const name of p.kfuncs.values()) if (lockKfuncs.has(name)) return true;
  return p.insns.some((insn) => (insn.code === (Class.Jmp | JmpOp.Call) && insn.src === CallKind.Helper
    && (insn.imm === HelperId.SpinLock || insn.imm === HelperId.SpinUnlock)) || fieldRefusal(insn, p.v4) !== undefined);
}

/**
 * The same walk for another question (loop-inline.ts): reports each helper call it reaches. True when the
 * walk saw every path of the main program and of the global functions it calls: no path left the model,
 * the budget held, nothing was refused. Callback bodies (bpf_loop & co) are not walked either way.
 */
export function observeHelperCalls(input: CheckInput, observe: HelperCallObserver): boolean {
  const walker = new LockRules(prepare(input), observe);
  return walker.run() === undefined && walker.complete;
}

class LockRules extends Walker {
  /** kernel/bpf/verifier.c check_map_access: no load or store may touch a lock field, else -EACCES. */
  protected fieldAccess(pc: number, map: CheckedMap, lo: bigint, hi: bigint): void {
    for (const lock of map.locks) {
      const at = BigInt(lock.offset);
      if (lo < at + 4n && at < hi) {
        // An allocated object's fields are btf_struct_access's (local-objects.ts), a map value's check_map_access's.
        const reason = map.local ? localObjectAccess(this.p.btf!, map.local, Number(lo), Number(hi - lo)) : undefined;
        throw new Refusal(pc, reason && reason !== 'scalar' ? reason.refusal : `${lockFieldName[lock.kind]} cannot be accessed directly by load/store`, EACCES);
      }
    }
  }

  /** kernel/bpf/verifier.c do_check_insn: while a lock is held, only bpf_spin_unlock and a few kfuncs. */
  protected beforeCall(pc: number, insn: Insn, s: State, kfunc: string | undefined): void {
    if (s.locks.length === 0) return;
    const allowed = insn.src === CallKind.Helper ? insn.imm === HelperId.SpinUnlock
      : insn.src === CallKind.Kfunc ? insn.off === 0 && kfuncsAllowedLocked.has(kfunc!)
        : true;
    if (!allowed) throw new Refusal(pc, 'function calls are not allowed while holding a lock', EINVAL);
  }

  /** kernel/bpf/verifier.c check_func_call: a global function is verified apart, assuming no lock. */
  protected beforeGlobalCall(pc: number, s: State): void {
    if (s.locks.length > 0) throw new Refusal(pc, 'global function calls are not allowed while holding a lock,\nuse static function instead', EINVAL);
    if (s.irqs.length > 0) throw new Refusal(pc, 'global function calls are not allowed with IRQs disabled,\nuse static function instead', EINVAL);
  }

  protected helperCall(pc: number, id: number, s: State): State {
    if (id !== HelperId.SpinLock && id !== HelperId.SpinUnlock) return s;
    return this.#spinLock(pc, s, 1, { res: false, lock: id === HelperId.SpinLock, irq: false });
  }

  /**
   * kernel/bpf/verifier.c check_map_prog_compatibility, run for each map an ld_imm64 names before any
   * instruction is walked: socket filters and tracing programs may not use lock-bearing maps at all.
   */
  protected programRefusal(): string | undefined {
    for (const v of this.p.loads.values()) {
      if (v.k !== 'map' && v.k !== 'value') continue;
      if (this.p.maps[v.map]!.locks.length === 0) continue;
      if (this.p.type === ProgType.SocketFilter) return 'socket filter progs cannot use bpf_spin_lock yet';
      if (tracingProgramTypes.has(this.p.type)) return 'tracing progs cannot use bpf_spin_lock yet';
    }
    return undefined;
  }

  /** kernel/bpf/verifier.c check_resource_leak, the lock and irq parts, in its order. */
  protected leaveProgram(pc: number, s: State, prefix: string): void {
    if (s.locks.length > 0) throw new Refusal(pc, `${prefix} cannot be used inside bpf_spin_lock-ed region`, EINVAL);
    if (s.irqs.length > 0) throw new Refusal(pc, `${prefix} cannot be used inside bpf_local_irq_save-ed region`, EINVAL);
  }

  /** kernel/bpf/verifier.c process_spin_lock: where the lock is, and the held-lock bookkeeping. */
  #spinLock(pc: number, s: State, regno: number, how: { res: boolean; lock: boolean; irq: boolean }): State {
    const reg = topFrame(s).regs[regno]!;
    const str = lockStr(how.res);
    // check_kfunc_args (KF_ARG_PTR_TO_RES_SPIN_LOCK): a kernel struct's pointer is neither.
    if (reg.k === 'btf' && how.res) throw new Refusal(pc, `${kfuncArgName(this.p.kernelVersion, regno)} doesn't point to map value or allocated object`, EINVAL);
    if (reg.k !== 'value') {
      // Not a map value: refused by the argument checks (check_func_arg, check_kfunc_args) before
      // process_spin_lock, with messages about types this model does not track; or an allocated object.
      throw OUT;
    }
    if (reg.nullable) throw OUT; // "R1 type=map_value_or_null expected=map_value"
    if (!isConst(reg.off)) {
      throw new Refusal(pc, `R${regno} doesn't have constant offset. ${str}_lock has to be at the constant offset`, EINVAL);
    }
    const map = this.p.maps[reg.map]!;
    if (!map.hasBtf) throw new Refusal(pc, `map '${map.name}' has to have BTF in order to use ${str}_lock`, EINVAL);
    const field = map.locks.find((l) => l.kind === (how.res ? 'res' : 'spin'));
    // An allocated object is "local 'kptr'" (the lock is named by the object's id and the program's BTF).
    if (!field) throw new Refusal(pc, `${map.local ? "local 'kptr'" : `map '${map.name}'`} has no valid ${str}_lock`, EINVAL);
    if (BigInt(field.offset) !== reg.off.min) {
      throw new Refusal(pc, `off ${reg.off.min} doesn't point to 'struct ${str}_lock' that is at ${field.offset}`, EINVAL);
    }
    const type: LockType = how.res ? (how.irq ? 'resIrq' : 'res') : 'spin';
    if (how.lock) {
      if (!how.res && s.locks.some((l) => l.type === 'spin')) throw new Refusal(pc, 'Locking two bpf_spin_locks are not allowed', EINVAL);
      if (how.res && s.locks.some((l) => l.type !== 'spin' && l.id === reg.id && l.map === reg.map)) {
        throw new Refusal(pc, 'Acquiring the same lock again, AA deadlock detected', EINVAL);
      }
      const held: HeldLock = { type, id: reg.id, map: reg.map };
      return { ...s, locks: [...s.locks, held] };
    }
    if (s.locks.length === 0) throw new Refusal(pc, `${str}_unlock without taking a lock`, EINVAL);
    const at = s.locks.findIndex((l) => l.type === type && l.id === reg.id && l.map === reg.map);
    if (at < 0) throw new Refusal(pc, `${str}_unlock of different lock`, EINVAL);
    const top = s.locks[s.locks.length - 1]!;
    if (top.id !== reg.id || top.map !== reg.map) throw new Refusal(pc, `${str}_unlock cannot be out of order`, EINVAL);
    return { ...s, locks: s.locks.filter((_, i) => i !== at) };
  }

  /** kernel/bpf/verifier.c process_irq_flag (mark_/unmark_stack_slot_irq_flag): an 8-byte stack slot. */
  #irqFlag(pc: number, s: State, regno: number, save: boolean, cls: IrqClass): State {
    const reg = topFrame(s).regs[regno]!;
    if (reg.k !== 'stack') throw OUT; // "arg#N doesn't point to an irq flag on stack", after checks not modelled
    if (!isConst(reg.off) || reg.off.min % 8n !== 0n || reg.off.min >= 0n) throw OUT;
    const index = Number(reg.off.min / 8n);
    const frame = s.frames[reg.frame];
    if (!frame) throw OUT;
    const slot = frame.stack.get(index);
    const stack = new Map(frame.stack);
    if (save) {
      if (slot?.k === 'irq') throw new Refusal(pc, `expected uninitialized irq flag as ${kfuncArgName(this.p.kernelVersion, regno)}`, EINVAL);
      const id = this.fresh();
      stack.set(index, { k: 'irq', id, cls });
      return { ...withFrame(s, reg.frame, { ...frame, stack }), irqs: [...s.irqs, { id, insn: pc }] };
    }
    if (slot?.k !== 'irq') throw new Refusal(pc, `expected an initialized irq flag as ${kfuncArgName(this.p.kernelVersion, regno)}`, EINVAL);
    if (slot.cls !== cls) throw new Refusal(pc, `irq flag acquired by ${slot.cls} kfuncs cannot be restored with ${cls} kfuncs`, EINVAL);
    const active = s.irqs[s.irqs.length - 1];
    if (!active || active.id !== slot.id) {
      // release_irq_state refuses with -EACCES when the flag is not the most recent one.
      throw new Refusal(pc, `cannot restore irq state out of order, expected id=${active?.id ?? 0} acquired at insn_idx=${active?.insn ?? 0}`, EACCES);
    }
    stack.delete(index);
    return { ...withFrame(s, reg.frame, { ...frame, stack }), irqs: s.irqs.slice(0, -1) };
  }

  protected kfuncCall(pc: number, name: string, s: State): Step | undefined {
    switch (name) {
      case 'bpf_res_spin_lock':
      case 'bpf_res_spin_lock_irqsave': {
        const irq = name === 'bpf_res_spin_lock_irqsave';
        // check_kfunc_call forks before the arguments are checked: the failure branch holds nothing and
        // sees r0 in [-MAX_ERRNO, -1]; this path goes on holding the lock with r0 = 0.
        const failed = this.clobber(s, scalar({ min: -MAX_ERRNO, max: -1n }));
        let held = this.#spinLock(pc, s, 1, { res: true, lock: true, irq });
        if (irq) held = this.#irqFlag(pc, held, 2, true, 'lock');
        return { next: pc + 1, state: this.clobber(held, scalar(constant(0n))), fork: { pc: pc + 1, state: failed } };
      }
      case 'bpf_res_spin_unlock':
      case 'bpf_res_spin_unlock_irqrestore': {
        const irq = name === 'bpf_res_spin_unlock_irqrestore';
        let out = this.#spinLock(pc, s, 1, { res: true, lock: false, irq });
        if (irq) out = this.#irqFlag(pc, out, 2, false, 'lock');
        return { next: pc + 1, state: this.clobber(out, NONE) };
      }
      case 'bpf_local_irq_save':
      case 'bpf_local_irq_restore':
        return { next: pc + 1, state: this.clobber(this.#irqFlag(pc, s, 1, name === 'bpf_local_irq_save', 'native'), NONE) };
      default:
        return undefined;
    }
  }
}
