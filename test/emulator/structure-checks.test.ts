// Load-time structural checks (src/emulator/checker/structure.ts) against the kernel's verifier: every
// bad program is loaded on both engines and must fail with the same errno and the same reason (the
// verifier log's last meaningful line). The tables the checker carries (the opcode table, each program
// type's helpers) are compared entry by entry with this machine's kernel, and a seeded fuzz of single
// random instructions checks that whatever the emulator refuses, the kernel refuses with the same words.
import { expect, test } from 'vitest';
import { BPF_FUNC_MAX_ID } from '../../src/uapi/helpers.js';
import { asm, encodeInsns, type Insn } from '../../src/uapi/isa.js';
import type { Engine } from '../../src/seam/engine.js';
import { BpfError, BpfVerifierError, Emulator, loadProgram, ProgramType } from '../../src/index.js';
import { buildRefusals, refusedByBuild } from '../helpers/build-policies.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeEngines } from '../helpers/engines.js';
import { kernelSkipReason } from '../helpers/kernel.js';

type Outcome = { ok: true } | { ok: false; code: string; reason: string };

function load(engine: Engine, insns: readonly Insn[], type: number = ProgramType.Syscall): Outcome {
  try {
    loadProgram({ type, insns: encodeInsns(insns), name: 'checked', engine }).close();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    // What the emulator cannot run is a BpfError of its own, not a verifier verdict: its message says why.
    const reason = e instanceof BpfVerifierError ? lastMeaningfulLine(e.log) : e.message;
    return { ok: false, code: e.code, reason };
  }
}

const ret0 = [asm.mov64Imm(0, 0), asm.exit()];

/** Bad programs and the verifier's words for each (kernel/bpf/verifier.c). */
const refused: { name: string; insns: Insn[]; type?: number; code: string; reason: string }[] = [
  { name: 'unknown opcode', insns: [asm.raw(0xff), ...ret0], code: 'EINVAL', reason: 'unknown opcode ff' },
  { name: 'unknown opcode 0x00', insns: [asm.raw(0x00), ...ret0], code: 'EINVAL', reason: 'unknown opcode 00' },
  { name: 'ldx with a bad mode', insns: [asm.raw(0x21, 0, 1), ...ret0], code: 'EINVAL', reason: 'BPF_LDX uses reserved fields' },
  { name: 'jump past the end', insns: [asm.ja(5), ...ret0], code: 'EINVAL', reason: 'jump out of range from insn 0 to 6' },
  { name: 'jump before the start', insns: [asm.mov64Imm(0, 0), asm.jmpImm(0x10, 0, 0, -3), asm.exit()], code: 'EINVAL', reason: 'jump out of range from insn 1 to -1' },
  { name: 'gotol past the end', insns: [asm.gotol(7), ...ret0], code: 'EINVAL', reason: 'jump out of range from insn 0 to 8' },
  { name: 'falling off the end', insns: [asm.mov64Imm(0, 0)], code: 'EINVAL', reason: 'last insn is not an exit or jmp' },
  { name: 'a subprogram falling into the next', insns: [asm.callLocal(2), asm.mov64Imm(0, 0), asm.exit(), asm.mov64Imm(0, 1), asm.callLocal(0), asm.exit()], code: 'EINVAL', reason: 'last insn is not an exit or jmp' },
  { name: 'a jump from one subprogram into another', insns: [asm.callLocal(2), asm.ja(1), asm.exit(), asm.mov64Imm(0, 1), asm.exit()], code: 'EINVAL', reason: 'jump out of range from insn 1 to 3' },
  { name: 'a call outside the program', insns: [asm.callLocal(9), ...ret0], code: 'EINVAL', reason: 'call to invalid destination' },
  { name: 'ld_imm64 without its second half', insns: [asm.mov64Imm(0, 0), asm.ja(0), asm.ldImm64(0, 1n)[0], asm.exit()], code: 'EINVAL', reason: 'invalid bpf_ld_imm64 insn' },
  { name: 'ld_imm64 with a bad second half', insns: [asm.ldImm64(0, 1n)[0], asm.raw(0, 1), asm.exit()], code: 'EINVAL', reason: 'invalid bpf_ld_imm64 insn' },
  { name: 'ld_imm64 of an unknown kind', insns: [...asm.ldImm64(0, 0n, 9), asm.exit()], code: 'EINVAL', reason: 'unrecognized bpf_ld_imm64 insn' },
  { name: 'unreachable code', insns: [...ret0, ...ret0], code: 'EINVAL', reason: 'unreachable insn 2' },
  { name: 'a jump into an ld_imm64', insns: [asm.mov64Imm(0, 0), asm.jmpImm(0x10, 0, 1, 1), ...asm.ldImm64(0, 1n), asm.exit()], code: 'EINVAL', reason: 'jump into the middle of ldimm64 insn 2' },
  { name: 'a helper id the kernel does not have', insns: [asm.call(BPF_FUNC_MAX_ID + 100), ...ret0], code: 'EINVAL', reason: `invalid func unknown#${BPF_FUNC_MAX_ID + 100}` },
  { name: 'a helper the program type may not call', insns: [asm.call(23), ...ret0], code: 'EINVAL', reason: 'program of this type cannot use helper bpf_redirect#23' },
  { name: 'helper 0', insns: [asm.call(0), ...ret0], type: ProgramType.Xdp, code: 'EINVAL', reason: 'program of this type cannot use helper bpf_unspec#0' },
  { name: 'a skb helper in xdp', insns: [asm.call(26), ...ret0], type: ProgramType.Xdp, code: 'EINVAL', reason: 'program of this type cannot use helper bpf_skb_load_bytes#26' },
  { name: 'a sleepable helper in a non-sleepable program', insns: [asm.call(148), ...ret0], type: ProgramType.SchedCls, code: 'EINVAL', reason: 'helper call might sleep in a non-sleepable prog' },
  { name: 'ALU with an immediate and a src_reg', insns: [asm.raw(0x07, 0, 1, 0, 1), ...ret0], code: 'EINVAL', reason: 'BPF_ALU uses reserved fields' },
  { name: 'ALU off 1 on an add', insns: [asm.mov64Imm(0, 0), asm.alu64Imm(0x00, 0, 1, 1), asm.exit()], code: 'EINVAL', reason: 'BPF_ALU uses reserved fields' },
  { name: 'division by a zero immediate', insns: [asm.mov64Imm(0, 1), asm.alu64Imm(0x30, 0, 0), asm.exit()], code: 'EINVAL', reason: 'div by zero' },
  { name: 'a shift by 64', insns: [asm.mov64Imm(0, 1), asm.alu64Imm(0x60, 0, 64), asm.exit()], code: 'EINVAL', reason: 'invalid shift 64' },
  { name: 'a 32-bit shift by 32', insns: [asm.mov32Imm(0, 1), asm.alu32Imm(0x70, 0, 32), asm.exit()], code: 'EINVAL', reason: 'invalid shift 32' },
  { name: 'MOV with an off', insns: [asm.raw(0xb7, 0, 0, 1, 0), asm.exit()], code: 'EINVAL', reason: 'BPF_MOV uses reserved fields' },
  { name: 'NEG with an immediate', insns: [asm.mov64Imm(0, 1), asm.raw(0x87, 0, 0, 0, 1), asm.exit()], code: 'EINVAL', reason: 'BPF_NEG uses reserved fields' },
  { name: 'END of width 8', insns: [asm.mov64Imm(0, 1), asm.raw(0xd4, 0, 0, 0, 8), asm.exit()], code: 'EINVAL', reason: 'BPF_END uses reserved fields' },
  { name: 'EXIT with an immediate', insns: [asm.mov64Imm(0, 0), asm.raw(0x95, 0, 0, 0, 1)], code: 'EINVAL', reason: 'BPF_EXIT uses reserved fields' },
  { name: 'CALL with a dst_reg', insns: [asm.raw(0x85, 1, 0, 0, 5), ...ret0], code: 'EINVAL', reason: 'BPF_CALL uses reserved fields' },
  { name: 'JA with an immediate', insns: [asm.raw(0x05, 0, 0, 0, 1), ...ret0], code: 'EINVAL', reason: 'BPF_JA uses reserved fields' },
  { name: 'a conditional jump with an immediate and a src_reg', insns: [asm.mov64Imm(0, 0), asm.raw(0x15, 0, 1, 0, 0), asm.exit()], code: 'EINVAL', reason: 'BPF_JMP/JMP32 uses reserved fields' },
  { name: 'ST with a src_reg', insns: [asm.raw(0x7a, 10, 1, -8, 0), ...ret0], code: 'EINVAL', reason: 'BPF_ST uses reserved fields' },
  { name: 'STX with an immediate', insns: [asm.raw(0x7b, 10, 1, -8, 1), ...ret0], code: 'EINVAL', reason: 'BPF_STX uses reserved fields' },
  { name: 'ld_imm64 with an off', insns: [{ ...asm.ldImm64(0, 1n)[0], off: 1 }, asm.ldImm64(0, 1n)[1], asm.exit()], code: 'EINVAL', reason: 'BPF_LD_IMM64 uses reserved fields' },
  { name: 'a bad helper after a branch both paths take', insns: [asm.mov64Imm(0, 0), asm.jmpImm(0x10, 1, 0, 1), asm.mov64Imm(0, 1), asm.call(23), asm.exit()], code: 'EINVAL', reason: 'program of this type cannot use helper bpf_redirect#23' },
  { name: 'a bad helper in a called subprogram', insns: [asm.callLocal(1), asm.exit(), asm.call(23), ...ret0], code: 'EINVAL', reason: 'program of this type cannot use helper bpf_redirect#23' },
];

describeEngines('load-time structural checks', (engine) => {
  for (const c of refused) {
    test(c.name, () => {
      expect(load(engine(), c.insns, c.type)).toEqual({ ok: false, code: c.code, reason: c.reason });
    });
  }

  test('more than BPF_COMPLEXITY_LIMIT_INSNS instructions is E2BIG', () => {
    const insns: Insn[] = Array.from({ length: 1_000_001 }, () => asm.mov64Imm(0, 0));
    insns[insns.length - 1] = asm.exit();
    const outcome = load(engine(), insns);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.code).toBe('E2BIG');
  });

  test('a bad instruction in a branch the verifier proves dead is accepted', () => {
    // r0 = 0; if r0 == 0 goto +1; call <invalid>; exit: the verifier never walks insn 2.
    const dead = [asm.mov64Imm(0, 0), asm.jmpImm(0x10, 0, 0, 1), asm.call(BPF_FUNC_MAX_ID + 5), asm.exit()];
    expect(load(engine(), dead)).toEqual({ ok: true });
    // A helper the program type may not call, dead the same way (r0 == 7 never holds).
    const deadHelper = [asm.mov64Imm(0, 0), asm.jmpImm(0x50, 0, 7, 1), asm.call(26), asm.exit()];
    expect(load(engine(), deadHelper)).toEqual({ ok: true });
  });

  test('good programs still load and run: every class of field the checker reads, used rightly', () => {
    const good = [
      asm.mov64Imm(0, 7), asm.alu64Imm(0x90, 0, -4, 1) /* smod */, asm.movsx64(2, 0, 8), asm.bswap(2, 16),
      asm.endian(2, 32, 'be'), asm.neg64(2), asm.st(8, 10, -8, 1), asm.stx(8, 10, 2, -16), asm.ldx(8, 3, 10, -8),
      asm.jmpReg(0x50, 3, 2, 0), asm.call(7), asm.mov64Imm(0, 3), asm.exit(),
    ];
    using prog = loadProgram({ type: ProgramType.Syscall, insns: encodeInsns(good), name: 'good', engine: engine() });
    expect(prog.run({}).retval).toBe(3);
  });
});

describeEngines('helpers the kernel knows but the emulator does not', (engine, name) => {
  test('are ENOTSUPP on the emulator, named; the kernel loads the program', () => {
    // bpf_get_numa_node_id (#42) is available to every program type and takes no arguments.
    const outcome = load(engine(), [asm.call(42), ...ret0]);
    if (name === 'kernel') expect(outcome).toEqual({ ok: true });
    else expect(outcome).toEqual({ ok: false, code: 'ENOTSUPP', reason: expect.stringMatching(/^BPF_PROG_LOAD on program 'checked' failed: ENOTSUPP .*helper bpf_get_numa_node_id \(#42\) is not emulated/) });
  });
});

const kernelSkip = kernelSkipReason();
if (kernelSkip) console.log(`skipped: structure tables against the kernel: ${kernelSkip}`);

test.skipIf(kernelSkip !== undefined)('the opcode table is the kernel\'s: every byte', () => {
  const kernel = getKernelEngine();
  const emulator = new Emulator();
  let unknown = 0;
  for (let code = 0; code < 256; code++) {
    const prog = code === 0x18 ? [asm.mov64Imm(0, 0), asm.raw(code), asm.raw(0), asm.exit()] : [asm.mov64Imm(0, 0), asm.raw(code), asm.exit()];
    const k = load(kernel, prog);
    const e = load(emulator, prog);
    const verdict = (o: Outcome): string => (o.ok === false && /^unknown opcode|^BPF_LDX uses/.test(o.reason) ? o.reason : 'known');
    expect({ code, verdict: verdict(e) }).toEqual({ code, verdict: verdict(k) });
    if (verdict(k) !== 'known') unknown++;
  }
  expect(unknown).toBe(128);
});

test.skipIf(kernelSkip !== undefined)('each program type\'s helpers are the kernel\'s: every id', () => {
  const kernel = getKernelEngine();
  const emulator = new Emulator();
  const refusals = /^(invalid func|program of this type cannot use helper|helper call might sleep|helper call is not allowed in probe)/;
  let compared = 0;
  const types: number[] = [ProgramType.SocketFilter, ProgramType.SchedCls, ProgramType.SchedAct, ProgramType.Xdp, ProgramType.CgroupSkb, ProgramType.Syscall];
  for (const type of types) {
    for (let id = 0; id < BPF_FUNC_MAX_ID + 3; id++) {
      if (refusedByBuild(type, id)) continue;
      const prog = [asm.call(id), ...ret0];
      const k = load(kernel, prog, type);
      const e = load(emulator, prog, type);
      const kernelRefusal = k.ok === false && refusals.test(k.reason) ? k.reason : undefined;
      const emulatorRefusal = e.ok === false && e.code === 'EINVAL' ? e.reason : undefined;
      expect({ type, id, refusal: emulatorRefusal }).toEqual({ type, id, refusal: kernelRefusal });
      compared++;
    }
  }
  expect(compared).toBe(types.length * (BPF_FUNC_MAX_ID + 3) - buildRefusals().filter((r) => types.includes(r.type)).length);
});

test.skipIf(kernelSkip !== undefined)('fuzz: whatever the emulator refuses, the kernel refuses with the same words', () => {
  const kernel = getKernelEngine();
  const emulator = new Emulator();
  // xorshift32, seeded: a failure names the instruction, and the same seed reproduces it.
  let seed = 0x9e3779b9;
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
    return seed % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const fields = [0, 0, 0, 1, 8, 16, 32, 64, -1, 2];
  // Every register is initialised, so the kernel's first complaint is about the fuzzed instruction.
  const prefix = [asm.mov64Imm(0, 0), ...[2, 3, 4, 5, 6, 7, 8, 9].map((r) => asm.mov64Imm(r, 0))];
  let refusedByBoth = 0;
  for (let i = 0; i < 3000; i++) {
    const code = rnd(4) === 0 ? rnd(256) : pick([0x07, 0x04, 0x0f, 0x0c, 0x37, 0x3f, 0x97, 0x9f, 0xb7, 0xbf, 0xb4, 0xbc, 0x87, 0x84, 0xd4, 0xdc, 0xd7, 0x67, 0x77, 0xc7, 0x64, 0x05, 0x06, 0x15, 0x1d, 0x16, 0x85, 0x95, 0x7a, 0x7b, 0x79, 0x61, 0xc3, 0xdb]);
    // ld_imm64 needs two slots; a kfunc call (src_reg 2) is resolved against vmlinux BTF first of all
    // (add_subprog_and_kfunc), which the emulator's kfunc linking answers, not this checker.
    if (code === 0x18) continue;
    const fuzzed: Insn = { code, dst: pick([0, 0, 1, 2, 10]), src: pick([0, 0, 0, 1, 2]), off: pick(fields), imm: pick(fields) };
    if (code === 0x85 && fuzzed.src === 2) continue;
    const prog = [...prefix, fuzzed, ...ret0];
    const e = load(emulator, prog);
    if (e.ok || e.code === 'ENOTSUPP') continue;
    expect({ insn: fuzzed, outcome: load(kernel, prog) }).toEqual({ insn: fuzzed, outcome: e });
    refusedByBoth++;
  }
  expect(refusedByBoth).toBeGreaterThan(500);
});
