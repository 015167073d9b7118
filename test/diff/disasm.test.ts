// The verifier log's instruction lines, printed by the emulator (src/emulator/checker/disasm.ts) and by this
// machine's kernel, compared line by line:
// - every instruction form one at a time, each the one instruction of interest in a small raw program loaded
//   at log_level 2: every ALU op x {reg, imm} x {32, 64} with several operands, every size x memory mode,
//   every atomic op x size, the packet loads, ld_imm64 of constants, maps (by fd and by fd_array index, the
//   map and a value inside it) and BTF ids, every jump op x {reg, imm} x {JMP, JMP32}, gotos, may_goto,
//   helper, bpf-to-bpf and kfunc calls; then every opcode the kernel accepts, and random operands;
// - the level-2 logs of real objects (build/bpf) loaded by libbpf through `bpftool -d` (kernel_log_level
//   1|2|4), with their BTF line_info comments ("; <source> @ file.c:N").
// Each kernel line is compared exactly: "N: (xx) text", or that text followed by print_insn_state's padding
// and ";" (insnStatePrefix); the "Live regs before insn" listing (formatLiveRegsLine) and mark_precise's
// "before N: (xx) text" lines too. A form the kernel printed nothing for fails its case.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadAddon, type Addon, type NativeMap } from '../../src/kernel/binding.js';
import {
  AluOp, AtomicOp, CallKind, Class, classOf, encodeInsns, JmpOp, LD_IMM64, Mode, PseudoLd, Size, asm,
  type Insn,
} from '../../src/uapi/isa.js';
import { decodeBtf, BtfKind } from '../../src/btf/decode.js';
import { parseObject } from '../../src/elf/object.js';
import type { ParsedProgram } from '../../src/elf/spec.js';
import {
  formatInsn, formatLiveRegsLine, formatLogInsnLine, formatProgramInsnLine, insnStatePrefix, LineInfoLog,
  ldImm64Value, type DisasmOptions, type LineRecord,
} from '../../src/emulator/checker/disasm.js';
import { versionAtLeast } from '../../src/emulator/kernel-version.js';
import { features } from '../../src/kernel/features.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { mountBpffs } from '../helpers/bpffs.js';
import { describeUnless, testUnless } from '../helpers/skip.js';

const SCHED_CLS = 3;
const SOCKET_FILTER = 1;
const LOG_SIZE = 1 << 24;

/** One log line of each kind, as the kernel wrote it. */
interface KernelLog {
  /** do_check's instruction lines in log order (state suffix kept), with the line before each. */
  insns: { pc: number; line: string; before: string | undefined }[];
  /** "Live regs before insn" lines. */
  live: { pc: number; line: string; regs: number; scc: number }[];
  /** mark_precise's "... before N: <insn>" (the part from N on). */
  precise: { pc: number; line: string }[];
  /** do_check_common passes after the first (global functions: "Validating f() func#N..."), by insns index. */
  passes: number[];
  text: string;
}

const INSN_LINE = /^(\d+): ((?:\([0-9a-f]{2}\) |BUG_).*)$/;
const LIVE_LINE = /^( {4}|[ \d]{3}\d )( {0,2}\d+): ([.\d]{10}) (.*)$/;
const PRECISE_LINE = /^mark_precise: .* before ((\d+): .*)$/;

function parseLog(text: string): KernelLog {
  const out: KernelLog = { insns: [], live: [], precise: [], passes: [], text };
  const lines = text.split('\n');
  let inLive = false;
  lines.forEach((line, i) => {
    if (line === 'Live regs before insn:') { inLive = true; return; }
    if (inLive) {
      const m = LIVE_LINE.exec(line);
      if (m) {
        let regs = 0;
        [...m[3]!].forEach((ch, r) => { if (ch !== '.') regs |= 1 << r; });
        out.live.push({ pc: Number(m[2]), line, regs, scc: m[1]!.trim() ? Number(m[1]) : 0 });
        return;
      }
      inLive = false;
    }
    if (line.startsWith('Validating ')) out.passes.push(out.insns.length);
    const p = PRECISE_LINE.exec(line);
    if (p) { out.precise.push({ pc: Number(p[2]), line: p[1]! }); return; }
    const m = INSN_LINE.exec(line);
    if (m) out.insns.push({ pc: Number(m[1]), line, before: lines[i - 1] });
  });
  return out;
}

/**
 * Compares every instruction line of a log with the expected text for its pc; returns the mismatches.
 * `skip` holds pcs left out (instructions whose bytes the emulator does not know as libbpf wrote them).
 */
function compareLog(
  log: KernelLog, expected: (pc: number) => string | undefined, opts: (pc: number) => DisasmOptions, insns: readonly Insn[],
  skip: ReadonlySet<number> = new Set(),
): { compared: number; bad: string[] } {
  const bad: string[] = [];
  let compared = 0;
  // A program's log prints the same instruction many times (every path through it): format each pc once.
  const memo = new Map<number, string | undefined>();
  const wanted = expected;
  expected = (pc) => {
    if (!memo.has(pc)) memo.set(pc, wanted(pc));
    return memo.get(pc);
  };
  const prefixes = new Map<string, string>();
  const sameInsnLine = (kernel: string, want: string): boolean => {
    if (kernel === want) return true;
    let prefix = prefixes.get(want);
    if (prefix === undefined) prefixes.set(want, prefix = insnStatePrefix(want));
    return kernel.startsWith(prefix);
  };
  for (const { pc, line } of log.insns) {
    if (skip.has(pc)) continue;
    const want = expected(pc);
    compared++;
    if (want === undefined || !sameInsnLine(line, want)) bad.push(`do_check: kernel ${JSON.stringify(line)}, emulator ${JSON.stringify(want)}`);
  }
  for (const { pc, line } of log.precise) {
    if (skip.has(pc)) continue;
    const want = expected(pc);
    compared++;
    if (line !== want) bad.push(`mark_precise: kernel ${JSON.stringify(line)}, emulator ${JSON.stringify(want)}`);
  }
  // A do_check line is the instruction's text, alone or followed by print_insn_state's padding and state.
  for (const { pc, line, regs, scc } of log.live) {
    if (skip.has(pc)) continue;
    const insn = insns[pc];
    compared++;
    const want = insn && formatLiveRegsLine(pc, insn, regs, scc, { ...opts(pc), next: insns[pc + 1] });
    if (line !== want) bad.push(`live regs: kernel ${JSON.stringify(line)}, emulator ${JSON.stringify(want)}`);
  }
  return { compared, bad };
}

// ---------------------------------------------------------------------------------------------------------
// Raw programs, one instruction form at a time.

interface Case {
  name: string;
  insns: Insn[];
  /** The pc of the instruction of interest: the kernel must print it. */
  at: number;
  type?: number;
  fdArray?: Int32Array;
  /** Options for the printer (callbacks) at `pc`, given the kernel's log (map addresses are learnt there). */
  opts?: (pc: number, log: KernelLog) => DisasmOptions;
  /** The kernel version since which bpf_opcode_in_insntable lets the instruction through to do_check. */
  since?: string;
}

const since = (version: string, c: Case): Case => ({ ...c, since: version });

// r0 = 0; <insn>; r0 = 0 x3; exit. Conditional jumps of off -1..2 and calls land inside it.
const single = (name: string, insn: Insn | Insn[], type = SCHED_CLS): Case => ({
  name, type, at: 1,
  insns: [asm.mov64Imm(0, 0), ...(Array.isArray(insn) ? insn : [insn]), asm.mov64Imm(0, 0), asm.mov64Imm(0, 0), asm.mov64Imm(0, 0), asm.exit()],
});
// An unconditional jump at pc 2, with a conditional one at pc 1 reaching pc 3 so nothing it skips is dead code.
const unconditional = (name: string, insn: Insn): Case => ({
  name, at: 2,
  insns: [asm.mov64Imm(0, 0), asm.jmpImm(JmpOp.Jeq, 1, 0, 1), insn, asm.mov64Imm(0, 0), asm.mov64Imm(0, 0), asm.mov64Imm(0, 0), asm.exit()],
});

const aluOps = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Div, AluOp.Or, AluOp.And, AluOp.Lsh, AluOp.Rsh, AluOp.Mod, AluOp.Xor, AluOp.Mov, AluOp.Arsh];
const jmpOps = [JmpOp.Jeq, JmpOp.Jgt, JmpOp.Jge, JmpOp.Jset, JmpOp.Jne, JmpOp.Jsgt, JmpOp.Jsge, JmpOp.Jlt, JmpOp.Jle, JmpOp.Jslt, JmpOp.Jsle];
const sizes = [1, 2, 4, 8] as const;
const imms = [0, 1, -1, 63, 0x7fffffff, -0x80000000];
const regPairs: [number, number][] = [[1, 2], [0, 10], [9, 1]];
const memOperands: [number, number, number][] = [[1, 10, -8], [0, 1, 0], [9, 2, 32767], [3, 4, -32768]];
const atomicImms = [
  AtomicOp.Add, AtomicOp.Or, AtomicOp.And, AtomicOp.Xor,
  AtomicOp.Add | AtomicOp.Fetch, AtomicOp.Or | AtomicOp.Fetch, AtomicOp.And | AtomicOp.Fetch, AtomicOp.Xor | AtomicOp.Fetch,
  AtomicOp.Xchg, AtomicOp.Cmpxchg, AtomicOp.LoadAcq, AtomicOp.StoreRel,
  // Not atomic ops: printed "BUG_<code>" (no "(code)"), then refused.
  0x02, 0x31,
];

function systematicCases(): Case[] {
  const cases: Case[] = [];
  for (const is64 of [false, true]) {
    const w = is64 ? 'alu64' : 'alu32';
    for (const op of aluOps) {
      for (const imm of imms) cases.push(single(`${w} op ${op.toString(16)} imm ${imm}`, (is64 ? asm.alu64Imm : asm.alu32Imm)(op, 1, imm)));
      for (const [d, s] of regPairs) cases.push(single(`${w} op ${op.toString(16)} r${d} r${s}`, (is64 ? asm.alu64Reg : asm.alu32Reg)(op, d, s)));
    }
    for (const op of [AluOp.Div, AluOp.Mod]) {
      cases.push(single(`${w} signed ${op.toString(16)} imm`, (is64 ? asm.alu64Imm : asm.alu32Imm)(op, 2, -7, 1)));
      cases.push(single(`${w} signed ${op.toString(16)} reg`, (is64 ? asm.alu64Reg : asm.alu32Reg)(op, 2, 3, 1)));
    }
    // movsx: 8/16/32 on both classes (32-bit (s32) prints, then is refused).
    for (const bits of [8, 16, 32]) cases.push(single(`${w} movsx ${bits}`, (is64 ? asm.alu64Reg : asm.alu32Reg)(AluOp.Mov, 3, 4, bits)));
    // A MOV K with an off is printed plainly (is_movsx looks at X only).
    cases.push(single(`${w} mov imm off 8`, (is64 ? asm.alu64Imm : asm.alu32Imm)(AluOp.Mov, 3, 5, 8)));
    for (const d of [0, 1, 9]) cases.push(single(`${w} neg r${d}`, is64 ? asm.neg64(d) : asm.neg32(d)));
  }
  for (const bits of [16, 32, 64] as const) {
    cases.push(single(`le${bits}`, asm.endian(1, bits, 'le')), single(`be${bits}`, asm.endian(2, bits, 'be')), since('6.6', single(`bswap${bits}`, asm.bswap(3, bits))));
  }
  cases.push(single('be with a bad width', asm.endian(1, 8 as 16, 'be')));
  cases.push(single('addr_space_cast 0 1', asm.alu64Reg(AluOp.Mov, 1, 2, 1)), single('addr_space_cast 1 0', { ...asm.alu64Reg(AluOp.Mov, 1, 2, 1), imm: 0x10000 }));
  cases.push(single('percpu address move', asm.alu64Reg(AluOp.Mov, 1, 2, -1)));
  for (const size of sizes) {
    for (const [d, s, off] of memOperands) {
      cases.push(single(`ldx ${size} r${d} r${s} ${off}`, asm.ldx(size, d, s, off)));
      if (size !== 8) cases.push(since('6.6', single(`ldxsx ${size} r${d} r${s} ${off}`, asm.ldxsx(size as 1 | 2 | 4, d, s, off))));
      cases.push(single(`stx ${size} r${d} r${s} ${off}`, asm.stx(size, d, s, off)));
    }
    for (const [d, off, imm] of [[10, -8, 0], [1, 16, -1], [2, -3, 0x7fffffff]]) cases.push(single(`st ${size} r${d} ${off} ${imm}`, asm.st(size, d!, off!, imm!)));
    for (const imm of atomicImms) {
      // 1- and 2-byte atomics came with load-acquire (6.15).
      for (const [d, s, off] of [[10, 1, -8], [2, 3, 4]] as const) cases.push(since(size < 4 ? '6.15' : '6.1', single(`atomic ${size} ${imm.toString(16)} r${d} r${s}`, asm.atomic(size, imm, d, s, off))));
    }
    if (size !== 8) {
      const sz = size === 1 ? Size.B : size === 2 ? Size.H : Size.W;
      for (const imm of [0, 14, -1]) cases.push(single(`ld_abs ${size} ${imm}`, asm.raw(Class.Ld | Mode.Abs | sz, 0, 0, 0, imm), SOCKET_FILTER));
      for (const [s, imm] of [[1, 0], [7, 2]]) cases.push(single(`ld_ind ${size} r${s} ${imm}`, asm.raw(Class.Ld | Mode.Ind | sz, 0, s!, 0, imm!), SOCKET_FILTER));
    }
  }
  for (const v of [0n, 1n, -1n, 0x123456789abcdef0n, 0x80000000n, 0x100000000n, -0x80000000n]) cases.push(single(`ld_imm64 ${v}`, asm.ldImm64(4, v)));
  for (const is32 of [false, true]) {
    const j = is32 ? 'jmp32' : 'jmp';
    for (const op of jmpOps) {
      for (const [imm, off] of [[0, 0], [-1, 1], [0x7fffffff, 2], [5, -1]]) cases.push(single(`${j} ${op.toString(16)} imm ${imm} off ${off}`, (is32 ? asm.jmp32Imm : asm.jmpImm)(op, 1, imm!, off!)));
      for (const [[d, s], off] of [[regPairs[0]!, 0], [regPairs[1]!, 2], [regPairs[2]!, -1]] as const) cases.push(single(`${j} ${op.toString(16)} r${d} r${s} off ${off}`, (is32 ? asm.jmp32Reg : asm.jmpReg)(op, d, s, off)));
    }
  }
  for (const off of [0, 1, 2, -1, -2]) cases.push(unconditional(`goto ${off}`, asm.ja(off)), since('6.6', unconditional(`gotol ${off}`, asm.gotol(off))));
  for (const off of [0, 1, 2]) cases.push(since('6.9', single(`may_goto ${off}`, asm.mayGoto(off))));
  cases.push({ name: 'exit', at: 1, insns: [asm.mov64Imm(0, 0), asm.exit()] });
  for (const id of [1, 2, 5, 7, 8, 12, 14, 26, 181, 211, 212, 5000, -1]) cases.push(single(`call helper ${id}`, asm.call(id)));
  cases.push(single('call with an unknown src_reg', { ...asm.call(7), src: 3 }));
  // bpf-to-bpf calls forwards and backwards: main 0-2, subprograms at 3 and 5.
  cases.push({
    name: 'bpf-to-bpf calls', at: 5,
    insns: [asm.callLocal(4), asm.mov64Imm(0, 0), asm.exit(), asm.mov64Imm(0, 0), asm.exit(), asm.callLocal(-3), asm.mov64Imm(0, 0), asm.exit()],
  });
  return cases;
}

/** Every opcode with one operand set; the kernel prints the ones bpf_opcode_in_insntable lets through. */
function opcodeCases(): Case[] {
  const cases: Case[] = [];
  for (let code = 0; code < 256; code++) {
    if (code === LD_IMM64) continue;
    const cls = classOf(code);
    const jump = cls === Class.Jmp || cls === Class.Jmp32;
    const insn = asm.raw(code, 1, jump && (code & 0xf0) === JmpOp.Call ? 0 : 2, 1, jump ? 1 : 8);
    cases.push(code === (Class.Jmp | JmpOp.Ja) || code === (Class.Jmp32 | JmpOp.Ja) ? unconditional(`opcode ${code}`, insn) : single(`opcode ${code}`, insn));
  }
  return cases;
}

/** Random operands on every opcode the kernel printed in the opcode sweep (seeded: the same each run). */
function randomCases(codes: readonly number[], n: number, seed: number): Case[] {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const s32 = (): number => pick([0, 1, -1, 8, 16, 32, 64, 0x7fffffff, -0x80000000, next() | 0, (next() & 0xff) - 128]);
  const cases: Case[] = [];
  for (let i = 0; i < n; i++) {
    const code = pick(codes);
    const cls = classOf(code);
    const jump = cls === Class.Jmp || cls === Class.Jmp32;
    const call = jump && (code & 0xf0) === JmpOp.Call;
    const insn = asm.raw(code, next() % 11, call ? pick([0, 0, 0, 1, 2, 3, 9]) : next() % 11, jump && !call ? pick([0, 1, 2, -1]) : pick([0, 1, -1, 8, 16, 32, 0x7fff, -0x8000, (next() & 0xffff) - 0x8000]), s32());
    if (call && insn.src === CallKind.Local) insn.imm = pick([0, 1, 2]);
    if (code === (Class.Jmp32 | JmpOp.Ja)) insn.imm = pick([0, 1, 2, -1]);
    cases.push(code === (Class.Jmp | JmpOp.Ja) || code === (Class.Jmp32 | JmpOp.Ja) ? unconditional(`random ${i}`, insn) : single(`random ${i}`, insn));
  }
  return cases;
}

// The log shows kernel addresses (allow_ptr_leaks), kallsyms names them and bpftool loads objects: root only.
const skipReason = kernelSkipReason() ?? (process.getuid?.() === 0 ? undefined : 'not root (the log prints kernel addresses only to root)');

describeUnless(skipReason, 'verifier log instruction lines: the emulator\'s printer against the kernel\'s', () => {
  let addon: Addon;
  let version: string;
  const maps: NativeMap[] = [];
  const log = new Uint8Array(LOG_SIZE);
  const decoder = new TextDecoder();

  beforeAll(() => {
    const a = loadAddon();
    if (a instanceof Error) throw a;
    addon = a;
    // The printer follows this kernel's version (kernel-version.ts disasm*); make matrix runs it on others.
    version = features.emulatorKernelVersion();
  });
  afterAll(() => { for (const m of maps) m.close(); });

  function makeMap(type: number, valueSize: number, maxEntries: number): NativeMap {
    const m = addon.NativeMap.create(type, 4, valueSize, maxEntries, 0, 'disasm', 0, 0, 0, 0);
    if (typeof m === 'number') throw new Error(`map create: ${m}`);
    maps.push(m);
    return m;
  }

  function load(c: Case): { fd: number; log: KernelLog } {
    log[0] = 0;
    const fd = addon.progLoad(c.type ?? SCHED_CLS, encodeInsns(c.insns), 'GPL', 'disasm', c.fdArray ?? null, 0, 0, log, 2);
    if (fd >= 0) addon.closeFd(fd);
    const end = log.indexOf(0);
    return { fd, log: parseLog(decoder.decode(log.subarray(0, end < 0 ? log.length : end))) };
  }

  /** Loads each case and compares every instruction line; the case's own instruction must be printed. */
  function run(cases: readonly Case[], requirePrinted = true): { compared: number; printed: Case[]; bad: string[] } {
    const bad: string[] = [];
    const printed: Case[] = [];
    let compared = 0;
    for (const c of cases) {
      const { log: k } = load(c);
      const opts = (pc: number): DisasmOptions => ({ kernelVersion: version, ...c.opts?.(pc, k) });
      const r = compareLog(k, (pc) => c.insns[pc] && formatProgramInsnLine(c.insns, pc, opts(pc)), opts, c.insns);
      compared += r.compared;
      bad.push(...r.bad.map((b) => `${c.name}: ${b}`));
      if (k.insns.some((l) => l.pc === c.at)) printed.push(c);
      else if (requirePrinted && (!c.since || versionAtLeast(version, c.since))) bad.push(`${c.name}: the kernel printed no line for pc ${c.at}: ${k.text.split('\n').slice(-3).join(' | ')}`);
    }
    return { compared, printed, bad };
  }

  const kfuncId = (name: string): number => {
    const t = vmlinux().find((x) => x.kind === BtfKind.Func && x.name === name);
    if (!t) throw new Error(`vmlinux has no FUNC ${name}`);
    return t.id;
  };
  const btfName = (id: number): string => (id === 0 ? '' : vmlinux()[id - 1]?.name ?? '?');

  test('every instruction form, one at a time, as the kernel prints it', () => {
    const cases = systematicCases();
    const r = run(cases);
    expect(r.bad, r.bad.slice(0, 20).join('\n')).toEqual([]);
    console.log(`disasm: ${cases.length} instruction forms, ${r.compared} kernel lines compared, 0 divergences`);
    expect(cases.length).toBeGreaterThan(600);
  });

  test('kfunc calls print the FUNC\'s name from vmlinux BTF and its id', (ctx) => {
    if (!vmlinux().some((t) => t.kind === BtfKind.Func && t.name === 'bpf_rcu_read_lock')) {
      console.log('skipped: kfunc calls: this kernel has no bpf_rcu_read_lock kfunc (6.2+)');
      ctx.skip();
    }
    const lock = kfuncId('bpf_rcu_read_lock');
    const unlock = kfuncId('bpf_rcu_read_unlock');
    const byName = (insn: Insn): string | undefined => btfName(insn.imm);
    const c: Case = {
      name: 'kfuncs', at: 1,
      insns: [asm.mov64Imm(0, 0), asm.callKfunc(lock), asm.callKfunc(unlock), asm.mov64Imm(0, 0), asm.exit()],
      opts: () => ({ kfuncName: byName }),
    };
    const r = run([c]);
    expect(r.bad, r.bad.join('\n')).toEqual([]);
    expect(formatLogInsnLine(1, c.insns[1]!, { kernelVersion: version, kfuncName: byName })).toBe(`1: (85) call bpf_rcu_read_lock#${lock}`);
    // Without a name the printer's own fallback, as libbpf's and bpftool's callers see it: not the kernel's text.
    expect(formatLogInsnLine(1, c.insns[1]!)).toBe(`1: (85) call kernel-function#${lock}`);
  });

  test('ld_imm64 of maps and BTF ids: the addresses resolve_pseudo_ldimm64 and check_pseudo_btf_id put there', () => {
    const hash = makeMap(1, 8, 4);
    const array = makeMap(2, 16, 1);
    // A kernel symbol by BTF id (a __ksym): check_pseudo_btf_id puts its kallsyms address there. A FUNC, as
    // a VAR's address is missing where kallsyms lists no data (CONFIG_KALLSYMS_ALL=n: the load fails first);
    // one every supported kernel has.
    const kallsyms = kernelSymbols();
    const varName = 'bpf_prog_put';
    const varId = kfuncId(varName);
    if (!kallsyms.has(varName)) throw new Error(`kallsyms has no ${varName}`);
    const insns: Insn[] = [
      ...asm.ldImm64(1, BigInt(hash.fd), PseudoLd.MapFd),
      ...asm.ldImm64(2, 0n, PseudoLd.MapIdx),
      ...asm.ldImm64(3, 1n, PseudoLd.MapIdx),
      ...asm.ldImm64(4, BigInt(array.fd), PseudoLd.MapFd),
      ...asm.ldImm64(5, BigInt(array.fd) | (0n << 32n), PseudoLd.MapValue),
      ...asm.ldImm64(6, BigInt(array.fd) | (8n << 32n), PseudoLd.MapValue),
      ...asm.ldImm64(7, 1n | (12n << 32n), PseudoLd.MapIdxValue),
      ...asm.ldImm64(8, BigInt(varId), PseudoLd.BtfId),
      asm.mov64Imm(0, 0), asm.exit(),
    ];
    const fdArray = new Int32Array([hash.fd, array.fd]);
    // The map addresses are the kernel's secret: read the first of each (hash by fd, array by fd, the array's
    // value at offset 0) from its own log, then every other line must follow from them.
    const addressIn = (k: KernelLog, pc: number): bigint => {
      const line = k.insns.find((l) => l.pc === pc)?.line ?? '';
      const m = / = (0x[0-9a-f]+)/.exec(line);
      if (!m) throw new Error(`no address at ${pc}: ${line}`);
      return BigInt(m[1]!);
    };
    const c: Case = {
      name: 'ld_imm64 pseudo sources', at: 14, insns, fdArray,
      opts: (pc, k) => ({
        ldImm64Value: (insn, encoded) => {
          const hashAddr = addressIn(k, 0);
          const arrayAddr = addressIn(k, 6);
          const valueAddr = addressIn(k, 8);
          switch (insn.src) {
            case PseudoLd.MapFd: return insn.imm === hash.fd ? hashAddr : arrayAddr;
            case PseudoLd.MapIdx: return insn.imm === 0 ? hashAddr : arrayAddr;
            case PseudoLd.MapValue: case PseudoLd.MapIdxValue: return valueAddr + (encoded >> 32n);
            case PseudoLd.BtfId: return kallsyms.get(varName)!;
            default: return encoded;
          }
        },
      }),
    };
    const r = run([c]);
    expect(r.bad, r.bad.join('\n')).toEqual([]);
    const k = load(c).log;
    expect(addressIn(k, 0)).toBeGreaterThanOrEqual(0xffff800000000000n);
    // map_direct_value_addr: struct bpf_array's value[], just after its struct bpf_map.
    const valueOffset = addressIn(k, 8) - addressIn(k, 6);
    expect(valueOffset > 0n && valueOffset < 4096n && valueOffset % 8n === 0n, `value at map + ${valueOffset}`).toBe(true);
    expect(k.insns.filter((l) => l.pc <= 14).length).toBe(8);
    // The encoded value, for callers without addresses; and 0x0 without allow_ptr_leaks.
    expect(formatInsn(insns[6]!, { next: insns[7] })).toBe(`(18) r4 = 0x${array.fd.toString(16)}`);
    expect(formatInsn(insns[6]!, { next: insns[7], allowPtrLeaks: false, ldImm64Value: () => 0xffff888100000000n })).toBe('(18) r4 = 0x0');
  });

  test('ld_imm64 of a function (BPF_PSEUDO_FUNC) prints its relative offset', () => {
    // Without BTF func_info the kernel refuses it, after printing it (check_ld_imm: missing btf func_info).
    const insns = [...asm.ldFunc(2, 3), asm.mov64Imm(0, 0), asm.exit(), asm.mov64Imm(0, 0), asm.exit()];
    const r = run([{ name: 'pseudo func', at: 0, insns }]);
    expect(r.bad, r.bad.join('\n')).toEqual([]);
    expect(ldImm64Value(insns[0]!, insns[1])).toBe(3n);
  });

  test('every opcode the kernel accepts, then random operands on them', () => {
    const sweep = run(opcodeCases(), false);
    expect(sweep.bad, sweep.bad.slice(0, 20).join('\n')).toEqual([]);
    const codes = sweep.printed.map((c) => c.insns[c.at]!.code);
    // bpf_opcode_in_insntable on 6.18 (less ld_imm64): the harness reached them.
    expect(codes.length).toBeGreaterThan(100);
    const random = run(randomCases(codes, 3000, 20260101), false);
    expect(random.bad, random.bad.slice(0, 20).join('\n')).toEqual([]);
    expect(random.printed.length).toBeGreaterThan(2000);
    console.log(`disasm: ${codes.length} opcodes printed of 255, ${random.printed.length}/3000 random instructions printed, ${sweep.compared + random.compared} lines compared, 0 divergences`);
  });
});

/** The result of `make`, made on the first call: vmlinux BTF and kallsyms are read once for the file. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const vmlinux = once(() => decodeBtf(readFileSync('/sys/kernel/btf/vmlinux')));

/** /proc/kallsyms: name → address (the first of a name). */
const kernelSymbols = once((): Map<string, bigint> => {
  const out = new Map<string, bigint>();
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const [addr, , name] = line.split(' ');
    if (name && !out.has(name)) out.set(name, BigInt(`0x${addr}`));
  }
  return out;
});

// ---------------------------------------------------------------------------------------------------------
// Real objects, loaded by libbpf at log level 2 through bpftool -d.

const objectFixtures = [
  'for_each', 'loop_results', 'res_spin_lock', 'spin_lock', 'res_global', 'externs', 'syscall_counter', 'map_churn',
  'core_skb', 'reject_helper_in_lock', 'reject_res_out_of_order', 'reject_irq_out_of_order',
];

function bpftoolReason(): string | undefined {
  const r = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'bpftool is not installed (make setup installs it)';
  if (!objectFixtures.every((f) => existsSync(`build/bpf/${f}.bpf.o`))) return 'build/bpf fixtures missing (make setup)';
  return undefined;
}

/** The level-2 verifier log of each program of an object, as libbpf printed it for bpftool -d. */
function bpftoolLogs(dir: string, object: string): Map<string, string> {
  const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', object, `${dir}/${object.replace(/\W/g, '_')}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const logs = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of r.stderr.split('\n')) {
    const begin = /^libbpf: prog '(.+)': -- BEGIN PROG LOAD LOG --$/.exec(line);
    if (begin) { name = begin[1]; lines = []; continue; }
    if (name !== undefined && line === '-- END PROG LOAD LOG --') { logs.set(name, lines.join('\n')); name = undefined; continue; }
    if (name !== undefined) lines.push(line);
  }
  return logs;
}

const bpftoolSkip = (() => { try { return bpftoolReason(); } catch (e) { return String(e); } })();

describeUnless(skipReason, 'verifier log of real objects (libbpf at log level 2 through bpftool -d)', () => {
  testUnless(bpftoolSkip, 'instruction lines and BTF line_info comments', () => {
    const vmlinuxFuncs = new Map(vmlinux().filter((t) => t.kind === BtfKind.Func).map((t) => [t.name, t.id]));
    const kallsyms = kernelSymbols();
    const fs = mountBpffs();
    const bad: string[] = [];
    let compared = 0;
    let comments = 0;
    let programs = 0;
    try {
      for (const fixture of objectFixtures) {
        const path = `build/bpf/${fixture}.bpf.o`;
        const spec = parseObject(readFileSync(path), `${fixture}.bpf.o`);
        const logs = bpftoolLogs(fs.dir, path);
        for (const p of spec.programs) {
          const text = logs.get(p.name);
          if (text === undefined) continue;
          programs++;
          const r = compareObjectProgram(p, parseLog(text), vmlinuxFuncs, kallsyms, features.emulatorKernelVersion());
          compared += r.compared;
          comments += r.comments;
          bad.push(...r.bad.map((b) => `${fixture}/${p.name}: ${b}`));
        }
      }
    } finally {
      fs.cleanup();
    }
    expect(bad, bad.slice(0, 20).join('\n')).toEqual([]);
    // Not vacuous: most fixtures load on any kernel bpfkit supports; for_each alone has thousands of comments.
    expect(programs).toBeGreaterThan(10);
    expect(comments).toBeGreaterThan(1000);
    console.log(`disasm: ${programs} object programs, ${compared} instruction lines and ${comments} line_info comments compared, 0 divergences`);
  });
});

/**
 * The kernel's log of one program against the spec's instructions (libbpf's layout: entry then subprograms)
 * and line_info, with libbpf's and the kernel's fix-ups as callbacks: a kfunc call carries its vmlinux BTF
 * id; a map's ld_imm64 the map's address (learnt from the first line that names the map, then required of
 * every other), a map value's the value's address plus its offset; a ksym its kallsyms address.
 */
function compareObjectProgram(p: ParsedProgram, log: KernelLog, vmlinuxFuncs: ReadonlyMap<string, number>, kallsyms: Map<string, bigint>, kernelVersion: string): { compared: number; comments: number; bad: string[] } {
  const relocs = new Map(p.relocs.map((r) => [r.insn, r]));
  const insns = p.insns.map((insn, i) => {
    const r = relocs.get(i);
    return r?.kind === 'kfunc' ? { ...insn, imm: vmlinuxFuncs.get(r.name) ?? insn.imm } : insn;
  });
  const printed = new Map<number, bigint>();
  for (const { pc, line } of log.insns) {
    const m = /^\d+: \(18\) r\d+ = 0x([0-9a-f]+)/.exec(line);
    if (m && !printed.has(pc)) printed.set(pc, BigInt(`0x${m[1]}`));
  }
  // base of each map reference ('map:<name>' the map, 'value:<name>' its value), from the first line naming it.
  const bases = new Map<string, bigint>();
  const baseOf = (key: string, pc: number, offset: bigint): bigint => {
    if (!bases.has(key) && printed.has(pc)) bases.set(key, printed.get(pc)! - offset);
    return (bases.get(key) ?? -1n) + offset;
  };
  const opts = (pc: number): DisasmOptions => ({
    kernelVersion,
    // A __weak kfunc this kernel lacks (bpf_res_spin_lock before 6.15): libbpf poisons the call, which
    // resolves to no name ("call #0").
    kfuncName: () => { const r = relocs.get(pc); return r?.kind === 'kfunc' ? (vmlinuxFuncs.has(r.name) ? r.name : '') : undefined; },
    ldImm64Value: (_insn, value) => {
      const r = relocs.get(pc);
      if (r?.kind === 'map') return baseOf(`map:${r.map}`, pc, 0n);
      if (r?.kind === 'mapValue') return baseOf(`value:${r.map}`, pc, BigInt(r.offset));
      if (r?.kind === 'extern' && r.externKind === 'kconfig' && r.map !== undefined) return baseOf(`value:${r.map}`, pc, BigInt(r.offset ?? 0));
      if (r?.kind === 'extern' && r.externKind === 'ksym') return kallsyms.get(r.name) ?? 0n;
      return value;
    },
  });
  // CO-RE relocated instructions: the spec has them as the emulator relocates them (against its own types),
  // libbpf against this kernel's BTF; their operands differ, not their printing.
  const core = new Set((p.coreRelocs ?? []).map((r) => r.insn));
  const { compared, bad } = compareLog(log, (pc) => insns[pc] && formatProgramInsnLine(insns, pc, opts(pc)), opts, insns, core);
  // Line info: verbose_linfo before each instruction do_check prints, with its state over the whole pass.
  const records: LineRecord[] = [...p.lines].sort((a, b) => a[0] - b[0]).map(([insn, l]) => ({ insn, ...l }));
  const linfo = new LineInfoLog(records);
  let comments = 0;
  log.insns.forEach(({ pc, before }, i) => {
    if (log.passes.includes(i)) linfo.reset();
    const want = linfo.before(pc);
    const got = before?.startsWith('; ') ? before : undefined;
    if (got !== undefined) comments++;
    if (got !== want) bad.push(`line info before ${pc}: kernel ${JSON.stringify(got)}, emulator ${JSON.stringify(want)}`);
  });
  return { compared, comments, bad };
}
