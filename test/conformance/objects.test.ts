// BPF objects through the object seam, on every engine: the same fixture, the same calls, the same answers.
import { expect, test } from 'vitest';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { BpfError, bytes, createMap, loadProgram, openObject, ProgramType, struct, u32, u64 } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

describeEngines('BPF objects', (engine) => {
  test('maps, global data and programs are listed as libbpf lists them; SEC("?tc") is not loaded', () => {
    using obj = openObject(fixture('loader_features'), { engine: engine() });
    expect(Object.keys(obj.programs).sort()).toEqual(['first_tc', 'optional_tc', 'second_tc', 'sys_prog']);
    expect(obj.programs.optional_tc).toMatchObject({ section: 'tc', autoload: false, loaded: false });
    expect(obj.programs.sys_prog).toMatchObject({ typeName: 'Syscall', loaded: true });
    expect(Object.keys(obj.maps).filter((n) => obj.maps[n]!.internal).sort()).toEqual(['.data.custom', 'loader_f.bss', 'loader_f.data', 'loader_f.rodata']);
    expect(obj.maps.locked).toMatchObject({ lock: 'spin', type: 2 });
    expect(() => obj.program('optional_tc')).toThrowError(expect.objectContaining({ code: 'ENOENT', message: expect.stringMatching(/was not loaded/) }));
  });

  test('a section libbpf has no type for loads once programTypes gives one (bpf_program__set_type)', () => {
    expect(() => openObject(fixture('custom_section'), { engine: engine() })).toThrowError(expect.objectContaining({
      code: 'EINVAL', message: expect.stringMatching(/section 'mysec\/classify' names no program type.*programTypes: \{ custom_classify: 'SchedCls' \}/),
    }));
    using obj = openObject(fixture('custom_section'), { engine: engine(), programTypes: { custom_classify: 'SchedCls' } });
    expect(obj.programs.custom_classify).toMatchObject({ section: 'mysec/classify', typeName: 'SchedCls', loaded: true });
    const prog = obj.program('custom_classify');
    expect([prog.run({ data: new Uint8Array(100) }).retval, prog.run({ data: packet() }).retval]).toEqual([1, 0]); // skb->len > 64
    using byNumber = openObject(fixture('custom_section'), { engine: engine(), programTypes: { custom_classify: ProgramType.SchedCls } });
    expect(byNumber.programs.custom_classify!.type).toBe(ProgramType.SchedCls);
    expect(() => openObject(fixture('custom_section'), { engine: engine(), programTypes: { custom_classify: 'Sched' as 'SchedCls' } })).toThrow(/must be a program type/);
    expect(() => openObject(fixture('custom_section'), { engine: engine(), programTypes: { custom_classify: 0 } })).toThrow(TypeError);
    expect(() => openObject(fixture('custom_section'), { engine: engine(), programTypes: { nope: 'Xdp' } })).toThrow(RangeError);
  });

  test('a map name longer than the kernel keeps is created under its first 15 characters, as libbpf does', () => {
    using obj = openObject(fixture('long_map_name'), { engine: engine() });
    expect(Object.keys(obj.maps)).toEqual(['packets_by_ifindex']);
    using map = obj.map('packets_by_ifindex', { key: u32, value: u64 });
    expect(map.info.name).toBe('packets_by_ifin');
    expect(obj.program('count_by_ifindex').run({ data: packet() }).retval).toBe(2); // XDP_PASS
    expect([...map.values()]).toEqual([1n]);
  });

  test('options.programs chooses what loads', () => {
    using obj = openObject(fixture('loader_features'), { engine: engine(), programs: ['optional_tc'] });
    expect(obj.programs.optional_tc!.loaded).toBe(true);
    expect(obj.programs.first_tc!.loaded).toBe(false);
    expect(obj.program('optional_tc').run({ data: packet() }).retval).toBe(15); // 1 + 7 + 7
    expect(() => openObject(fixture('loader_features'), { engine: engine(), programs: ['nope'] })).toThrow(RangeError);
  });

  test('global data starts with the section bytes and programs change it in place', () => {
    using obj = openObject(fixture('loader_features'), { engine: engine() });
    obj.program('sys_prog').run({ ctx: new Uint8Array(8), repeat: 2 });
    // .bss: bss_counter (rodata_limit = 3, added twice) then the static static_hits (1, twice).
    using bss = obj.map('loader_f.bss', { key: u32, value: struct({ bss_counter: u64, static_hits: u64 }) });
    expect(bss.get(0)).toEqual({ bss_counter: 6n, static_hits: 2n });
    using data = obj.map('loader_f.data', { key: u32, value: u64 });
    expect(data.get(0)).toBe(7n);
  });

  test('an internal map is also found by its ELF section, as libbpf\'s bpf_object__find_map_by_name does', () => {
    using obj = openObject(fixture('loader_features'), { engine: engine() });
    const size = obj.maps['loader_f.rodata']!.valueSize;
    using rodata = obj.map('.rodata', { key: u32, value: bytes(size) });
    expect(rodata.info.name).toBe('loader_f.rodata');
    using byName = obj.map('loader_f.rodata', { key: u32, value: bytes(size) });
    expect(rodata.get(0)).toEqual(byName.get(0));
    expect([...rodata.get(0)!]).toContain(3); // rodata_limit
    using custom = obj.map('.data.custom', { key: u32, value: bytes(obj.maps['.data.custom']!.valueSize) });
    expect(custom.info.name).toBe('.data.custom');
    expect(() => obj.map('.nope')).toThrow(/has no map named '\.nope'/);
  });

  test('obj.globals places each variable at its symbol\'s offset, as libbpf does (clang leaves BTF offsets zero)', () => {
    using obj = openObject(fixture('for_each'), { engine: engine() });
    obj.program('walk_maps').run({ ctx: new Uint8Array(8) }); // no hash elements; every array slot visited
    const g = obj.globals as { visited_hash: bigint; seen: number; visited_array: bigint; bad_flags: bigint; order: number[] };
    expect([g.visited_hash, g.seen, g.visited_array]).toEqual([0n, 0, 6n]);
    // bpf_for_each_map_elem(..., flags 1): EINVAL, zero-extended in r0 before 6.4 (kernel-version.ts mapOpResultIsInt).
    expect([-22n, 4294967274n]).toContain(g.bad_flags);
    expect(g.order).toHaveLength(32);
  });

  test('maps: { name: map } makes the programs use your map', () => {
    const e = engine();
    using mine = createMap({ type: 'array', key: u32, value: u64, maxEntries: 1, name: 'mine', engine: e });
    {
      using obj = openObject(fixture('unlocked'), { engine: e, maps: { counter: mine } });
      obj.program('unlocked_inc').run({ data: packet(), repeat: 7 });
    }
    expect(mine.get(0)).toBe(7n);
  });

  test('bad test_run input gets the kernel\'s errno: a tc packet under 14 bytes, data for a syscall program', () => {
    using obj = openObject(fixture('loader_features'), { engine: engine() });
    expect(() => obj.program('first_tc').run({ data: new Uint8Array(10) })).toThrowError(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => obj.program('sys_prog').run({ data: packet() })).toThrow(TypeError);
    expect(() => obj.program('first_tc').run({ data: packet(), cpu: 1 })).toThrowError(expect.objectContaining({ code: 'EINVAL' }));
  });

  test('a closed object refuses its programs and maps; its map handles live on', () => {
    const obj = openObject(fixture('unlocked'), { engine: engine() });
    const prog = obj.program('unlocked_inc');
    using counter = obj.map('counter', { key: u32, value: u64 });
    prog.run({ data: packet(), repeat: 2 });
    obj.close();
    expect(() => prog.run({ data: packet() })).toThrow(BpfError);
    expect(() => obj.program('unlocked_inc')).toThrow(BpfError);
    expect(counter.get(0)).toBe(2n);
  });

  test('loadProgram: raw instructions with a map by index (BPF_PSEUDO_MAP_IDX_VALUE)', () => {
    const e = engine();
    using arr = createMap({ type: 'array', key: u32, value: u64, maxEntries: 1, name: 'raw', engine: e });
    arr.set(0, 40n);
    // r1 = &arr[0] (direct value access); r0 = *r1 + 2; *r1 = r0; exit
    const [lo, hi] = asm.ldImm64(1, 0n, 6);
    const insns = encodeInsns([{ ...lo, imm: 0 }, { ...hi, imm: 0 }, asm.ldx(8, 0, 1, 0), asm.alu64Imm(0, 0, 2), asm.stx(8, 1, 0, 0), asm.exit()]);
    using prog = loadProgram({ type: ProgramType.Syscall, insns, name: 'raw_add', maps: [arr], engine: e });
    expect(prog.run({}).retval).toBe(42);
    expect(arr.get(0)).toBe(42n);
    expect(() => loadProgram({ type: ProgramType.Syscall, insns: new Uint8Array(7), engine: e })).toThrow(RangeError);
  });
});
