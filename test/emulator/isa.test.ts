import { beforeAll, describe, expect, it } from 'vitest';
import { AluOp, AtomicOp, JmpOp, asm, decodeInsns, encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { DEFAULT_INSN_LIMIT, execute, type ExecEnv, type ExecProgram, type Vm } from '../../src/emulator/programs/interpreter.js';
import { compile, executeCompiled } from '../../src/emulator/programs/compiler.js';
import { Memory, ProgramFault, fixedBytes, regionTag, type VirtualRegion } from '../../src/emulator/programs/memory.js';
import { isaCases } from './isa-cases.js';

const noCalls = (memory = new Memory(), extra: Partial<ExecEnv> = {}): ExecEnv => ({
  memory,
  callHelper: (id) => { throw new Error(`unexpected helper ${id}`); },
  callKfunc: (insn) => { throw new Error(`unexpected kfunc ${insn.imm}`); },
  ...extra,
});
const prog = (insns: Insn[], name = 'test'): ExecProgram => ({ insns, name });
type Execute = (program: ExecProgram, env: ExecEnv, r1: bigint) => bigint;
/** Every test below runs on the reference interpreter and on the compiler (compiler.ts), which must agree bit for bit. */
const executions: { name: string; exec: Execute }[] = [
  { name: 'interpreter', exec: execute },
  { name: 'compiled', exec: executeCompiled },
];
let exec: Execute = execute;
const run = (insns: Insn[], env: ExecEnv = noCalls(), r1 = 0n): bigint => exec(prog(insns), env, r1);

/** The fault a program raises, or a failure if it returns. */
function faultOf(insns: Insn[], env: ExecEnv = noCalls(), r1 = 0n): ProgramFault {
  try {
    run(insns, env, r1);
  } catch (e) {
    if (e instanceof ProgramFault) return e;
    throw e;
  }
  throw new Error('expected a ProgramFault');
}

describe.each(executions)('$name execution', (execution) => {
  beforeAll(() => {
    exec = execution.exec;
  });

  describe('instruction table (kernel-replayable)', () => {
    it('has unique names', () => {
      expect(new Set(isaCases.map((c) => c.name)).size).toBe(isaCases.length);
    });
    for (const c of isaCases) {
      it(c.name, () => {
        expect(run(c.insns)).toBe(c.expect);
      });
    }
    it('every case survives encode/decode', () => {
      for (const c of isaCases) expect(decodeInsns(encodeInsns(c.insns))).toEqual(c.insns);
    });
  });

  describe('encoding', () => {
    it('packs dst in the low nibble, src in the high nibble, little-endian off and imm', () => {
      const bytes = encodeInsns([asm.raw(0xbf, 1, 10, -2, -3)]);
      expect([...bytes]).toEqual([0xbf, 0xa1, 0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff]);
    });
    it('ld_imm64 splits the constant over two slots', () => {
      const [a, b] = asm.ldImm64(3, 0x8000000100000002n);
      expect([a.imm, b.imm, b.code]).toEqual([2, -0x7fffffff, 0]);
    });
  });

  describe('bpf-to-bpf calls', () => {
    it('refuses a ninth frame (MAX_CALL_FRAMES)', () => {
      // main -> f -> f -> ... (f calls itself forever)
      const fault = faultOf([asm.callLocal(1), asm.exit(), asm.callLocal(-1), asm.exit()]);
      expect(fault.reason).toMatch(/call stack of 9 frames is too deep/);
      expect(fault.insn).toBe(2);
    });
    it('allows exactly eight frames', () => {
      // main calls f1..f7 in a chain; each adds 1 to r0 on the way back.
      const insns: Insn[] = [asm.callLocal(1), asm.exit()];
      for (let depth = 1; depth <= 7; depth++) {
        if (depth < 7) insns.push(asm.callLocal(2), asm.alu64Imm(AluOp.Add, 0, 1), asm.exit());
        else insns.push(asm.mov64Imm(0, 1), asm.exit(), asm.exit());
      }
      expect(run(insns)).toBe(7n);
    });
    it('gives each frame its own 512-byte stack', () => {
      const seen: bigint[] = [];
      const env = noCalls(new Memory(), { callHelper: (_id, vm) => { seen.push(vm.regs[10]!); return 0n; } });
      run([asm.call(1), asm.callLocal(2), asm.mov64Imm(0, 0), asm.exit(), asm.call(1), asm.exit()], env);
      expect(seen).toHaveLength(2);
      expect(seen[0]).not.toBe(seen[1]);
      expect(seen[0]! & 0xffffffffn).toBe(512n);
    });
  });

  describe('helpers and callbacks', () => {
    it('passes r1-r5 and takes r0; r1-r5 are left as they were', () => {
      const env = noCalls(new Memory(), {
        callHelper: (id, vm) => BigInt(id) * 1000n + vm.regs[1]! + vm.regs[5]!,
      });
      expect(run([asm.mov64Imm(1, 3), asm.mov64Imm(5, 4), asm.call(7), asm.alu64Reg(AluOp.Add, 0, 1), asm.exit()], env)).toBe(7010n);
    });
    it('normalises a negative helper result to 64 bits', () => {
      const env = noCalls(new Memory(), { callHelper: () => -2n });
      expect(run([asm.call(1), asm.exit()], env)).toBe(BigInt.asUintN(64, -2n));
    });
    it('calls kfuncs with the instruction', () => {
      const env = noCalls(new Memory(), { callKfunc: (insn, vm) => BigInt(insn.imm) + vm.regs[1]! });
      expect(run([asm.mov64Imm(1, 1), asm.callKfunc(41), asm.exit()], env)).toBe(42n);
    });
    it('runs a callback through a code pointer (bpf_loop shape)', () => {
      // r2 = &callback; helper 181 calls it r1 times with (i, r3) and sums the results.
      const memory = new Memory();
      const env = noCalls(memory, {
        callHelper: (id, vm: Vm) => {
          expect(id).toBe(181);
          const code = vm.memory.codeOf(vm.tags[2]!, vm.regs[2]!);
          expect(code.owner).toBe(vm.program);
          let sum = 0n;
          for (let i = 0n; i < vm.regs[1]!; i++) sum += vm.callFunction(code.insn, [i, vm.regs[3]!], [0, vm.tags[3]!]);
          return sum;
        },
      });
      const insns = [
        asm.mov64Imm(6, 99), asm.mov64Imm(1, 4), ...asm.ldFunc(2, 5), asm.mov64Imm(3, 10), asm.call(181),
        asm.alu64Reg(AluOp.Add, 0, 6), asm.exit(),
        // callback (insn 8): r0 = i * r2-of-ctx
        asm.mov64Reg(0, 1), asm.alu64Reg(AluOp.Mul, 0, 2), asm.mov64Imm(6, 0), asm.exit(),
      ];
      expect(run(insns, env)).toBe((0n + 1n + 2n + 3n) * 10n + 99n);
    });
    it('reports a helper fault at the call instruction', () => {
      const env = noCalls(new Memory(), { callHelper: () => { throw new ProgramFault('bad map'); } });
      const fault = faultOf([asm.mov64Imm(0, 0), asm.call(1), asm.exit()], env);
      expect([fault.insn, fault.reason, fault.message]).toEqual([1, 'bad map', 'bad map (insn 1)']);
    });
  });

  describe('faults', () => {
    it('reading past the top of the stack', () => {
      const fault = faultOf([asm.ldx(8, 0, 10, 0), asm.exit()]);
      expect(fault.insn).toBe(0);
      expect(fault.reason).toMatch(/offset 512 of stack/);
    });
    it('reading below the bottom of the stack', () => {
      const fault = faultOf([asm.mov64Imm(0, 0), asm.ldx(8, 0, 10, -520), asm.exit()]);
      expect(fault.insn).toBe(1);
      expect(fault.reason).toMatch(/offset -8 of stack/);
    });
    it('an access straddling the end', () => {
      expect(faultOf([asm.ldx(8, 0, 10, -4), asm.exit()]).reason).toMatch(/8 bytes at offset 508/);
    });
    it('writing a read-only region', () => {
      const memory = new Memory();
      const rodata = memory.addRegion(fixedBytes('global .rodata', new Uint8Array(16), false), 'static');
      expect(run([asm.ldx(8, 0, 1, 8), asm.exit()], noCalls(memory), rodata)).toBe(0n);
      const fault = faultOf([asm.st(4, 1, 0, 1), asm.mov64Imm(0, 0), asm.exit()], noCalls(memory), rodata);
      expect(fault.reason).toMatch(/read-only global \.rodata/);
    });
    it('NULL and scalar dereferences', () => {
      expect(faultOf([asm.mov64Imm(2, 0), asm.ldx(4, 0, 2, 0), asm.exit()]).reason).toMatch(/not a pointer/);
      expect(faultOf([asm.mov64Imm(2, 4096), asm.st(4, 2, 0, 0), asm.exit()]).insn).toBe(1);
    });
    it('jumping out of the program, falling off its end', () => {
      expect(faultOf([asm.mov64Imm(0, 0), asm.ja(5), asm.exit()])).toMatchObject({ insn: 1 });
      expect(faultOf([asm.mov64Imm(0, 0)]).reason).toMatch(/fell off the end/);
    });
    it('unknown opcodes and legacy packet loads', () => {
      expect(faultOf([asm.raw(0xff), asm.exit()]).reason).toMatch(/unknown opcode 0xff/);
      expect(faultOf([asm.raw(0x20, 0, 0, 0, 0), asm.exit()]).reason).toMatch(/LD_ABS/);
      expect(faultOf([asm.alu64Reg(AluOp.Mov, 0, 1, 7), asm.exit()]).reason).toMatch(/unknown opcode/);
    });
    it('stops an infinite loop at the instruction limit', () => {
      const fault = faultOf([asm.mov64Imm(0, 0), asm.ja(-1), asm.exit()], noCalls(new Memory(), { insnLimit: 1000 }));
      expect(fault.reason).toBe('instruction limit reached (1000)');
      expect(fault.insn).toBe(1);
      expect(DEFAULT_INSN_LIMIT).toBeGreaterThan(8 * 1024 * 1024);
    });
    it('misaligned atomics and atomics on a context', () => {
      expect(faultOf([asm.st(8, 10, -8, 0), asm.mov64Imm(2, 1), asm.atomic(4, AtomicOp.Add, 10, 2, -6), asm.exit()]).reason)
        .toMatch(/misaligned atomic/);
    });
  });

  describe('may_goto', () => {
    it('jumps once the frame budget (BPF_MAX_LOOPS) is spent', () => {
      // r0 counts the fall-throughs of an otherwise endless loop.
      const insns = [asm.mov64Imm(0, 0), asm.mayGoto(2), asm.alu64Imm(AluOp.Add, 0, 1), asm.ja(-3), asm.exit()];
      expect(run(insns)).toBe(BigInt(8 * 1024 * 1024));
    });
  });

  describe('memory', () => {
    it('follows a slab that is reallocated between accesses', () => {
      const memory = new Memory();
      let slab: Uint8Array = new Uint8Array(32);
      slab[20] = 7;
      const ptr = memory.addRegion({ name: "map 'm' value", size: 8, writable: true, bytes: () => slab, base: () => 16 }, 'run');
      const tag = regionTag(ptr);
      expect(memory.load(tag, ptr + 4n, 1)).toBe(7n);
      const bigger = new Uint8Array(new SharedArrayBuffer(64));
      bigger.set(slab);
      slab = bigger;
      memory.store(tag, ptr, 8, 0x0102030405060708n);
      expect([...bigger.subarray(16, 24)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
      expect(memory.read(tag, ptr, 2)).toEqual(new Uint8Array([8, 7]));
    });
    it('read() copies, view() does not, write() writes', () => {
      const memory = new Memory();
      const bytes = new Uint8Array(8);
      const ptr = memory.addRegion(fixedBytes('buf', bytes), 'static');
      const tag = regionTag(ptr);
      memory.write(tag, ptr + 2n, new Uint8Array([1, 2]));
      const copy = memory.read(tag, ptr, 4);
      memory.view(tag, ptr, 4, 'write')[0] = 9;
      expect([...copy, bytes[0]]).toEqual([0, 0, 1, 2, 9]);
    });
    it('calls virtual regions and checks their bounds', () => {
      const memory = new Memory();
      const stores: [number, number, bigint][] = [];
      const ctx: VirtualRegion = {
        name: 'ctx', size: 16,
        load: (off, size) => BigInt(off * 100 + size),
        store: (off, size, value) => { stores.push([off, size, value]); },
      };
      const ptr = memory.addRegion(ctx, 'run');
      expect(run([asm.ldx(4, 0, 1, 8), asm.st(2, 1, 2, -1), asm.exit()], noCalls(memory), ptr)).toBe(804n);
      expect(stores).toEqual([[2, 2, 0xffffn]]);
      expect(faultOf([asm.ldx(8, 0, 1, 12), asm.exit()], noCalls(memory), ptr).reason).toMatch(/offset 12 of ctx/);
    });
    it('hands back handles and refuses to read them', () => {
      const memory = new Memory();
      const map = { name: 'counts' };
      const ptr = memory.addRegion({ name: "map 'counts'", size: 0, handle: map }, 'static');
      expect(memory.handleOf(regionTag(ptr), ptr)).toBe(map);
      expect(() => memory.handleOf(regionTag(ptr), ptr + 8n)).toThrow(ProgramFault);
      const [lo, hi] = asm.ldImm64(2, ptr);
      // As the linker loads a map: a pointer constant, tagged with its region.
      const program = { insns: [lo, hi, asm.ldx(8, 0, 2, 0), asm.exit()], name: 'test', pointerLoads: new Set([0]) };
      expect(() => exec(program, noCalls(memory), 0n)).toThrow(/map 'counts': not memory/);
    });
    it('releases run regions but keeps static ones', () => {
      const memory = new Memory();
      const keep = memory.addRegion(fixedBytes('static', new Uint8Array(4)), 'static');
      const mark = memory.mark();
      const gone = memory.addRegion(fixedBytes('run', new Uint8Array(4)), 'run');
      memory.release(mark);
      expect(memory.regionOf(regionTag(keep), keep)?.region.name).toBe('static');
      expect(memory.regionOf(regionTag(gone), gone)).toBeUndefined();
      const again = memory.addRegion(fixedBytes('ctx', new Uint8Array(4)), 'run');
      memory.resetRun();
      expect(() => memory.load(regionTag(again), again, 4)).toThrow(/no such region/);
    });
    it('execute() frees its stack frames when it returns', () => {
      const memory = new Memory();
      let fp = 0n;
      let tag = 0;
      const env = noCalls(memory, { callHelper: (_id, vm) => { fp = vm.regs[10]!; tag = vm.tags[10]!; return 0n; } });
      run([asm.call(1), asm.exit()], env);
      expect(tag).toBe(regionTag(fp));
      expect(memory.regionOf(tag, fp - 8n)).toBeUndefined();
    });
  });

  describe('jump targets count from the next instruction', () => {
    it('a conditional with off -1 loops on itself until the counter ends', () => {
      // r2 = 3; loop: r2 -= 1 (via jne back to the sub) ...
      const insns = [asm.mov64Imm(0, 0), asm.mov64Imm(2, 3), asm.alu64Imm(AluOp.Sub, 2, 1), asm.alu64Imm(AluOp.Add, 0, 1),
        asm.jmpImm(JmpOp.Jne, 2, 0, -3), asm.exit()];
      expect(run(insns)).toBe(3n);
    });
  });
});

describe('the compiler itself', () => {
  it('compiles the instruction table rather than falling back to the interpreter', () => {
    for (const c of isaCases) expect(compile(prog(c.insns)), c.name).not.toBeNull();
  });
  it('falls back to the interpreter for registers above r10', () => {
    expect(compile(prog([asm.mov64Reg(0, 11), asm.exit()]))).toBeNull();
  });
  it('caches one compilation per instruction array', () => {
    const insns = [asm.mov64Imm(0, 1), asm.exit()];
    expect(compile(prog(insns))).toBe(compile(prog(insns, 'other name')));
  });
});
