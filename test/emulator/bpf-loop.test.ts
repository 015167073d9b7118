// bpf_loop answers by call site, as on the kernel: a call the verifier inlines (kernel/bpf/verifier.c
// optimize_bpf_loop / inline_bpf_loop, when update_loop_inline_state found flags a known 0 and one callback
// on every path) compares the full 64-bit nr_loops and returns -E2BIG zero-extended; every other call is
// the helper (kernel/bpf/bpf_iter.c bpf_loop: u32 nr_loops, -E2BIG sign-extended). The decision is
// checker/loop-inline.ts; test/diff/programs.test.ts checks the same fixture against the kernel itself.
import { describe, expect, it } from 'vitest';
import { inlinedLoopCalls } from '../../src/emulator/checker/loop-inline.js';
import type { CheckInput } from '../../src/emulator/checker/types.js';
import { KernelProgramType as ProgType } from '../../src/uapi/program-type.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { asm, JmpOp, type Insn } from '../../src/uapi/isa.js';
import { Emulator, openObject } from '../../src/index.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const LOOP = 181;

/** A tiny assembler with labels for callbacks and subprograms (offsets are resolved by done()). */
class Program {
  readonly insns: Insn[] = [];
  readonly #labels = new Map<string, number>();
  readonly #refs: { at: number; label: string }[] = [];
  readonly #functions: { name: string; start: number; global: boolean }[] = [{ name: 'main', start: 0, global: true }];

  emit(...insns: Insn[]): this {
    this.insns.push(...insns);
    return this;
  }

  /** Starts a static function (a callback or a subprogram). */
  fn(label: string): this {
    this.#labels.set(label, this.insns.length);
    this.#functions.push({ name: label, start: this.insns.length, global: false });
    return this;
  }

  /** r`dst` = the address of the function `label` (ld_imm64 BPF_PSEUDO_FUNC). */
  callback(dst: number, label: string): this {
    this.#refs.push({ at: this.insns.length, label });
    return this.emit(...asm.ldFunc(dst, 0));
  }

  callLocal(label: string): this {
    this.#refs.push({ at: this.insns.length, label });
    return this.emit(asm.callLocal(0));
  }

  /** The index of the next instruction (for a call site's position). */
  get here(): number {
    return this.insns.length;
  }

  done(): CheckInput {
    for (const { at, label } of this.#refs) this.insns[at]!.imm = this.#labels.get(label)! - at - 1;
    return {
      name: 'loops', type: ProgType.Syscall, insns: this.insns, relocs: [], functions: this.#functions,
      mapOf: () => undefined,
    };
  }
}

/** A callback that continues: r0 = 0. */
const continuing = (p: Program, label: string): Program => p.fn(label).emit(asm.mov64Imm(0, 0), asm.exit());
const end = (p: Program): Program => p.emit(asm.mov64Imm(0, 0), asm.exit());

describe('which bpf_loop calls the kernel inlines (checker/loop-inline.ts)', () => {
  it('flags a literal 0 (64- or 32-bit move) and one callback: inlined', () => {
    for (const zero of [asm.mov64Imm(4, 0), asm.mov32Imm(4, 0)]) {
      const p = new Program().emit(asm.mov64Imm(1, 3)).callback(2, 'cb').emit(asm.mov64Imm(3, 0), zero);
      const site = p.here;
      p.emit(asm.call(LOOP));
      continuing(end(p), 'cb');
      expect(inlinedLoopCalls(p.done())).toEqual([site]);
    }
  });

  it('flags read from the ctx: the helper', () => {
    const p = new Program().emit(asm.ldx(8, 4, 1, 8), asm.mov64Imm(1, 3)).callback(2, 'cb').emit(asm.mov64Imm(3, 0), asm.call(LOOP));
    continuing(end(p), 'cb');
    expect(inlinedLoopCalls(p.done())).toEqual([]);
  });

  it('flags 0 on one path and from the ctx on the other: the helper (every path must agree)', () => {
    const p = new Program().emit(
      asm.mov64Imm(4, 0), asm.ldx(4, 2, 1, 16), asm.jmpImm(JmpOp.Jne, 2, 0, 1), asm.ldx(8, 4, 1, 8), asm.mov64Imm(1, 3),
    ).callback(2, 'cb').emit(asm.mov64Imm(3, 0), asm.call(LOOP));
    continuing(end(p), 'cb');
    expect(inlinedLoopCalls(p.done())).toEqual([]);
  });

  it('flags 0 through a register copy: inlined when the path-sensitive walk saw every path', () => {
    const build = (leaveModel: boolean) => {
      const p = new Program().emit(asm.mov64Imm(8, 0), asm.ldx(4, 2, 1, 16), asm.jmpImm(JmpOp.Jeq, 2, 0, 1));
      // A kfunc known only by its BTF id is outside the checker's model: that path is not seen to its end.
      p.emit(leaveModel ? asm.callKfunc(77) : asm.mov64Imm(2, 1));
      p.emit(asm.mov64Reg(4, 8), asm.mov64Imm(1, 3)).callback(2, 'cb').emit(asm.mov64Imm(3, 0));
      const site = p.here;
      p.emit(asm.call(LOOP));
      continuing(end(p), 'cb');
      return { input: p.done(), site };
    };
    const seen = build(false);
    expect(inlinedLoopCalls(seen.input)).toEqual([seen.site]);
    // Not every path seen: the decision errs toward the helper.
    expect(inlinedLoopCalls(build(true).input)).toEqual([]);
  });

  it('a different callback on each path: the helper (update_loop_inline_state compares callback_subprogno)', () => {
    const p = new Program().emit(asm.ldx(4, 3, 1, 16), asm.mov64Imm(4, 0), asm.mov64Imm(1, 3));
    p.emit(asm.jmpImm(JmpOp.Jeq, 3, 0, 3)).callback(2, 'a').emit(asm.ja(2)).callback(2, 'b');
    p.emit(asm.mov64Imm(3, 0), asm.call(LOOP));
    continuing(continuing(end(p), 'a'), 'b');
    expect(inlinedLoopCalls(p.done())).toEqual([]);
  });

  it('calls inside a callback: decided by the definitions reaching them (the walk does not enter callbacks)', () => {
    const build = (innerFlags: Insn[]) => {
      const p = new Program().emit(asm.mov64Imm(1, 2)).callback(2, 'outer').emit(asm.mov64Imm(3, 0), asm.mov64Imm(4, 0));
      const outerSite = p.here;
      p.emit(asm.call(LOOP));
      end(p).fn('outer').emit(...innerFlags, asm.mov64Imm(1, 2)).callback(2, 'inner').emit(asm.mov64Imm(3, 0));
      const innerSite = p.here;
      p.emit(asm.call(LOOP));
      continuing(end(p), 'inner');
      return { input: p.done(), outerSite, innerSite };
    };
    const literal = build([asm.mov64Imm(4, 0)]);
    expect(inlinedLoopCalls(literal.input)).toEqual([literal.outerSite, literal.innerSite]);
    const copied = build([asm.mov64Imm(7, 0), asm.mov64Reg(4, 7)]);
    expect(inlinedLoopCalls(copied.input)).toEqual([copied.outerSite]);
  });

  it('a static subprogram that takes flags from its caller: decided by the walk, which follows the call', () => {
    const p = new Program().emit(asm.mov64Imm(1, 0)).callLocal('sub').emit(asm.mov64Imm(1, 1)).callLocal('sub');
    end(p).fn('sub').emit(asm.mov64Reg(4, 1), asm.mov64Imm(1, 3)).callback(2, 'cb').emit(asm.mov64Imm(3, 0));
    const site = p.here;
    p.emit(asm.call(LOOP));
    continuing(end(p), 'cb');
    // Called with r1 = 0 and with r1 = 1: flags is not 0 on every path.
    expect(inlinedLoopCalls(p.done())).toEqual([]);
    const zeroBoth = new Program().emit(asm.mov64Imm(1, 0)).callLocal('sub').emit(asm.mov64Imm(1, 0)).callLocal('sub');
    end(zeroBoth).fn('sub').emit(asm.mov64Reg(4, 1), asm.mov64Imm(1, 3)).callback(2, 'cb').emit(asm.mov64Imm(3, 0));
    expect(zeroBoth.here).toBe(site);
    zeroBoth.emit(asm.call(LOOP));
    continuing(end(zeroBoth), 'cb');
    expect(inlinedLoopCalls(zeroBoth.done())).toEqual([site]);
  });
});

/** loop_results.bpf.c struct args: u64 nr_loops, u64 flags, u32 stop_at, u32 use_zero. */
function loopArgs(nrLoops: bigint, stopAt = 0): Uint8Array {
  const view = new DataView(new ArrayBuffer(24));
  view.setBigUint64(0, nrLoops, true);
  view.setUint32(16, stopAt, true);
  return new Uint8Array(view.buffer);
}

const E2BIG_INLINED = 0xfffffff9n; // BPF_MOV32_IMM(BPF_REG_0, -E2BIG)
const E2BIG_HELPER = 0xfffffffffffffff9n; // (long)-E2BIG

describe('bpf_loop by call site, on both executions (bpf/loop_results.bpf.c)', () => {
  // nr_loops, stop_at: the callback stops after stop_at calls (0: never).
  const runs: [bigint, number][] = [[3n, 0], [0x80_0000n, 5], [0x80_0001n, 5], [0x1_0000_0003n, 0], [0x1_0080_0001n, 5]];
  // What Linux 6.18 recorded for these runs (test/diff/programs.test.ts compares with the kernel live).
  const expected = {
    loop_inlined: [[3n, 3n], [5n, 5n], [E2BIG_INLINED, 0n], [E2BIG_INLINED, 0n], [E2BIG_INLINED, 0n]],
    loop_helper: [[3n, 3n], [5n, 5n], [E2BIG_HELPER, 0n], [3n, 3n], [E2BIG_HELPER, 0n]],
  } as const;
  for (const execution of EXECUTIONS) {
    for (const [program, records] of Object.entries(expected)) {
      it(`${program} (${execution})`, () => {
        using obj = openObject(fixture('loop_results'), { engine: new Emulator({ seed: 1, execution }) });
        const prog = obj.program(program);
        for (const [nr, stopAt] of runs) prog.run({ ctx: loopArgs(nr, stopAt) });
        const globals = obj.globals as { runs: number; records: { result: bigint; calls: bigint }[] };
        expect(globals.runs).toBe(runs.length);
        expect(globals.records.slice(0, runs.length).map((r) => [r.result, r.calls])).toEqual(records);
      });
    }
  }
  it('on a worker CPU too (the decision travels with the program source to cpus/cpus.ts)', async () => {
    using obj = openObject(fixture('loop_results'), { engine: new Emulator({ seed: 1 }) });
    await obj.program('loop_inlined').runAsync({ ctx: loopArgs(0x1_0000_0003n) });
    await obj.program('loop_helper').runAsync({ ctx: loopArgs(0x1_0000_0003n) });
    const globals = obj.globals as { runs: number; records: { result: bigint; calls: bigint }[] };
    expect(globals.records.slice(0, 2).map((r) => [r.result, r.calls])).toEqual([[E2BIG_INLINED, 0n], [3n, 3n]]);
  });
});
