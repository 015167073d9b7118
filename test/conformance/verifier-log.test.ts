// The verifier's options and its log, on every engine: openObject/loadProgram `logLevel` and flags, a loaded
// program's verifierLog and verifierStats, and BpfVerifierError's message (reason and C line).
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, loadProgram, openObject, ProgFlags, ProgramType } from '../../src/index.js';
import { linfoFileLine, pointerOffsetInVarOff, tnumConstForm, verificationStatsForm } from '../../src/emulator/kernel-version.js';
import type { Engine } from '../../src/seam/engine.js';
import { asm, encodeInsns, JmpOp, type Insn } from '../../src/uapi/isa.js';
import { bpfObjectPath } from '../../src/package-root.js';
import { describeEngines } from '../helpers/engines.js';

/** xdp_md: data at 0, data_end at 4. */
const XDP_DATA = 0;
const XDP_DATA_END = 4;

/** An XDP program that reads 4 bytes at the packet's start once the packet is known to hold 8. */
const packetRead: Insn[] = [
  asm.ldx(4, 2, 1, XDP_DATA),
  asm.ldx(4, 3, 1, XDP_DATA_END),
  asm.mov64Reg(4, 2),
  asm.alu64Imm(0x00, 4, 8),
  asm.mov64Imm(0, 2),
  asm.jmpReg(JmpOp.Jgt, 4, 3, 1),
  asm.ldx(4, 0, 2, 0),
  asm.exit(),
];

/** Writes 8 bytes at fp-16 (the stack's depth is then 16), then returns 0. */
const stackWrite: Insn[] = [asm.mov64Imm(0, 0), asm.stx(8, 10, 0, -16), asm.exit()];

/** The kernel version whose words an engine's logs take. */
const versionOf = (engine: Engine): string => (engine instanceof Emulator ? engine.kernelVersion : features.emulatorKernelVersion());

describeEngines('verifier options and log', (engine) => {
  const load = (insns: Insn[], options: { logLevel?: number; flags?: number } = {}) =>
    loadProgram({ type: ProgramType.Xdp, insns: encodeInsns(insns), engine: engine(), ...options });

  test('logLevel 0 leaves no log and no statistics', () => {
    using p = load(stackWrite);
    expect(p.verifierLog).toBe('');
    expect(p.verifierStats).toBeUndefined();
  });

  test('logLevel 1 gives the statistics of a program that verifies (the walk itself is not kept)', () => {
    using p = load(stackWrite, { logLevel: 1 });
    expect(p.verifierLog).toMatch(/^processed 3 insns \(limit 1000000\) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n$/);
    expect(p.verifierStats).toEqual({ processedInsns: 3, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0 });
  });

  test('BPF_LOG_STATS adds the verification time and the stack depth, in the form of the kernel version', () => {
    using p = load(stackWrite, { logLevel: 4 });
    const lines = p.verifierLog.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^verification time \d+ usec$/);
    expect(lines.slice(1, -1)).toEqual({
      '6.1': ['stack depth 16'],
      '7.2': ['stack depth 16 max 16', 'insns processed 3'],
      '7.3': ['stack depth max 16', 'subprog 0 (<unknown>) main insns_self 3 insns_total 3 stack 16'],
    }[verificationStatsForm(versionOf(engine()))]);
    expect(p.verifierStats?.processedInsns).toBe(3);
  });

  test('logLevel 2 keeps every instruction the walk checked', () => {
    using p = load(packetRead, { logLevel: 2 });
    for (const line of ['0: (61) r2 = *(u32 *)(r1 +0)', '5: (2d) if r4 > r3 goto pc+1', '7: (95) exit']) {
      expect(p.verifierLog).toContain(line);
    }
  });

  test('BPF_F_STRICT_ALIGNMENT refuses a packet read the default allows (NET_IP_ALIGN is 2)', () => {
    load(packetRead).close();
    const e = (() => {
      try {
        load(packetRead, { flags: ProgFlags.StrictAlignment });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(BpfVerifierError);
    expect((e as BpfVerifierError).code).toBe('EACCES');
    const version = versionOf(engine());
    const zero = tnumConstForm(version) === 'hex' ? '(0x0; 0x0)' : '0';
    const offset = pointerOffsetInVarOff(version) ? `2+${zero}+0` : `2+${zero}+0+0`;
    expect((e as BpfVerifierError).message).toBe(`BPF_PROG_LOAD: the verifier refused program '': misaligned packet access off ${offset} size 4`);
  });

  test('a prog_flags bit no kernel knows is EINVAL before the verifier', () => {
    expect(() => load(stackWrite, { flags: 1 << 30 })).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'BPF_PROG_LOAD' }));
    expect(() => load(stackWrite, { flags: 1 << 30 })).not.toThrow(BpfVerifierError);
  });

  test('options are checked before anything loads', () => {
    expect(() => load(stackWrite, { logLevel: 16 })).toThrow(new RangeError("loadProgram: logLevel must be 0 to 15 (1 | 2 | 4 | 8, or'ed), got 16"));
    expect(() => load(stackWrite, { logLevel: -1 })).toThrow(RangeError);
    expect(() => load(stackWrite, { flags: 'strict' as unknown as number })).toThrow(TypeError);
    expect(() => openObject(bpfObjectPath('spin_lock'), { engine: engine(), logLevel: 1.5 })).toThrow(TypeError);
  });

  test("an object's programs take the options; each loaded program has its log", () => {
    using obj = openObject(bpfObjectPath('spin_lock'), { engine: engine(), logLevel: 4 });
    for (const [name, info] of Object.entries(obj.programs)) {
      if (!info.loaded) continue;
      const stats = obj.program(name).verifierStats;
      expect(stats?.processedInsns).toBeGreaterThan(0);
      expect(obj.program(name).verifierLog).toMatch(/^verification time \d+ usec\nstack depth [\d+]*( ?max \d+)?\n/);
    }
  });

  test('a refusal names the program, the reason and the C line, not the errno', () => {
    const e = (() => {
      try {
        openObject(bpfObjectPath('reject_helper_in_lock'), { engine: engine() });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(BpfVerifierError);
    const v = e as BpfVerifierError;
    // Before 6.4 the log's source lines had no file:line (kernel-version.ts linfoFileLine).
    const where = linfoFileLine(versionOf(engine())) ? 'reject_helper_in_lock.bpf.c:12: ' : '';
    expect(v.message).toBe(`BPF_PROG_LOAD: the verifier refused program 'helper_in_lock': function calls are not allowed while holding a lock — ${where}c->count = bpf_ktime_get_ns();`);
    expect([v.code, v.errno, v.syscall]).toEqual(['EINVAL', -22, 'BPF_PROG_LOAD']);
    expect(v).toBeInstanceOf(BpfError);
  });
});

// Each version's words on the emulator (measured on the kernels in bpfkit vm: the kernel side of the
// suite above checks the same table under make matrix).
test.each(['6.1', '6.12', '7.2', '7.3'])('the emulator at %s writes that kernel\'s statistics and alignment words', (kernelVersion) => {
  const engine = new Emulator({ kernelVersion });
  using p = loadProgram({ type: ProgramType.Xdp, insns: encodeInsns(stackWrite), engine, logLevel: 4 });
  expect(p.verifierLog.split('\n')[1]).toBe({ '6.1': 'stack depth 16', '6.12': 'stack depth 16', '7.2': 'stack depth 16 max 16', '7.3': 'stack depth max 16' }[kernelVersion]);
  const words = { '6.1': '2+(0x0; 0x0)+0+0', '6.12': '2+0+0+0', '7.2': '2+0+0', '7.3': '2+0+0' }[kernelVersion];
  expect(() => loadProgram({ type: ProgramType.Xdp, insns: encodeInsns(packetRead), engine, flags: ProgFlags.StrictAlignment }))
    .toThrow(`misaligned packet access off ${words} size 4`);
});

test.each([['6.1', ''], ['6.12', 'reject_helper_in_lock.bpf.c:12: ']])('the emulator at %s names the C line as that kernel\'s log does', (kernelVersion, where) => {
  expect(() => openObject(bpfObjectPath('reject_helper_in_lock'), { engine: new Emulator({ kernelVersion }) }))
    .toThrow(`function calls are not allowed while holding a lock — ${where}c->count = bpf_ktime_get_ns();`);
});
