// The checks BPF_PROG_LOAD makes of the BTF func_info and line_info libbpf passes with a program, before
// the verifier walks it (kernel/bpf/verifier.c check_btf_func_early, check_btf_func, check_btf_line,
// check_abnormal_return). Their messages are the kernel's, some of which have no newline (the verifier's
// summary line then follows on the same line).
import { BtfFuncLinkage, BtfKind, type Btf, type BtfTypeInfo } from '../../btf/types.js';
import { HelperId } from '../../uapi/helpers.js';
import { CallKind, Class, JmpOp, Mode, type Insn } from '../../uapi/isa.js';
import { EINVAL } from '../../uapi/errno.js';
import type { CheckFailure, CheckInput } from './types.js';
import { subprogStarts } from './verifier/program.js';

/** What libbpf passes with a program: records in the linked program's numbering, and the BTF they name. */
export interface ProgramBtfInfo {
  btf: Btf;
  /** struct bpf_func_info records (insn_off, type_id), or none. */
  funcs?: readonly { insn: number; typeId: number }[];
  /** struct bpf_line_info records: the instruction, and whether its file and line strings exist. */
  lines?: readonly { insn: number; namesValid: boolean }[];
}

const refuse = (log: string): CheckFailure => ({ errno: EINVAL, log });

/** add_subprog_and_kfunc + check_subprogs: what each subprogram holds that BTF decides about. */
function subprogFacts(insns: readonly Insn[], starts: readonly number[]): { hasLdAbs: boolean; hasTailCall: boolean }[] {
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? insns.length;
    let hasLdAbs = false;
    let hasTailCall = false;
    for (let pc = start; pc < end; pc++) {
      const { code, src, imm } = insns[pc]!;
      if (code === (Class.Jmp | JmpOp.Call) && src === CallKind.Helper && imm === HelperId.TailCall) hasTailCall = true;
      if ((code & 0x07) === Class.Ld && ((code & 0xe0) === Mode.Abs || (code & 0xe0) === Mode.Ind)) hasLdAbs = true;
    }
    return { hasLdAbs, hasTailCall };
  });
}

/** check_abnormal_return: without func_info, no subprogram (but the main one) may use LD_ABS or tail calls. */
function abnormalReturn(facts: readonly { hasLdAbs: boolean; hasTailCall: boolean }[]): CheckFailure | undefined {
  for (let i = 1; i < facts.length; i++) {
    if (facts[i]!.hasLdAbs) return refuse('LD_ABS is not allowed in subprogs without BTF\n');
    if (facts[i]!.hasTailCall) return refuse('tail_call is not allowed in subprogs without BTF\n');
  }
  return undefined;
}

/** btf_type_skip_modifiers then btf_type_is_small_int || btf_is_any_enum. */
function returnsScalar(btf: Btf, proto: BtfTypeInfo): boolean {
  const ret = (proto as { returnType: number }).returnType;
  if (ret === 0) return false;
  const t = btf.resolve(ret);
  return (t.kind === BtfKind.Int && (t as { size: number }).size <= 8) || t.kind === BtfKind.Enum || t.kind === BtfKind.Enum64;
}

/** check_btf_func_early: the records in order, each naming a FUNC of a FUNC_PROTO. */
function checkFuncRecords(btf: Btf, funcs: readonly { insn: number; typeId: number }[]): CheckFailure | undefined {
  let prev = 0;
  for (let i = 0; i < funcs.length; i++) {
    const { insn, typeId } = funcs[i]!;
    if (i === 0 && insn !== 0) return refuse(`nonzero insn_off ${insn} for the first func info record`);
    if (i > 0 && insn <= prev) return refuse(`same or smaller insn offset (${insn}) than previous func info record (${prev})`);
    const t = typeId < btf.types.length ? btf.type(typeId) : undefined;
    // verbose() with %d: a type id past 2^31 prints negative.
    if (!t || t.kind !== BtfKind.Func) return refuse(`invalid type id ${typeId | 0} in func info`);
    const proto = (t as { type: number }).type;
    // "btf_func_check() already verified it during BTF load": EINVAL, and nothing in the log.
    if (proto >= btf.types.length || btf.type(proto).kind !== BtfKind.FuncProto) return refuse('');
    prev = insn;
  }
  return undefined;
}

/** check_btf_line: records in order, inside the program, on real instructions, naming strings, one per subprogram start. */
function checkLineRecords(insns: readonly Insn[], starts: readonly number[], lines: readonly { insn: number; namesValid: boolean }[]): CheckFailure | undefined {
  let prev = 0;
  let s = 0;
  for (let i = 0; i < lines.length; i++) {
    const { insn, namesValid } = lines[i]!;
    if ((i > 0 && insn <= prev) || insn >= insns.length) {
      return refuse(`Invalid line_info[${i}].insn_off:${insn} (prev_offset:${prev} prog->len:${insns.length})\n`);
    }
    if (insns[insn]!.code === 0) return refuse(`Invalid insn code at line_info[${i}].insn_off\n`);
    if (!namesValid) return refuse(`Invalid line_info[${i}].line_off or .file_name_off\n`);
    if (s !== starts.length) {
      if (insn === starts[s]) s++;
      else if (starts[s]! < insn) return refuse(`missing bpf_line_info for func#${s}\n`);
    }
    prev = insn;
  }
  if (s !== starts.length) return refuse(`missing bpf_line_info for ${starts.length - s} funcs starting from func#${s}\n`);
  return undefined;
}

/**
 * The kernel's verdict on a program's BTF info: undefined when it passes, with whether each subprogram is
 * global (bpf_func_info_aux linkage: without func_info every subprogram is verified as static).
 * `starts` are the subprograms' first instructions, the main program's (0) first.
 */
export function checkBtfInfo(insns: readonly Insn[], starts: readonly number[], info: ProgramBtfInfo | undefined): CheckFailure | { global: boolean[] } {
  const funcs = info?.funcs;
  if (funcs) {
    const early = checkFuncRecords(info.btf, funcs);
    if (early) return early;
  }
  const facts = subprogFacts(insns, starts);
  if (!funcs) {
    const abnormal = abnormalReturn(facts);
    if (abnormal) return abnormal;
  } else {
    if (funcs.length !== starts.length) return refuse("number of funcs in func_info doesn't match number of subprogs\n");
    for (let i = 0; i < funcs.length; i++) {
      if (funcs[i]!.insn !== starts[i]) return refuse("func_info BTF section doesn't match subprog layout in BPF program\n");
      const proto = info.btf.type((info.btf.type(funcs[i]!.typeId) as { type: number }).type);
      if (i > 0 && !returnsScalar(info.btf, proto)) {
        if (facts[i]!.hasLdAbs) return refuse("LD_ABS is only allowed in functions that return 'int'.\n");
        if (facts[i]!.hasTailCall) return refuse("tail_call is only allowed in functions that return 'int'.\n");
      }
    }
  }
  if (info?.lines) {
    const lines = checkLineRecords(insns, starts, info.lines);
    if (lines) return lines;
  }
  return { global: starts.map((_, i) => funcs !== undefined && (info!.btf.type(funcs[i]!.typeId) as { linkage: number }).linkage === BtfFuncLinkage.Global) };
}

/**
 * check_btf_info for a program loaded without func_info (a raw program, an object without BTF): only
 * check_abnormal_return applies. Objects with BTF are checked by checkBtfInfo before the checkers run.
 */
export function checkWithoutFuncInfo(input: CheckInput): CheckFailure | undefined {
  if (input.funcInfo ?? input.functions.length > 0) return undefined;
  return abnormalReturn(subprogFacts(input.insns, subprogStarts(input.insns)));
}
