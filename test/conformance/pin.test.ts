import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMap, openMap, openPinned, u32, u64, type BpfMap } from '../../src/index.js';
import { mountBpffs, type Bpffs } from '../helpers/bpffs.js';
import { describeEngines } from '../helpers/engines.js';

describeEngines('pinning and opening', (engine, name) => {
  let fs: Bpffs;
  beforeAll(() => {
    // The emulator's bpffs is virtual (mounted at /sys/fs/bpf in each Emulator): nothing touches the host.
    fs = name === 'kernel' ? mountBpffs() : { dir: '/sys/fs/bpf', cleanup() {} };
  });
  afterAll(() => fs.cleanup());

  test('pin, open the pin, and see the same contents through both handles', () => {
    const e = engine();
    const m = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 8, name: 'pinned', engine: e });
    m.set(1, 11n);
    const path = `${fs.dir}/pinned_map`;
    m.pin(path);
    // openPinned cannot know statically whether the pin is a per-CPU map; this one is not.
    const again = openPinned(path, { key: u32, value: u64, engine: e }) as BpfMap<number, bigint>;
    expect(again.info.id).toBe(m.info.id);
    expect(again.get(1)).toBe(11n);
    again.set(2, 22n);
    expect(m.get(2)).toBe(22n);
    expect(() => m.pin(path)).toThrowError(expect.objectContaining({ code: 'EEXIST', syscall: 'BPF_OBJ_PIN' }));
    again.close();
    m.close();
  });

  test('open by id; codec sizes are checked against the real map', () => {
    const e = engine();
    const m = createMap({ type: 'array', key: u32, value: u64, maxEntries: 2, engine: e });
    m.set(1, 5n);
    const byId = openMap({ id: m.info.id }, { key: u32, value: u64, engine: e });
    expect(byId.get(1)).toBe(5n);
    byId.close();
    expect(() => openMap({ id: m.info.id }, { key: u32, value: u32, engine: e })).toThrow(/value codec is 4 bytes but .* has value_size 8/);
    m.close();
  });
});
