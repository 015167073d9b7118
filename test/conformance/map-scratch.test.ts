// MapHandle.openScratch (src/seam/map-scratch.ts): the typed layer's element calls on buffers the calls own. Both
// engines give the same answers as their checked byte-level calls, check the flags, and refuse a closed map.
import { afterEach, expect, test } from 'vitest';
import { UpdateFlags } from '../../src/uapi/bpf.js';
import { errnoByCode } from '../../src/uapi/errno.js';
import { createMap, u32, u64, type BpfMap } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { u32Bytes } from '../helpers/bytes.js';

const E = (code: keyof typeof errnoByCode) => -errnoByCode[code];

describeEngines('map scratch calls', (engine) => {
  const open: BpfMap<number, bigint>[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  const hash = () => {
    const m = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, name: 'scratch', engine: engine() });
    open.push(m);
    return m;
  };

  test('each call answers as the checked call on the same map does', () => {
    const m = hash();
    const sc = m.handle.openScratch();
    expect([sc.key.length, sc.value.length, sc.next.length]).toEqual([4, 8, 4]);
    sc.key.set(u32Bytes(7));
    new DataView(sc.value.buffer, sc.value.byteOffset).setBigUint64(0, 99n, true);
    expect(sc.update(UpdateFlags.NoExist)).toBe(0);
    expect(sc.update(UpdateFlags.NoExist)).toBe(E('EEXIST'));
    expect(m.get(7)).toBe(99n);
    m.set(7, 5n);
    expect(sc.lookup(0)).toBe(0);
    expect(new DataView(sc.value.buffer, sc.value.byteOffset).getBigUint64(0, true)).toBe(5n);
    expect(sc.lookup(UpdateFlags.Lock)).toBe(E('EINVAL')); // no bpf_spin_lock in the value
    expect(sc.getNextKey(false)).toBe(0);
    expect([...sc.next]).toEqual([...u32Bytes(7)]);
    expect(sc.getNextKey(true)).toBe(E('ENOENT'));
    expect(sc.lookupAndDelete(0)).toBe(0);
    expect(sc.delete()).toBe(E('ENOENT'));
    expect(m.get(7)).toBeUndefined();
  });

  test('flags and fromKey are checked; a closed map is a TypeError', () => {
    const m = hash();
    const sc = m.handle.openScratch();
    expect(() => sc.lookup(1.5)).toThrow(TypeError);
    expect(() => sc.update(-1)).toThrow(RangeError);
    expect(() => sc.update('0' as never)).toThrow(TypeError);
    expect(() => sc.getNextKey(1 as never)).toThrow(/fromKey must be a boolean/);
    m.close();
    expect(() => sc.lookup(0)).toThrow(/map is closed/);
    expect(() => sc.delete()).toThrow(/map is closed/);
  });

  test('two scratch sets on one map are independent buffers', () => {
    const m = hash();
    const a = m.handle.openScratch();
    const b = m.handle.openScratch();
    a.key.set(u32Bytes(1));
    b.key.set(u32Bytes(2));
    expect(a.update(0)).toBe(0);
    expect(b.update(0)).toBe(0);
    expect([...m.keys()].sort()).toEqual([1, 2]);
  });
});
