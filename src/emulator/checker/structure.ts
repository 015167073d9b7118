// The verifier's structural checks (kernel/bpf/verifier.c), in the order bpf_check runs them, with its
// own messages: add_subprog_and_kfunc (call targets), check_subprogs (jumps, the last instruction),
// resolve_pseudo_ldimm64 (ld_imm64 halves, LDX modes, the opcode table), check_cfg (unreachable code),
// then the per-instruction rules do_check applies as it walks (reserved fields, helper ids and the
// program type's helpers). Then the emulator's own limit: a helper it does not implement (ENOTSUPP).
//
// Structure is path-independent, so those checks are exact. do_check's rules only fire on instructions
// the verifier walks, and it skips branches it proves dead (a constant compare, a CO-RE or .kconfig
// value): a bad instruction there is accepted. So the emulator applies them only to instructions the
// verifier must walk whatever it knows: those on every path from the entry to an exit (dominators of the
// exit), in a subprogram the walk reaches the same way. Never reject a program the kernel accepts.
import { E2BIG, EBUSY, EINVAL, ENOTSUPP } from '../../uapi/errno.js';
import { isCgroupStorage } from '../../uapi/bpf.js';
import { poisonedCoreReloReason, unknownCoreType } from '../programs/core.js';
import { coveringLineInfo } from './line-info.js';
import { formatProgramInsnLine } from './disasm.js';
import { emulatedHelpers } from '../programs/helpers.js';
import { AluOp, BPF_ADDR_SPACE_CAST, CALL, CallKind, Class, JmpOp, LD_IMM64, Mode, PseudoLd, Size, Source, type Insn } from '../../uapi/isa.js';
import { BPF_FUNC_MAX_ID, funcIdName } from '../../uapi/helpers.js';
import { helperProto, helperRefusal, type HelperProgramOptions } from './helper-protos.js';
import { KernelProgramType as PT } from '../../uapi/program-type.js';
import type { CheckedMap, CheckFailure, CheckInput } from './types.js';
import type { Reloc } from '../../elf/spec.js';
import { sleepableMapRefusal } from './map-prog-compat.js';
import { cpuV4Instructions, DEFAULT_KERNEL_VERSION, staticRecursionCheck } from '../kernel-version.js';


/** include/linux/bpf.h BPF_COMPLEXITY_LIMIT_INSNS: bpf_prog_load refuses longer programs (E2BIG, no log). */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

const EXIT = Class.Jmp | JmpOp.Exit;
const JA = Class.Jmp | JmpOp.Ja;
const GOTOL = Class.Jmp32 | JmpOp.Ja;
const MAY_GOTO = Class.Jmp | JmpOp.Jcond;
/** BPF_ALU64 | BPF_END: the unconditional byte swap (v4). */
const BSWAP = Class.Alu64 | AluOp.End;

/**
 * kernel/bpf/core.c bpf_opcode_in_insntable: the opcodes the kernel knows at all (128 of 256). Checked
 * against this machine's kernel for every byte by test/emulator/structure-checks.test.ts.
 */
const knownOpcodes: ReadonlySet<number> = (() => {
  const s = new Set<number>();
  const alu = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Div, AluOp.Or, AluOp.And, AluOp.Lsh, AluOp.Rsh, AluOp.Mod, AluOp.Xor, AluOp.Mov, AluOp.Arsh];
  for (const cls of [Class.Alu, Class.Alu64]) {
    for (const op of alu) for (const src of [Source.K, Source.X]) s.add(cls | op | src);
    s.add(cls | AluOp.Neg);
    s.add(cls | AluOp.End | Source.K);
  }
  s.add(Class.Alu | AluOp.End | Source.X); // to_be; ALU64 | END | X (0xdf) does not exist
  const cond = [JmpOp.Jeq, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jset, JmpOp.Jne, JmpOp.Jsgt, JmpOp.Jsge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jslt, JmpOp.Jsle];
  for (const cls of [Class.Jmp, Class.Jmp32]) for (const op of cond) for (const src of [Source.K, Source.X]) s.add(cls | op | src);
  for (const c of [JA, GOTOL, CALL, EXIT, MAY_GOTO, LD_IMM64]) s.add(c);
  const sizes = [Size.B, Size.H, Size.W, Size.DW];
  for (const size of sizes) {
    s.add(Class.Ldx | size | Mode.Mem);
    s.add(Class.St | size | Mode.Mem);
    s.add(Class.Stx | size | Mode.Mem);
    s.add(Class.Stx | size | Mode.Atomic); // B/H for load-acquire / store-release (6.15)
  }
  for (const size of [Size.B, Size.H, Size.W]) {
    s.add(Class.Ldx | size | Mode.MemSx);
    s.add(Class.Ld | size | Mode.Abs);
    s.add(Class.Ld | size | Mode.Ind);
  }
  return s;
})();

const fail = (log: string, errno = EINVAL): CheckFailure => ({ errno, log: `${log}\n` });
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const isJmpClass = (code: number): boolean => (code & 0x07) === Class.Jmp || (code & 0x07) === Class.Jmp32;
const isPseudoCall = (i: Insn): boolean => i.code === CALL && i.src === CallKind.Local;
const isPseudoFunc = (i: Insn): boolean => i.code === LD_IMM64 && i.src === PseudoLd.Func;

export function checkStructure(input: CheckInput): CheckFailure | undefined {
  const insns = input.insns;
  const n = insns.length;
  // kernel/bpf/syscall.c bpf_prog_load: insn_cnt 0 or above the limit is E2BIG before any verifier log.
  if (n === 0 || n > BPF_COMPLEXITY_LIMIT_INSNS) return { errno: E2BIG, log: '' };
  const starts = subprogStarts(insns);
  if (typeof starts === 'string') return fail(starts);
  const v4 = cpuV4Instructions(input.kernelVersion ?? DEFAULT_KERNEL_VERSION);
  const version = input.kernelVersion ?? DEFAULT_KERNEL_VERSION;
  return checkSubprogs(insns, starts) ?? resolvePseudoLdimm64(input, v4) ?? checkCfg(insns)
    ?? (staticRecursionCheck(version) ? checkRecursion(input, starts) : undefined) ?? checkWalkedInsns(input, starts, v4);
}

/** What the emulator cannot run, once the kernel's checks have all passed (the last checker). */
export function checkEmulated(input: CheckInput): CheckFailure | undefined {
  return checkEmulatedHelpers(input.type, input.insns, input.kernelVersion ?? DEFAULT_KERNEL_VERSION);
}

/** add_subprog_and_kfunc: subprogram entries are the targets of pseudo calls and BPF_PSEUDO_FUNC loads. */
function subprogStarts(insns: readonly Insn[]): number[] | string {
  const starts = new Set([0]);
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (!isPseudoCall(insn) && !isPseudoFunc(insn)) continue;
    const target = i + insn.imm + 1;
    // add_subprog: "call to invalid destination"
    if (target < 0 || target >= insns.length) return 'call to invalid destination';
    starts.add(target);
  }
  return [...starts].sort((a, b) => a - b);
}

function jumpTarget(insns: readonly Insn[], i: number): number {
  const insn = insns[i]!;
  return i + (insn.code === GOTOL ? insn.imm : insn.off) + 1;
}

/** check_subprogs: every jump stays inside its subprogram, and no subprogram falls into the next. */
function checkSubprogs(insns: readonly Insn[], starts: readonly number[]): CheckFailure | undefined {
  let sub = 0;
  for (let i = 0; i < insns.length; i++) {
    const start = starts[sub]!;
    const end = starts[sub + 1] ?? insns.length;
    const code = insns[i]!.code;
    const op = code & 0xf0;
    if (isJmpClass(code) && op !== JmpOp.Exit && op !== JmpOp.Call) {
      const to = jumpTarget(insns, i);
      if (to < start || to >= end) return fail(`jump out of range from insn ${i} to ${to}`);
    }
    if (i === end - 1) {
      if (code !== EXIT && code !== JA && code !== GOTOL) return fail('last insn is not an exit or jmp');
      sub++;
    }
  }
  return undefined;
}

/**
 * resolve_pseudo_ldimm64: LDX modes, both halves of every ld_imm64 and the map it names
 * (check_map_prog_compatibility: map-prog-compat.ts), then the opcode table. `v4`: the kernel has the cpu v4
 * instructions (kernel-version.ts cpuV4Instructions); before them BPF_MEMSX loads are reserved fields and the
 * unconditional byte swap (BPF_ALU64 | BPF_END) an unknown opcode (measured on 6.1).
 */
function resolvePseudoLdimm64(input: CheckInput, v4: boolean): CheckFailure | undefined {
  const insns = input.insns;
  const version = input.kernelVersion ?? DEFAULT_KERNEL_VERSION;
  const relocs = new Map(input.relocs.map((r) => [r.insn, r]));
  // bpf_cgroup_storage_assign: the cgroup storage map of each type (shared, per-CPU) the program uses.
  const cgroupStorage = new Map<number, string>();
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const mode = insn.code & 0xe0;
    if ((insn.code & 0x07) === Class.Ldx && ((mode !== Mode.Mem && (mode !== Mode.MemSx || !v4)) || insn.imm !== 0)) {
      return fail('BPF_LDX uses reserved fields');
    }
    if (insn.code === LD_IMM64) {
      const second = insns[i + 1];
      if (!second || second.code !== 0 || second.dst !== 0 || second.src !== 0 || second.off !== 0) return fail('invalid bpf_ld_imm64 insn');
      // BPF_PSEUDO_MAP_FD / MAP_IDX carry nothing in the second half; unknown kinds are refused.
      const known = insn.src <= PseudoLd.MapIdxValue && !((insn.src === PseudoLd.MapFd || insn.src === PseudoLd.MapIdx) && second.imm !== 0);
      if (!known) return fail('unrecognized bpf_ld_imm64 insn');
      const map = mapNamed(input, relocs.get(i), insn);
      const incompatible = map && sleepableMapRefusal(input, map, version);
      if (incompatible) return fail(incompatible);
      if (map && isCgroupStorage(map.type)) {
        if ((cgroupStorage.get(map.type) ?? map.name) !== map.name) return fail('only one cgroup storage of each type is allowed', EBUSY);
        cgroupStorage.set(map.type, map.name);
      }
      i++;
      continue;
    }
    if (!knownOpcodes.has(insn.code) || (!v4 && insn.code === BSWAP)) return fail(`unknown opcode ${hex2(insn.code)}`);
  }
  return undefined;
}

/** The map an ld_imm64 names: by its relocation (objects) or its fd_array index (raw programs). */
function mapNamed(input: CheckInput, reloc: Reloc | undefined, insn: Insn): CheckedMap | undefined {
  if (reloc?.kind === 'map' || reloc?.kind === 'mapValue') return input.mapOf({ name: reloc.map });
  if (!reloc && (insn.src === PseudoLd.MapIdx || insn.src === PseudoLd.MapIdxValue)) return input.mapOf({ index: insn.imm });
  return undefined;
}

/** The instructions control can go to from `i` (check_cfg's visit_insn), without calls into subprograms. */
function successors(insns: readonly Insn[], i: number): number[] {
  const insn = insns[i]!;
  const code = insn.code;
  if (code === LD_IMM64) return [i + 2];
  if (!isJmpClass(code)) return [i + 1];
  const op = code & 0xf0;
  if (op === JmpOp.Exit) return [];
  if (op === JmpOp.Call) return [i + 1];
  if (code === JA || code === GOTOL) return [jumpTarget(insns, i)];
  return [i + 1, jumpTarget(insns, i)];
}

/** check_cfg: every instruction is reachable from insn 0 (calls and callback loads reach subprograms). */
function checkCfg(insns: readonly Insn[]): CheckFailure | undefined {
  const n = insns.length;
  const seen = new Uint8Array(n);
  const stack = [0];
  seen[0] = 1;
  while (stack.length > 0) {
    const i = stack.pop()!;
    const next = successors(insns, i);
    if (isPseudoCall(insns[i]!) || isPseudoFunc(insns[i]!)) next.push(i + insns[i]!.imm + 1);
    for (const t of next) {
      if (t >= 0 && t < n && !seen[t]) {
        seen[t] = 1;
        stack.push(t);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    if (!seen[i]) return fail(`unreachable insn ${i}`);
    if (insns[i]!.code === LD_IMM64) {
      if (seen[i + 1]) return fail(`jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }
  return undefined;
}

/**
 * compute_postorder (kernel/bpf/cfg.c): each subprogram's instructions in the postorder of a DFS from its
 * start, successors in bpf_insn_successors' order (fall-through, then the jump target), calls not followed.
 */
function subprogPostorder(insns: readonly Insn[], start: number): number[] {
  const order: number[] = [];
  const discovered = new Uint8Array(insns.length);
  const explored = new Uint8Array(insns.length);
  const stack = [start];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    discovered[top] = 1;
    if (explored[top]) {
      order.push(top);
      stack.pop();
      continue;
    }
    for (const t of successors(insns, top)) {
      if (t >= 0 && t < insns.length && !discovered[t]) {
        stack.push(t);
        discovered[t] = 1;
      }
    }
    explored[top] = 1;
  }
  return order;
}

/**
 * sort_subprogs_topo (7.2, kernel-version.ts staticRecursionCheck): before the walk, a DFS of the call
 * graph in each subprogram's postorder refuses a call to a subprogram still on the DFS stack; a callback's
 * address (BPF_PSEUDO_FUNC) reaches its subprogram but may point back. Names are func_info's ("" without).
 */
function checkRecursion(input: CheckInput, starts: readonly number[]): CheckFailure | undefined {
  const insns = input.insns;
  const index = new Map(starts.map((s, k) => [s, k]));
  const name = (k: number): string => input.functions.find((f) => f.start === starts[k])?.name ?? '';
  const callees = starts.map((s) => subprogPostorder(insns, s).filter((i) => isPseudoCall(insns[i]!) || isPseudoFunc(insns[i]!)));
  const color = new Uint8Array(starts.length); // 0 unvisited, 1 on the stack, 2 done
  for (let i = 0; i < starts.length; i++) {
    if (color[i]) continue;
    color[i] = 1;
    const stack = [i];
    while (stack.length > 0) {
      const cur = stack[stack.length - 1]!;
      let pushed = false;
      for (const at of callees[cur]!) {
        const callee = index.get(at + insns[at]!.imm + 1);
        if (callee === undefined || color[callee] === 2) continue;
        if (color[callee] === 1) {
          if (isPseudoFunc(insns[at]!)) continue;
          return fail(`recursive call from ${name(cur)}() to ${name(callee)}()`);
        }
        color[callee] = 1;
        stack.push(callee);
        pushed = true;
        break;
      }
      if (!pushed) {
        color[cur] = 2;
        stack.pop();
      }
    }
  }
  return undefined;
}

/**
 * do_check's per-instruction rules, on the instructions every verification walk meets: the dominators
 * of the exits of the main program, of every global function (verified on its own), and of every static
 * subprogram called from such an instruction.
 */
function checkWalkedInsns(input: CheckInput, starts: readonly number[], v4: boolean): CheckFailure | undefined {
  const insns = input.insns;
  const ends = new Map(starts.map((s, k) => [s, starts[k + 1] ?? insns.length]));
  const globals = input.functions.filter((f) => f.global && f.start !== 0 && ends.has(f.start)).map((f) => f.start);
  const done = new Set<number>();
  const visit = (start: number): CheckFailure | undefined => {
    if (done.has(start)) return undefined;
    done.add(start);
    for (const i of mustWalk(insns, start, ends.get(start)!)) {
      const failure = checkInsn(input, insns[i]!, v4);
      if (failure) return { errno: failure.errno, log: `${insnContext(input, i)}${failure.log}` };
      const insn = insns[i]!;
      if (isPseudoCall(insn)) {
        const inner = visit(i + insn.imm + 1);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  for (const start of [0, ...globals]) {
    const failure = visit(start);
    if (failure) return failure;
  }
  return undefined;
}

/**
 * The lines before a refusal at `pc`, as do_check writes them: the instruction's C line and the
 * instruction (libbpf's "N: <invalid CO-RE relocation>" for a poisoned one, fixup_log_failed_core_relo).
 */
function insnContext(input: CheckInput, pc: number): string {
  const insn = poisonedCoreReloReason(input.insns[pc]!) ? `${pc}: <invalid CO-RE relocation>`
    : formatProgramInsnLine(input.insns, pc, { kernelVersion: input.kernelVersion ?? DEFAULT_KERNEL_VERSION });
  return `${[coveringLineInfo(input.lines, pc, input.kernelVersion ?? DEFAULT_KERNEL_VERSION), insn].filter((l) => l !== undefined).join('\n')}\n`;
}

/**
 * The instructions on every path from `start` to an exit of the subprogram [start, end), in path order:
 * the dominator chain of a virtual exit node (Cooper, Harvey & Kennedy's iterative dominators).
 */
function mustWalk(insns: readonly Insn[], start: number, end: number): number[] {
  const size = end - start;
  const sink = size; // local index of the virtual exit
  const succ = (local: number): number[] => {
    const i = start + local;
    const code = insns[i]!.code;
    if (code === EXIT) return [sink];
    return successors(insns, i).map((t) => t - start).filter((t) => t >= 0 && t < size);
  };
  // Reverse postorder from the entry (iterative DFS).
  const order: number[] = [];
  const state = new Uint8Array(size + 1);
  const stack: { node: number; next: number[] }[] = [{ node: 0, next: succ(0) }];
  state[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const t = top.next.pop();
    if (t === undefined) {
      order.push(top.node);
      stack.pop();
      continue;
    }
    if (state[t]) continue;
    state[t] = 1;
    stack.push({ node: t, next: t === sink ? [] : succ(t) });
  }
  if (!state[sink]) return [];
  order.reverse();
  const rpo = new Int32Array(size + 1).fill(-1);
  order.forEach((node, k) => (rpo[node] = k));
  const preds: number[][] = Array.from({ length: size + 1 }, () => []);
  for (const node of order) if (node !== sink) for (const t of succ(node)) preds[t]!.push(node);
  const idom = new Int32Array(size + 1).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const node of order) {
      if (node === 0) continue;
      let dom = -1;
      for (const p of preds[node]!) if (idom[p] !== -1) dom = dom === -1 ? p : intersect(p, dom);
      if (dom !== -1 && idom[node] !== dom) {
        idom[node] = dom;
        changed = true;
      }
    }
  }
  const chain: number[] = [];
  for (let node = idom[sink]!; ; node = idom[node]!) {
    chain.push(start + node);
    if (node === 0) break;
  }
  return chain.reverse();
}

/** include/linux/filter.h MAX_BPF_REG: r0..r10 (the kernel's internal AX is not addressable). */
const MAX_BPF_REG = 11;

/**
 * The first register an instruction names that does not exist, in the order do_check's handlers check
 * them (check_reg_arg: "R%d is invalid"): the source before the destination where both are read.
 */
export function invalidRegister(insn: Insn): number | undefined {
  const { code, src, dst } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const x = (code & Source.X) !== 0;
  const regs: number[] = [];
  if (cls === Class.Alu || cls === Class.Alu64) {
    if (x && op !== AluOp.End && op !== AluOp.Neg) regs.push(src);
    regs.push(dst);
  } else if (cls === Class.Ldx || cls === Class.Stx) {
    regs.push(src, dst);
  } else if (cls === Class.St || insn.code === LD_IMM64) {
    regs.push(dst);
  } else if ((cls === Class.Jmp || cls === Class.Jmp32) && op !== JmpOp.Call && op !== JmpOp.Exit && op !== JmpOp.Ja && op !== JmpOp.Jcond) {
    if (x) regs.push(src);
    regs.push(dst);
  }
  return regs.find((r) => r >= MAX_BPF_REG);
}

/** One instruction as do_check meets it (do_check_insn, check_alu_op, check_cond_jmp_op, check_helper_call). */
function checkInsn(input: CheckInput, insn: Insn, v4: boolean): CheckFailure | undefined {
  const { code, src, imm } = insn;
  // check_ld_imm: a callback's address needs BTF func_info for the callback's prototype (raw programs
  // have none: bpf_for_each_map_elem, bpf_loop and friends need an object with BTF).
  if (isPseudoFunc(insn) && !(input.funcInfo ?? input.functions.length > 0)) return fail('missing btf func_info');
  const fields = fieldRefusal(insn, v4);
  if (fields) return fields;
  if (code === CALL && src === CallKind.Helper) {
    const core = poisonedCoreReloReason(insn);
    if (core) return fail(core);
    if (unknownCoreType(insn)) return undefined; // the verifier walk says ENOTSUPP if a path reaches it
    return checkHelperCall(input.type, imm, input.kernelVersion ?? DEFAULT_KERNEL_VERSION);
  }
  return undefined;
}

/**
 * What do_check's handlers refuse in an instruction's own fields, in their order: reserved fields, then
 * registers past r10 (check_reg_arg). For every instruction the verifier walks.
 */
export function fieldRefusal(insn: Insn, v4: boolean): CheckFailure | undefined {
  const reserved = reservedFields(insn, v4);
  if (reserved) return reserved;
  const bad = invalidRegister(insn);
  return bad === undefined ? undefined : fail(`R${bad} is invalid`);
}

/** The reserved-field rules of do_check's handlers (check_alu_op, check_cond_jmp_op, the BPF_CALL/EXIT/JA checks). */
function reservedFields(insn: Insn, v4: boolean): CheckFailure | undefined {
  const { code, src, dst, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const x = (code & Source.X) !== 0;
  if (cls === Class.Alu || cls === Class.Alu64) return checkAlu(insn, v4);
  if (cls === Class.Stx && (code & 0xe0) === Mode.Mem && imm !== 0) return fail('BPF_STX uses reserved fields');
  if (cls === Class.St && src !== 0) return fail('BPF_ST uses reserved fields');
  // check_ld_imm (resolve_pseudo_ldimm64 has already checked the opcode and the second half).
  if (code === LD_IMM64 && off !== 0) return fail('BPF_LD_IMM64 uses reserved fields');
  if (cls !== Class.Jmp && cls !== Class.Jmp32) return undefined;
  if (op === JmpOp.Call) {
    // "BPF_CALL uses reserved fields": K only, off only for kfuncs, src a known call kind, no dst.
    if (x || (src !== CallKind.Kfunc && off !== 0) || (src !== CallKind.Helper && src !== CallKind.Local && src !== CallKind.Kfunc) || dst !== 0 || cls === Class.Jmp32) {
      return fail('BPF_CALL uses reserved fields');
    }
    return undefined;
  }
  if (op === JmpOp.Exit) {
    if (x || imm !== 0 || src !== 0 || dst !== 0 || cls === Class.Jmp32) return fail('BPF_EXIT uses reserved fields');
    return undefined;
  }
  if (op === JmpOp.Ja) {
    if (x || src !== 0 || dst !== 0 || (cls === Class.Jmp && imm !== 0) || (cls === Class.Jmp32 && off !== 0)) return fail('BPF_JA uses reserved fields');
    return undefined;
  }
  if (op === JmpOp.Jcond) return undefined;
  // check_cond_jmp_op
  if (x ? imm !== 0 : src !== 0) return fail('BPF_JMP/JMP32 uses reserved fields');
  return undefined;
}

/** check_alu_op's field rules (6.18: signed div/mod in off 1, movsx in off 8/16/32, arena casts). */
/** check_alu_op's reserved fields; without the v4 instructions (`v4` false) off must be 0 everywhere (6.1). */
function checkAlu(insn: Insn, v4: boolean): CheckFailure | undefined {
  const { code, src, off, imm } = insn;
  const op = code & 0xf0;
  const alu64 = (code & 0x07) === Class.Alu64;
  const x = (code & Source.X) !== 0;
  if (op === AluOp.Neg) {
    if (x || src !== 0 || off !== 0 || imm !== 0) return fail('BPF_NEG uses reserved fields');
    return undefined;
  }
  if (op === AluOp.End) {
    if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64) || (alu64 && x)) return fail('BPF_END uses reserved fields');
    return undefined;
  }
  if (op === AluOp.Mov) {
    if (!x) return src !== 0 || off !== 0 ? fail('BPF_MOV uses reserved fields') : undefined;
    if (alu64 && off === BPF_ADDR_SPACE_CAST) return undefined; // arena casts: their own messages, not modelled
    const offs = !v4 ? [0] : alu64 ? [0, 8, 16, 32] : [0, 8, 16];
    return !offs.includes(off) || imm !== 0 ? fail('BPF_MOV uses reserved fields') : undefined;
  }
  const signedOk = v4 && (op === AluOp.Div || op === AluOp.Mod);
  if ((x ? imm !== 0 : src !== 0) || (off !== 0 && off !== 1) || (off === 1 && !signedOk)) return fail('BPF_ALU uses reserved fields');
  if (x) return undefined;
  if (signedOk && imm === 0) return fail('div by zero');
  if ((op === AluOp.Lsh || op === AluOp.Rsh || op === AluOp.Arsh) && (imm < 0 || imm >= (alu64 ? 64 : 32))) return fail(`invalid shift ${imm}`);
  return undefined;
}

/**
 * The program types the emulator runs and what the verifier knows of them at a load: expected attach type 0
 * (an XDP program's helpers are the same with BPF_XDP), syscall programs sleepable, as bpf_prog_load requires.
 * For the other types the kernel decides.
 */
const emulatedTypes: ReadonlyMap<number, HelperProgramOptions> = new Map([
  [PT.SocketFilter, {}], [PT.SchedCls, {}], [PT.SchedAct, {}], [PT.Xdp, {}], [PT.CgroupSkb, {}], [PT.Syscall, { sleepable: true }],
]);

/**
 * check_helper_call, up to its argument checks (helper-protos.ts helperRefusal): the id, the program type's
 * get_func_proto, fn->allowed and might_sleep. The license is not known here: taken as GPL.
 */
function checkHelperCall(type: number, id: number, version: string): CheckFailure | undefined {
  if (id < 0 || id >= BPF_FUNC_MAX_ID) return fail(`invalid func ${funcIdName(id)}#${id}`);
  const options = emulatedTypes.get(type);
  if (!options) return undefined;
  const refusal = helperRefusal(id, type, 0, true, version, options);
  return refusal && fail(refusal.log, refusal.errno);
}

/**
 * The emulator's own limit, after everything the kernel would say: a helper the kernel lets this program
 * call but the emulator cannot run, anywhere in the program. A helper the kernel does not know, or does
 * not give this program type, can only sit where the verifier proved it dead (else it was refused above):
 * it is left for the run, which faults if it ever gets there.
 */
function checkEmulatedHelpers(type: number, insns: readonly Insn[], version: string): CheckFailure | undefined {
  const options = emulatedTypes.get(type);
  for (const insn of insns) {
    if (insn.code !== CALL || insn.src !== CallKind.Helper || emulatedHelpers.has(insn.imm)) continue;
    const kernelWouldRefuse = insn.imm < 0 || insn.imm >= BPF_FUNC_MAX_ID ||
      (options !== undefined && helperProto(insn.imm, type, 0, version, options) === undefined);
    if (!kernelWouldRefuse) {
      return { errno: ENOTSUPP, log: `helper ${funcIdName(insn.imm)} (#${insn.imm}) is not emulated\n`, notEmulated: true };
    }
  }
  return undefined;
}

/** For tests that assert the table against the kernel. */
export { knownOpcodes };
