// Global variables set before load (openObject's `constants`) and the verifier reading a frozen read-only
// map as constants (kernel/bpf/verifier.c bpf_map_is_rdonly, bpf_map_direct_read), on every engine.
import { expect, test } from 'vitest';
import { asm, encodeInsns, JmpOp } from '../../src/uapi/isa.js';
import { BpfError, BpfVerifierError, bytes, createMap, loadProgram, MapFlags, openObject, ProgramType, u8, u32 } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const ctx = new Uint8Array(8);

describeEngines('global variables before load', (engine) => {
  test('a .rodata constant set before load rules out the branch the verifier would refuse', () => {
    // constants.bpf.c: `if (max_tokens == 0)` leads to a read above the frame. Left 0, the verifier walks it.
    expect(() => openObject(fixture('constants'), { engine: engine() })).toThrowError(expect.objectContaining({
      constructor: BpfVerifierError, code: 'EACCES', message: expect.stringMatching(/invalid read from stack R10 off=8 size=8/),
    }));
    using obj = openObject(fixture('constants'), { engine: engine(), constants: { max_tokens: 50, bias: -9 } });
    expect(obj.program('guarded').run({ ctx }).retval).toBe(41); // max_tokens + bias
    expect(obj.globals).toMatchObject({ max_tokens: 50, bias: -9, seen: 7, total: 57n });
  });

  test('.data and .bss variables start with the values given; the others keep their section\'s', () => {
    using obj = openObject(fixture('constants'), { engine: engine(), constants: { max_tokens: 1, seen: 1000, total: 1n << 40n } });
    expect(obj.globals).toMatchObject({ max_tokens: 1, bias: -2, seen: 1000, total: 1n << 40n });
    obj.program('guarded').run({ ctx, repeat: 2 });
    expect(obj.globals.total).toBe((1n << 40n) + 2n * 1001n);
  });

  test('a .data.<name> section\'s variables are set as .data\'s are', () => {
    using obj = openObject(fixture('loader_features'), { engine: engine(), constants: { custom_value: 5, rodata_limit: 4, data_counter: 1n } });
    expect(obj.globals).toMatchObject({ custom_value: 5, rodata_limit: 4, data_counter: 1n });
    obj.program('sys_prog').run({ ctx });
    expect(obj.globals.bss_counter).toBe(4n); // bss_counter += rodata_limit
  });

  test('a wrong name, a static variable, a value of the wrong type or range names the variable and its section', () => {
    const open = (constants: Record<string, unknown>) => () => openObject(fixture('constants'), { engine: engine(), constants });
    expect(open({ max_token: 1 })).toThrowError(new RangeError(
      `openObject: options.constants: object '${fixture('constants')}' has no global variable 'max_token' (it has: total (.bss), seen (.data), max_tokens (.rodata), bias (.rodata))`,
    ));
    expect(open({ calls: 1 })).toThrowError(/^openObject: options\.constants: 'calls' in \.bss is a static variable/);
    expect(open({ calls: 1 })).toThrow(TypeError);
    expect(open({ max_tokens: 1, bias: 40000 })).toThrowError(new RangeError('openObject: options.constants.bias (.rodata): i16 out of range: 40000 (-32768 to 32767)'));
    expect(open({ max_tokens: -1 })).toThrow(RangeError);
    expect(open({ max_tokens: '1' })).toThrowError(new TypeError('openObject: options.constants.max_tokens (.rodata): u32 expects a number, got string "1"'));
    expect(open({ max_tokens: 1, total: 5 })).toThrowError(/^openObject: options\.constants\.total \(\.bss\): u64 expects a bigint/);
    expect(() => openObject(fixture('constants'), { engine: engine(), constants: 3 as unknown as Record<string, unknown> })).toThrow(TypeError);
  });

  test('a variable whose map options.maps replaces is refused: a reused map keeps its own contents', () => {
    const e = engine();
    using other = openObject(fixture('constants'), { engine: e, constants: { max_tokens: 2 } });
    const name = Object.keys(other.maps).find((n) => n.endsWith('.data'))!;
    using data = other.map(name, { key: u32, value: bytes(other.maps[name]!.valueSize) });
    expect(() => openObject(fixture('constants'), { engine: e, maps: { [name]: data }, constants: { max_tokens: 2, seen: 1 } }))
      .toThrowError(new TypeError(`openObject: options.constants sets variables of map '${name}', which options.maps replaces: a reused map keeps its own contents`));
  });

  // r1 = &map[0]; r2 = *(size *)r1 (sign-extended for ldxsx); if r2 <op> 0 goto ok; r0 = *(u64 *)(r10 + 8) (refused); exit; ok: r0 = r2; exit
  const guardedBy = (load: ReturnType<typeof asm.ldx>, op: number) => {
    const [lo, hi] = asm.ldImm64(1, 0n, 6);
    return encodeInsns([{ ...lo, imm: 0 }, { ...hi, imm: 0 }, load, asm.jmpImm(op, 2, 0, 2), asm.ldx(8, 0, 10, 8), asm.exit(), asm.mov64Reg(0, 2), asm.exit()]);
  };
  const readOnlyArray = (e: ReturnType<typeof engine>, value: number, frozen: boolean, maxEntries = 1) => {
    const map = createMap({ type: 'array', key: u32, value: u8, maxEntries, flags: MapFlags.RdonlyProg, name: 'consts', engine: e });
    map.set(0, value);
    if (frozen) map.freeze();
    return map;
  };

  test('a frozen BPF_F_RDONLY_PROG array of one element is read as constants, sign-extended by ldxsx', () => {
    const e = engine();
    {
      using map = readOnlyArray(e, 5, true);
      using prog = loadProgram({ type: ProgramType.Syscall, insns: guardedBy(asm.ldx(1, 2, 1, 0), JmpOp.Jne), maps: [map], engine: e });
      expect(prog.run({}).retval).toBe(5);
    }
    {
      using map = readOnlyArray(e, 0, true);
      expect(() => loadProgram({ type: ProgramType.Syscall, insns: guardedBy(asm.ldx(1, 2, 1, 0), JmpOp.Jne), maps: [map], engine: e }))
        .toThrowError(expect.objectContaining({ code: 'EACCES', message: expect.stringMatching(/invalid read from stack/) }));
    }
    {
      // 0xff: -1 through ldxsx (so `if r2 s< 0` always jumps), 255 through ldx (so it never does).
      using map = readOnlyArray(e, 0xff, true);
      using prog = loadProgram({ type: ProgramType.Syscall, insns: guardedBy(asm.ldxsx(1, 2, 1, 0), JmpOp.Jslt), maps: [map], engine: e });
      expect(prog.run({}).retval).toBe(-1);
      expect(() => loadProgram({ type: ProgramType.Syscall, insns: guardedBy(asm.ldx(1, 2, 1, 0), JmpOp.Jslt), maps: [map], engine: e })).toThrow(BpfVerifierError);
    }
  });

  test('a read-only array that is not frozen is not constant: both ways are verified', () => {
    const e = engine();
    using map = readOnlyArray(e, 5, false);
    expect(() => loadProgram({ type: ProgramType.Syscall, insns: guardedBy(asm.ldx(1, 2, 1, 0), JmpOp.Jne), maps: [map], engine: e }))
      .toThrowError(expect.objectContaining({ constructor: BpfVerifierError, code: 'EACCES' }));
  });

  test('a .rodata variable written after load: EPERM naming the variable, and how to set it before load', () => {
    using obj = openObject(fixture('constants'), { engine: engine(), constants: { max_tokens: 3 } });
    let error: unknown;
    try {
      obj.globals.max_tokens = 4;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpfError);
    expect(error).toMatchObject({
      code: 'EPERM', syscall: 'BPF_MAP_UPDATE_ELEM', path: fixture('constants'),
      message: `BPF_MAP_UPDATE_ELEM on global variable 'max_tokens' (.rodata) of object '${fixture('constants')}' failed: EPERM (operation not permitted): `
        + '.rodata is frozen at load; set it before load: openObject(path, { constants: { max_tokens: ... } })',
    });
    expect(obj.globals.max_tokens).toBe(3);
    obj.globals.seen = 9; // .data stays writable
    expect(obj.globals.seen).toBe(9);
  });
});
