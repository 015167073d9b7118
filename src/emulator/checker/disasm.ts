// The verifier log's instruction text: kernel/bpf/disasm.c print_bpf_insn as do_check prints each
// instruction it visits ("12: (bf) r1 = r6"), with the callbacks kernel/bpf/verifier.c gives it
// (disasm_kfunc_name for kfunc calls, no cb_imm, env->allow_ptr_leaks), and the lines around it that
// share the framing: verbose_linfo's source comments (kernel/bpf/log.c), print_insn_state's alignment of
// the state after an instruction, and compute_live_registers' "Live regs before insn" listing.
//
// The printer is written from the C (format by format, printf's conventions spelled out: %+d, 0x%x of a
// u32, "(null)" for a missing table entry) and checked line by line against this machine's kernel
// (test/diff/disasm.test.ts). What changed between kernels is in kernel-version.ts (disasm*).
import { funcIdName } from '../../uapi/helpers.js';
import {
  AluOp, AtomicOp, BPF_ADDR_SPACE_CAST, CallKind, Class, classOf, Endian, JmpOp, LD_IMM64, Mode, modeOf, opOf,
  PseudoLd, Size, sizeOf, Source, srcOf, type Insn,
} from '../../uapi/isa.js';
import { DEFAULT_KERNEL_VERSION, disasmAddrSpaceCast, disasmCpuV4, disasmGotox, disasmLoadAcquire, disasmMayGoto, disasmPercpuAddr, helperIdLimit, liveRegsSccColumn } from '../kernel-version.js';

/** How the log prints what depends on the loaded program rather than on the instruction's bytes. */
export interface DisasmOptions {
  /** The kernel whose printer to follow ('6.1' ...); default '6.18'. */
  kernelVersion?: string;
  /**
   * The second slot of an ld_imm64 (opcode 0x18): its imm is the upper half of the value. Without it the
   * upper half is taken as 0.
   */
  next?: Insn;
  /**
   * The name a kfunc call (src_reg BPF_PSEUDO_KFUNC_CALL) prints: verifier.c disasm_kfunc_name reads the
   * FUNC's name from the BTF that insn->off selects (vmlinux or a module's). Without it, or when it returns
   * undefined, the printer's own fallback "kernel-function" (what bpftool and libbpf's callers get).
   */
  kfuncName?: (insn: Insn) => string | undefined;
  /**
   * The 64-bit value an ld_imm64 holds when do_check prints it. Before do_check, resolve_pseudo_ldimm64 has
   * replaced a map's fd or fd_array index (BPF_PSEUDO_MAP_FD / _IDX) with the address of its struct
   * bpf_map, and a map value reference (_VALUE / _IDX_VALUE) with the address of the value plus the
   * offset; check_pseudo_btf_id a BTF id (BPF_PSEUDO_BTF_ID) with the kernel symbol's address. The kernel
   * prints these addresses (allow_ptr_leaks: root), so an emulator supplies stable addresses of its own
   * here. `value` is what the instruction encodes; the default prints it unchanged (a BPF_PSEUDO_FUNC's
   * relative offset is printed so by the kernel too: it is not rewritten before do_check).
   */
  ldImm64Value?: (insn: Insn, value: bigint) => bigint;
  /**
   * print_bpf_insn's cb_imm: the whole text after "r1 = " of an ld_imm64 (bpftool passes one to print
   * "map[id:5]"). The verifier passes none; leave it unset for log text.
   */
  ldImm64Text?: (insn: Insn, value: bigint) => string | undefined;
  /**
   * env->allow_ptr_leaks (bpf_allow_ptr_leaks: CAP_PERFMON, so root): when false, a map or BTF-id ld_imm64
   * prints 0x0. Default true.
   */
  allowPtrLeaks?: boolean;
}

// printf("%s", NULL) in the kernel's vsnprintf: a table entry the C leaves out.
const NULL_STR = '(null)';

// disasm.c bpf_alu_string: index BPF_OP >> 4.
const aluStrings: readonly (string | undefined)[] = [
  '+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian',
];
// disasm.c bpf_jmp_string: index BPF_OP >> 4 (JCOND, 0xe0, has none).
const jmpStrings: readonly (string | undefined)[] = [
  'jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=',
];
// disasm.c bpf_ldst_string / bpf_ldsx_string: index BPF_SIZE >> 3 (W, H, B, DW).
const ldstStrings = ['u32', 'u16', 'u8', 'u64'] as const;
// bpf_ldsx_string has no DW entry; BPF_MEMSX | BPF_DW fails bpf_opcode_in_insntable before any print.
const ldsxStrings = ['s32', 's16', 's8', NULL_STR] as const;
// disasm.c bpf_atomic_alu_string.
const atomicAluStrings: Readonly<Record<number, string>> = {
  [AtomicOp.Add]: 'add', [AtomicOp.And]: 'and', [AtomicOp.Or]: 'or', [AtomicOp.Xor]: 'xor',
};

/** C's "%02x" of a u8. */
const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
/** C's "%+d". */
const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
/** C's "0x%x" of a u32 (the kernel's vsnprintf prints an int's bits unsigned). */
const hex32 = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const aluOpString = (op: number): string => aluStrings[op >> 4] ?? NULL_STR;
const jmpOpString = (op: number): string => jmpStrings[op >> 4] ?? NULL_STR;
const ldst = (code: number): string => ldstStrings[sizeOf(code) >> 3]!;

/** The 64-bit value an ld_imm64 encodes: (next.imm << 32) | (u32)insn.imm. */
export function ldImm64Value(insn: Insn, next: Insn | undefined): bigint {
  return (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/**
 * The text print_bpf_insn writes for one instruction, without its newline: "(bf) r1 = r6". A few forms
 * have no "(code)" prefix ("BUG_db": an atomic with an imm the printer does not know).
 */
export function formatInsn(insn: Insn, opts: DisasmOptions = {}): string {
  const version = opts.kernelVersion ?? DEFAULT_KERNEL_VERSION;
  const code = insn.code & 0xff;
  const c = `(${hex2(code)})`;
  const cls = classOf(code);
  switch (cls) {
    case Class.Alu:
    case Class.Alu64:
      // Before the cpu v4 forms an ALU64 | END was a printer bug, written without the "(code)" prefix.
      if (cls === Class.Alu64 && opOf(code) === AluOp.End && !disasmCpuV4(version)) return `BUG_alu64_${hex2(code)}`;
      return `${c} ${formatAlu(insn, cls === Class.Alu64, version)}`;
    case Class.Stx:
      return formatStx(insn, c, version);
    case Class.St:
      if (modeOf(code) === Mode.Mem) return `${c} *(${ldst(code)} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm}`;
      // BPF_NOSPEC (0xc0): internal, inserted by the verifier; bpf_opcode_in_insntable refuses it from users.
      if (modeOf(code) === 0xc0) return `${c} nospec`;
      return `BUG_st_${hex2(code)}`;
    case Class.Ldx: {
      const mode = modeOf(code);
      const sx = mode === Mode.MemSx && disasmCpuV4(version);
      if (mode !== Mode.Mem && !sx) return `BUG_ldx_${hex2(code)}`;
      const type = sx ? ldsxStrings[sizeOf(code) >> 3]! : ldst(code);
      return `${c} r${insn.dst} = *(${type} *)(r${insn.src} ${signed(insn.off)})`;
    }
    case Class.Ld:
      return formatLd(insn, c, opts);
    default:
      return formatJmp(insn, c, cls === Class.Jmp32, opts, version);
  }
}

// print_bpf_insn, BPF_ALU / BPF_ALU64. Registers print as w (32-bit) or r (64-bit), except END's.
function formatAlu(insn: Insn, is64: boolean, version: string): string {
  const r = is64 ? 'r' : 'w';
  const op = opOf(insn.code);
  const v4 = disasmCpuV4(version);
  if (op === AluOp.End) {
    // print_bpf_bswap_insn (ALU64, v4) / print_bpf_end_insn (ALU): always r.
    if (is64) return `r${insn.dst} = bswap${insn.imm} r${insn.dst}`;
    return `r${insn.dst} = ${srcOf(insn.code) === Endian.ToBe ? 'be' : 'le'}${insn.imm} r${insn.dst}`;
  }
  if (op === AluOp.Neg) return `${r}${insn.dst} = -${r}${insn.dst}`;
  const movX64 = insn.code === (Class.Alu64 | AluOp.Mov | Source.X);
  if (movX64 && insn.off === BPF_ADDR_SPACE_CAST && disasmAddrSpaceCast(version)) {
    // is_addr_space_cast: the address spaces are imm's halves, (u32)imm >> 16 and (u16)imm.
    return `r${insn.dst} = addr_space_cast(r${insn.src}, ${insn.imm >>> 16}, ${insn.imm & 0xffff})`;
  }
  // is_mov_percpu_addr: BPF_ADDR_PERCPU (-1), the verifier's own per-CPU address move.
  if (movX64 && insn.off === -1 && disasmPercpuAddr(version)) return `r${insn.dst} = &(void __percpu *)(r${insn.src})`;
  // is_sdiv_smod: off 1 on DIV or MOD, whatever the class and source.
  const signedDivMod = v4 && (op === AluOp.Div || op === AluOp.Mod) && insn.off === 1;
  const opText = signedDivMod ? `s${aluOpString(op)}` : aluOpString(op);
  if (srcOf(insn.code) === Source.X) {
    // is_movsx: off 8, 16 or 32 on a MOV (bpf_movsx_string).
    const movsx = v4 && op === AluOp.Mov && (insn.off === 8 || insn.off === 16 || insn.off === 32) ? `(s${insn.off})` : '';
    return `${r}${insn.dst} ${opText} ${movsx}${r}${insn.src}`;
  }
  return `${r}${insn.dst} ${opText} ${insn.imm}`;
}

// print_bpf_insn, BPF_STX: stores and atomics. An atomic op it does not know prints "BUG_<code>", no prefix.
function formatStx(insn: Insn, c: string, version: string): string {
  const code = insn.code;
  const mem = `(${ldst(code)} *)(r${insn.dst} ${signed(insn.off)})`;
  const mode = modeOf(code);
  if (mode === Mode.Mem) return `${c} *${mem} = r${insn.src}`;
  if (mode === Mode.Atomic) {
    const imm = insn.imm;
    const w64 = sizeOf(code) === Size.DW ? '64' : '';
    const alu = atomicAluStrings[imm & ~AtomicOp.Fetch];
    if (alu !== undefined && (imm & AtomicOp.Fetch) === 0) return `${c} lock *${mem} ${aluOpString(imm & 0xf0)} r${insn.src}`;
    if (alu !== undefined) return `${c} r${insn.src} = atomic${w64}_fetch_${alu}(${mem}, r${insn.src})`;
    if (imm === AtomicOp.Cmpxchg) return `${c} r0 = atomic${w64}_cmpxchg(${mem}, r0, r${insn.src})`;
    if (imm === AtomicOp.Xchg) return `${c} r${insn.src} = atomic${w64}_xchg(${mem}, r${insn.src})`;
    if (disasmLoadAcquire(version)) {
      // load_acquire reads through src_reg into dst_reg; store_release writes src_reg through dst_reg.
      if (imm === AtomicOp.LoadAcq) return `${c} r${insn.dst} = load_acquire((${ldst(code)} *)(r${insn.src} ${signed(insn.off)}))`;
      if (imm === AtomicOp.StoreRel) return `${c} store_release(${mem}, r${insn.src})`;
    }
  }
  return `BUG_${hex2(code)}`;
}

// print_bpf_insn, BPF_LD: the legacy packet loads and ld_imm64 (__func_imm_name).
function formatLd(insn: Insn, c: string, opts: DisasmOptions): string {
  const code = insn.code;
  const mode = modeOf(code);
  if (mode === Mode.Abs) return `${c} r0 = *(${ldst(code)} *)skb[${insn.imm}]`;
  if (mode === Mode.Ind) return `${c} r0 = *(${ldst(code)} *)skb[r${insn.src} + ${insn.imm}]`;
  if (code !== LD_IMM64) return `BUG_ld_${hex2(code)}`;
  let value = ldImm64Value(insn, opts.next);
  if (opts.ldImm64Value) value = BigInt.asUintN(64, opts.ldImm64Value(insn, value));
  const isPtr = insn.src === PseudoLd.MapFd || insn.src === PseudoLd.MapValue || insn.src === PseudoLd.MapIdx
    || insn.src === PseudoLd.MapIdxValue || insn.src === PseudoLd.BtfId;
  if (isPtr && opts.allowPtrLeaks === false) value = 0n;
  const text = opts.ldImm64Text?.(insn, value) ?? `0x${value.toString(16)}`;
  return `${c} r${insn.dst} = ${text}`;
}

// print_bpf_insn, BPF_JMP / BPF_JMP32: calls (__func_get_name), gotos, exit, conditionals.
function formatJmp(insn: Insn, c: string, is32: boolean, opts: DisasmOptions, version: string): string {
  const code = insn.code;
  const op = opOf(code);
  if (op === JmpOp.Call) {
    if (insn.src === CallKind.Local) return `${c} call pc${signed(insn.imm)}`;
    return `${c} call ${callName(insn, opts, version)}#${insn.imm}`;
  }
  if (code === (Class.Jmp | JmpOp.Ja)) return `${c} goto pc${signed(insn.off)}`;
  if (code === (Class.Jmp | JmpOp.Ja | Source.X) && disasmGotox(version)) return `${c} gotox r${insn.dst}`;
  if (code === (Class.Jmp | JmpOp.Jcond) && insn.src === 0 && disasmMayGoto(version)) return `${c} may_goto pc${signed(insn.off)}`;
  if (code === (Class.Jmp32 | JmpOp.Ja) && disasmCpuV4(version)) return `${c} gotol pc${signed(insn.imm)}`;
  if (code === (Class.Jmp | JmpOp.Exit)) return `${c} exit`;
  const r = is32 ? 'w' : 'r';
  const rhs = srcOf(code) === Source.X ? `${r}${insn.src}` : hex32(insn.imm);
  return `${c} if ${r}${insn.dst} ${jmpOpString(op)} ${rhs} goto pc${signed(insn.off)}`;
}

// disasm.c __func_get_name for a call that is not bpf-to-bpf: the helper table for src_reg 0, then the
// verifier's cb_call (kfuncs), then "kernel-function" for a kfunc and "unknown" for anything else.
function callName(insn: Insn, opts: DisasmOptions, version: string): string {
  if (insn.src === CallKind.Helper && insn.imm >= 0 && insn.imm < helperIdLimit(version)) return funcIdName(insn.imm);
  if (insn.src === CallKind.Kfunc) return opts.kfuncName?.(insn) ?? 'kernel-function';
  return 'unknown';
}

/**
 * One instruction as do_check logs it (log_level 1 and 2), without the newline and without the state that
 * print_insn_state may append to it later: verbose(env, "%d: ", insn_idx), then print_bpf_insn.
 */
export function formatLogInsnLine(pc: number, insn: Insn, opts: DisasmOptions = {}): string {
  return `${pc}: ${formatInsn(insn, opts)}`;
}

/** formatLogInsnLine for instruction `pc` of a program (the second ld_imm64 slot taken from it). */
export function formatProgramInsnLine(insns: readonly Insn[], pc: number, opts: DisasmOptions = {}): string {
  const insn = insns[pc];
  if (!insn) throw new RangeError(`instruction ${pc} is outside the program (${insns.length} instructions)`);
  return formatLogInsnLine(pc, insn, insn.code === LD_IMM64 ? { ...opts, next: insns[pc + 1] } : opts);
}

/**
 * The instruction line with the padding and ";" that print_insn_state puts between it and the state it
 * appends (when nothing was logged in between): kernel/bpf/log.c vlog_alignment, with the line's length
 * counted with its newline (prev_insn_print_pos), so the ";" lands on column round_up(max(len + 5, 40), 8) - 1.
 * The state's text (" R0_w=0 ...") follows the ";".
 */
export function insnStatePrefix(line: string): string {
  const pos = byteLength(line) + 1;
  const width = roundUp8(Math.max(pos + 4, 40)) - pos - 1;
  return `${line}${' '.repeat(Math.max(width, 1))};`;
}

const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;
const encoder = new TextEncoder();
// The kernel counts bytes; instruction text is ASCII, a kfunc or source name may not be.
const byteLength = (s: string): number => (/^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length);

/**
 * A line of compute_live_registers' listing at log_level 2 (kernel/bpf/liveness.c since 6.15; verifier.c
 * before): the instruction's strongly connected component ("%3d " when it is in a loop, else four
 * spaces; since 6.17), "%3d: ", one character per r0..r9 ("." or the digit when the register is live
 * before the instruction), a space, the instruction.
 */
export function formatLiveRegsLine(pc: number, insn: Insn, liveBefore: number, scc: number, opts: DisasmOptions = {}): string {
  const version = opts.kernelVersion ?? DEFAULT_KERNEL_VERSION;
  const sccText = liveRegsSccColumn(version) ? (scc ? `${String(scc).padStart(3)} ` : '    ') : '';
  let regs = '';
  for (let r = 0; r < 10; r++) regs += liveBefore & (1 << r) ? String(r) : '.';
  return `${sccText}${String(pc).padStart(3)}: ${regs} ${formatInsn(insn, opts)}`;
}

/** One BTF line_info record as the log needs it: the instruction it starts at, file, line and source text. */
export interface LineRecord {
  insn: number;
  file: string;
  line: number;
  text: string;
}

/**
 * verbose_linfo's text for a record (kernel/bpf/log.c): the prefix ("; " in do_check, "%d: " in check_cfg's
 * messages), the source line with its leading white space removed (ltrim, isspace), " @ ", the file's
 * name after its last '/', ":", the line number. Without the newline.
 */
export function formatLineComment(record: Omit<LineRecord, 'insn'>, prefix = '; '): string {
  const slash = record.file.lastIndexOf('/');
  const file = slash < 0 ? record.file : record.file.slice(slash + 1);
  return `${prefix}${record.text.replace(/^[ \t\n\v\f\r]+/, '')} @ ${file}:${record.line >>> 0}`;
}

/**
 * verbose_linfo with its state (env->prev_linfo): which comment, if any, the log writes before an
 * instruction. The record covering `pc` is the last one starting at or before it (find_linfo); nothing is
 * written when it is the record last written, or names the same file and line as it. do_check_common
 * starts each verification pass (the main program, then each global function) afresh: call reset().
 */
export class LineInfoLog {
  readonly #records: readonly LineRecord[];
  #prev: LineRecord | undefined;

  /** `records` in instruction order, as line_info must be (check_btf_line refuses any other order). */
  constructor(records: readonly LineRecord[]) {
    this.#records = records;
  }

  reset(): void {
    this.#prev = undefined;
  }

  /** The comment line (no newline) to write before instruction `pc`, or undefined. */
  before(pc: number, prefix = '; '): string | undefined {
    const record = findLineRecord(this.#records, pc);
    const prev = this.#prev;
    if (!record || record === prev) return undefined;
    if (prev && prev.file === record.file && prev.line === record.line) return undefined;
    this.#prev = record;
    return formatLineComment(record, prefix);
  }
}

/** find_linfo: the rightmost record whose instruction is at or before `pc` (undefined before the first). */
export function findLineRecord(records: readonly LineRecord[], pc: number): LineRecord | undefined {
  let lo = 0;
  let hi = records.length - 1;
  if (hi < 0 || records[0]!.insn > pc) return undefined;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (records[mid]!.insn <= pc) lo = mid;
    else hi = mid - 1;
  }
  return records[lo];
}
