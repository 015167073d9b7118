// ProgramArrayMap (PROG_ARRAY) on both engines: slots set with programs and read back as their ids, the
// kernel's errnos (kernel/bpf/arraymap.c bpf_fd_array_map_update_elem, fd_array_map_alloc_check), and every
// misuse of the typed handle refused before any syscall. A failed operation leaves the array as it was.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { BpfError, Emulator, MapFlags, ProgramArrayMap, createMap, openObject, u32, type BpfMapBase, type Engine } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const errno = (code: string) => expect.objectContaining({ name: 'BpfError', code });

describeEngines('prog array maps', (engine) => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const m of open.splice(0).reverse()) m.close();
  });
  function track<M extends BpfMapBase | { close(): void }>(m: M): M {
    open.push(m);
    return m;
  }
  // One engine per test: a program goes only into an array of the engine (the Emulator) that loaded it.
  let current: Engine;
  beforeEach(() => {
    current = engine();
  });
  const array = (maxEntries = 4) => track(createMap({ type: 'prog_array', maxEntries, name: 'jumps', engine: current }));
  const object = () => track(openObject(fixture('tail_dispatch'), { engine: current }));

  test('set, get (the program\'s id), delete, entries; a replaced slot holds the new program', () => {
    const jumps = array();
    expect(jumps).toBeInstanceOf(ProgramArrayMap);
    const obj = object();
    const [a, b] = [obj.program('handle_ipv4'), obj.program('handle_ipv6')];
    expect(jumps.get(0)).toBeUndefined();
    jumps.set(0, a);
    jumps.set(3, b);
    expect([...jumps.entries()]).toEqual([[0, a.id], [3, b.id]]);
    jumps.set(0, b);
    expect(jumps.get(0)).toBe(b.id);
    expect(a.id).not.toBe(b.id);
    expect([jumps.delete(0), jumps.delete(0)]).toEqual([true, false]);
    expect([...jumps.entries()]).toEqual([[3, b.id]]);
  });

  test('the kernel\'s refusals: E2BIG past the end, EINVAL for a program of another type than the owner\'s', () => {
    const jumps = array(2);
    const obj = object();
    expect(() => jumps.set(2, obj.program('chain'))).toThrow(errno('E2BIG'));
    expect(() => jumps.delete(2)).toThrow(errno('E2BIG'));
    expect(jumps.get(2)).toBeUndefined();
    jumps.set(0, obj.program('chain'));
    const xdp = track(openObject(fixture('xdp_meta'), { engine: obj.engine }));
    expect(() => jumps.set(1, xdp.program(Object.keys(xdp.programs)[0]!))).toThrow(errno('EINVAL'));
    // Nothing changed.
    expect([...jumps.entries()]).toEqual([[0, obj.program('chain').id]]);
  });

  test('BPF_MAP_CREATE: values are 4-byte program fds that programs may neither read nor write', () => {
    const create = (flags: number) => () => track(createMap({ type: 'prog_array', maxEntries: 2, flags, engine: current }));
    expect(create(MapFlags.RdonlyProg)).toThrow(errno('EINVAL'));
    expect(create(MapFlags.WronlyProg)).toThrow(errno('EINVAL'));
    expect(create(MapFlags.Mmapable)).toThrow(errno('EINVAL'));
    expect(() => track(createMap({ type: 'prog_array', maxEntries: 0, engine: current }))).toThrow(errno('EINVAL'));
  });

  test('misuse is refused before any syscall, naming the operation', () => {
    const jumps = array();
    const obj = object();
    expect(() => jumps.set(-1, obj.program('chain'))).toThrow(/set on map 'jumps'.*index/);
    expect(() => jumps.get(1.5)).toThrow(/get on map 'jumps'.*index/);
    expect(() => jumps.set(0, {} as never)).toThrow(TypeError);
    expect(() => jumps.set(0, 'chain' as never)).toThrow(/program must be a BpfProgram/);
    const emulated = track(openObject(fixture('tail_dispatch'), { engine: new Emulator() }));
    // Another engine's program (another Emulator is another kernel, as far as its programs go).
    expect(() => jumps.set(0, emulated.program('chain'))).toThrow(/was loaded on the emulator engine/);
    expect(() => track(createMap({ type: 'prog_array', key: u32, value: u32, maxEntries: 2, engine: current } as never))).toThrow(/takes no codecs/);
    expect(() => obj.map('jumps')).toThrow(/is a prog_array map.*pass \{ type: 'prog_array' \}/);
    expect(() => obj.map('.bss', { type: 'prog_array' })).toThrow(/but the map is a array map/);
    const closed = openObject(fixture('tail_dispatch'), { engine: current });
    const program = closed.program('chain');
    closed.close();
    expect(() => jumps.set(0, program)).toThrow(/is closed/);
    jumps.close();
    expect(() => jumps.get(0)).toThrow(BpfError);
    expect([...track(array()).entries()]).toEqual([]);
  });
});
