// Maps whose values hold a bpf_spin_lock or bpf_res_spin_lock, used from userspace (Linux 6.18 rules).
import { expect, test } from 'vitest';
import { createMap, Emulator, features, isBpfError, resSpinLock, spinLock, struct, u32, u64, UpdateFlags } from '../../src/index.js';
import { freezeRefusesLockMaps } from '../../src/emulator/kernel-version.js';
import { describeEngines } from '../helpers/engines.js';

const spinValue = struct({ lock: spinLock, count: u64 });
const resValue = struct({ lock: resSpinLock, count: u64 });

describeEngines('lock-bearing map values', (engine) => {
  for (const type of ['hash', 'array'] as const) {
    test(`${type}, bpf_spin_lock: BPF_F_LOCK by default; the lock word reads 0 and is never written`, () => {
      using m = createMap({ type, key: u32, value: spinValue, maxEntries: 4, engine: engine() });
      expect(m.info.btfId).toBeGreaterThan(0);
      m.set(1, { lock: 0, count: 5n });
      expect(m.get(1)).toEqual({ lock: 0, count: 5n });
      m.set(1, { lock: 0, count: 6n }, { lock: false });
      expect(m.get(1, { lock: false })).toEqual({ lock: 0, count: 6n });
      expect(m.updateBatch([2, 3], [{ lock: 0, count: 2n }, { lock: 0, count: 3n }])).toBe(2);
      const { keys, values } = m.lookupBatch({ count: 8 });
      expect(new Map(keys.map((k, i) => [k, values[i]!.count])).get(3)).toBe(3n);
    });

    test(`${type}, bpf_res_spin_lock: never BPF_F_LOCK; asking for it is EINVAL`, () => {
      using m = createMap({ type, key: u32, value: resValue, maxEntries: 4, engine: engine() });
      m.set(1, { lock: 0, count: 9n });
      expect(m.get(1)).toEqual({ lock: 0, count: 9n });
      expect(() => m.set(1, { lock: 0, count: 1n }, { lock: true })).toThrowError(expect.objectContaining({ code: 'EINVAL' }));
      expect(m.get(1)).toEqual({ lock: 0, count: 9n });
    });
  }

  test('BPF_F_LOCK on a value without a lock is EINVAL', () => {
    using m = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, engine: engine() });
    expect(() => m.set(1, 1n, { lock: true })).toThrowError(expect.objectContaining({ code: 'EINVAL' }));
    expect(m.handle.update(new Uint8Array(4), new Uint8Array(8), UpdateFlags.Lock)).toBe(-22);
  });

  test('misplaced locks are refused before the syscall, naming the map and the rule', () => {
    const e = engine();
    const attempt = (type: 'lru_hash' | 'percpu_array' | 'hash', value: Parameters<typeof createMap>[0]['value']) => {
      try {
        createMap({ type, key: u32, value, maxEntries: 4, name: 'locked', engine: e }).close();
        return 'ok';
      } catch (err) {
        if (!isBpfError(err)) throw err;
        expect(err.message).toMatch(/map 'locked'/);
        return err.code;
      }
    };
    expect(attempt('lru_hash', spinValue)).toBe('EOPNOTSUPP');
    expect(attempt('percpu_array', resValue)).toBe('EOPNOTSUPP');
    expect(attempt('hash', struct({ a: spinLock, b: spinLock }))).toBe('E2BIG');
    expect(attempt('hash', struct({ a: spinLock, b: resSpinLock }))).toBe('EINVAL');
  });

  test('freeze is refused for lock-bearing maps (ENOTSUPP, 524) since 6.2; 6.1 froze them', () => {
    const e = engine();
    using m = createMap({ type: 'array', key: u32, value: spinValue, maxEntries: 1, engine: e });
    if (freezeRefusesLockMaps(e instanceof Emulator ? e.kernelVersion : features.emulatorKernelVersion())) {
      expect(() => m.freeze()).toThrowError(expect.objectContaining({ code: 'ENOTSUPP', errno: -524 }));
    } else {
      m.freeze();
      expect(() => m.set(0, { lock: 0, count: 1n })).toThrowError(expect.objectContaining({ code: 'EPERM' }));
    }
  });
});
