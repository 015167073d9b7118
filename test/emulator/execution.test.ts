// The emulator's two executions: the option, and the compiler (programs/compiler.ts) against the reference
// interpreter where block-level compilation could drift from instruction-level semantics — the
// instruction limit landing inside a block, faults mid-block, frames and callbacks.
import { afterEach, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/emulator/index.js';
import { executeCompiled } from '../../src/emulator/programs/compiler.js';
import { execute, type ExecEnv, type ExecProgram } from '../../src/emulator/programs/interpreter.js';
import { AluOp, asm, JmpOp, type Insn } from '../../src/uapi/isa.js';
import { Memory, ProgramFault } from '../../src/emulator/programs/memory.js';
import { bytes, openObject, u32 } from '../../src/index.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const env = (limit?: number, callHelper: ExecEnv['callHelper'] = () => 0n): ExecEnv => ({
  memory: new Memory(),
  callHelper,
  callKfunc: () => { throw new Error('no kfuncs here'); },
  ...(limit === undefined ? {} : { insnLimit: limit }),
});

/** r0, or the fault as "reason @ insn". */
function outcome(exec: typeof execute, program: ExecProgram, e: ExecEnv): string {
  try {
    return `r0 ${exec(program, e, 0n)}`;
  } catch (err) {
    if (err instanceof ProgramFault) return `${err.reason} @ ${err.insn}`;
    throw err;
  }
}

describe('Emulator execution option', () => {
  const saved = process.env.BPFKIT_EXECUTION;
  afterEach(() => {
    if (saved === undefined) delete process.env.BPFKIT_EXECUTION;
    else process.env.BPFKIT_EXECUTION = saved;
  });
  it('defaults to compiled, takes BPFKIT_EXECUTION, and the option wins', () => {
    delete process.env.BPFKIT_EXECUTION;
    expect(new Emulator().execution).toBe('compiled');
    process.env.BPFKIT_EXECUTION = 'interpreter';
    expect(new Emulator().execution).toBe('interpreter');
    expect(new Emulator({ execution: 'compiled' }).execution).toBe('compiled');
  });
  it('refuses anything else, naming where it came from', () => {
    expect(() => new Emulator({ execution: 'jit' as never })).toThrow(new TypeError(`execution must be 'interpreter' or 'compiled', got "jit"`));
    process.env.BPFKIT_EXECUTION = 'fast';
    expect(() => new Emulator()).toThrow(/\(from BPFKIT_EXECUTION\), got "fast"/);
  });
  it('runs a fixture to the same packet, retval and map on both executions', () => {
    const results = (['interpreter', 'compiled'] as const).map((execution) => {
      using obj = openObject(fixture('unlocked'), { engine: new Emulator({ seed: 1, execution }) });
      const run = obj.program('unlocked_inc').run({ data: packet([1, 2, 3, 4]), repeat: 3 });
      const map = obj.map('counter', { key: u32, value: bytes(8) });
      return { retval: run.retval, data: Buffer.from(run.data!).toString('hex'), map: [...map.entries()].map(([k, v]) => `${k}=${Buffer.from(v as Uint8Array).toString('hex')}`) };
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[0]!.map.length).toBeGreaterThan(0);
  });
});

describe('compiled code stops where the interpreter stops', () => {
  // A loop with a store, a helper call and a bpf-to-bpf call in its body, so blocks are several
  // instructions long and the limit falls at every position inside them.
  const insns: Insn[] = [
    asm.mov64Imm(6, 0), asm.mov64Imm(0, 0),
    // loop (2):
    asm.stx(8, 10, 6, -8), asm.alu64Imm(AluOp.Add, 6, 1), asm.mov64Reg(1, 6), asm.call(7),
    asm.alu64Reg(AluOp.Add, 0, 6), asm.callLocal(3), asm.jmpImm(JmpOp.Jlt, 6, 5, -7),
    asm.exit(),
    asm.exit(), // padding
    // subprogram (11): r0 = r1 * 3
    asm.mov64Reg(0, 1), asm.alu64Imm(AluOp.Mul, 0, 3), asm.exit(),
  ];
  const program: ExecProgram = { insns, name: 'limits' };

  it('at every instruction limit, with the same fault at the same instruction', () => {
    const seen = new Set<string>();
    for (let limit = 1; limit <= 80; limit++) {
      const interpreted = outcome(execute, program, env(limit));
      expect(outcome(executeCompiled, program, env(limit)), `limit ${limit}`).toBe(interpreted);
      seen.add(interpreted.replace(/\d+$/, ''));
    }
    // Not vacuous: small limits fault, large ones finish.
    expect([...seen].some((s) => s.startsWith('r0'))).toBe(true);
    expect([...seen].some((s) => s.startsWith('instruction limit'))).toBe(true);
  });

  it('gives helpers the registers and pc of the call, in every frame', () => {
    const calls = (exec: typeof execute): string[] => {
      const log: string[] = [];
      exec(program, env(undefined, (id, vm) => {
        log.push(`${id} pc ${vm.pc} r1 ${vm.regs[1]} r6 ${vm.regs[6]} fp ${vm.regs[10]! & 0xffffffffn}`);
        return vm.regs[1]! * 2n;
      }), 0n);
      return log;
    };
    expect(calls(executeCompiled)).toEqual(calls(execute));
    expect(calls(execute)).toHaveLength(5);
  });
});
