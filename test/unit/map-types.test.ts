// Per-CPU-aware typing of createMap, openMap, openPinned and obj.map. The expectTypeOf lines are checked by
// `make typecheck` (tsc over test/); the runtime lines prove the types describe what comes back, on the
// emulator (every engine shares this layer).
import { expectTypeOf, expect, test } from 'vitest';
import {
  BpfMap, Emulator, LpmTrieMap, MapType, PerCpuMap, createMap, lpmKey, type LpmKey, openMap, openObject, openPinned, u32, u64, type MapTypeName,
} from '../../src/index.js';
import { bpfObjectPath } from '../../src/package-root.js';

test('createMap: per-CPU types (by name or MapType) give PerCpuMap, the others BpfMap, a type variable either', () => {
  const engine = new Emulator();
  using hash = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, engine });
  using perCpu = createMap({ type: 'percpu_hash', key: u32, value: u64, maxEntries: 4, engine });
  using byId = createMap({ type: MapType.PercpuArray, key: u32, value: u64, maxEntries: 4, engine });
  using plainById = createMap({ type: MapType.LruHash, key: u32, value: u64, maxEntries: 4, engine });
  const name: MapTypeName = 'array' as MapTypeName;
  using either = createMap({ type: name, key: u32, value: u64, maxEntries: 4, engine });

  expectTypeOf(hash).toEqualTypeOf<BpfMap<number, bigint>>();
  expectTypeOf(perCpu).toEqualTypeOf<PerCpuMap<number, bigint>>();
  expectTypeOf(byId).toEqualTypeOf<PerCpuMap<number, bigint>>();
  expectTypeOf(plainById).toEqualTypeOf<BpfMap<number, bigint>>();
  expectTypeOf(either).toEqualTypeOf<BpfMap<number, bigint> | PerCpuMap<number, bigint> | LpmTrieMap<number, bigint>>();
  using trie = createMap({ type: 'lpm_trie', key: lpmKey(4), value: u64, maxEntries: 4, engine });
  using trieById = createMap({ type: MapType.LpmTrie, key: lpmKey(16), value: u32, maxEntries: 4, engine });
  expectTypeOf(trie).toEqualTypeOf<LpmTrieMap<LpmKey, bigint>>();
  expectTypeOf(trieById).toEqualTypeOf<LpmTrieMap<LpmKey, number>>();
  expect(trie).toBeInstanceOf(LpmTrieMap);
  expect([trie.maxPrefixlen, trieById.maxPrefixlen]).toEqual([32, 128]);

  expect(hash).not.toBeInstanceOf(PerCpuMap);
  expect(perCpu).toBeInstanceOf(PerCpuMap);
  expect(byId).toBeInstanceOf(PerCpuMap);
  expect(plainById).not.toBeInstanceOf(PerCpuMap);
  byId.set(0, Array(engine.possibleCpus()).fill(1n));
  const x = byId.get(0);
  // The bug this typing fixes: a per-CPU value is an array, so arithmetic on it must not type-check.
  // @ts-expect-error bigint[] + bigint
  void (x! + 1n);
  expect(Array.isArray(x)).toBe(true);
});

test('openMap/openPinned: perCpu true/false types the handle and is checked against the real map', () => {
  const engine = new Emulator();
  using perCpu = createMap({ type: 'percpu_array', key: u32, value: u64, maxEntries: 2, engine });
  using plain = createMap({ type: 'array', key: u32, value: u64, maxEntries: 2, engine });
  perCpu.pin('/sys/fs/bpf/typed_percpu');

  using a = openMap({ id: perCpu.info.id }, { key: u32, value: u64, perCpu: true, engine });
  using b = openMap({ id: plain.info.id }, { key: u32, value: u64, perCpu: false, engine });
  using c = openPinned('/sys/fs/bpf/typed_percpu', { key: u32, value: u64, perCpu: true, engine });
  using d = openMap({ id: plain.info.id }, { key: u32, value: u64, engine });
  expectTypeOf(a).toEqualTypeOf<PerCpuMap<number, bigint>>();
  expectTypeOf(b).toEqualTypeOf<BpfMap<number, bigint>>();
  expectTypeOf(c).toEqualTypeOf<PerCpuMap<number, bigint>>();
  expectTypeOf(d).toEqualTypeOf<BpfMap<number, bigint> | PerCpuMap<number, bigint>>();
  expect(a).toBeInstanceOf(PerCpuMap);
  expect(c).toBeInstanceOf(PerCpuMap);
  expect(b).not.toBeInstanceOf(PerCpuMap);

  expect(() => openMap({ id: plain.info.id }, { key: u32, value: u64, perCpu: true, engine })).toThrow(/perCpu: true, but map id \d+ is a array map/);
  expect(() => openMap({ id: perCpu.info.id }, { key: u32, value: u64, perCpu: false, engine })).toThrow(/perCpu: false, but .* percpu_array map: its values are per-CPU arrays/);
  expect(() => openMap({ id: plain.info.id }, { key: u32, value: u64, perCpu: 'yes' as never, engine })).toThrow(TypeError);
});

test('obj.map: perCpu types the handle; left out, the handle is either kind', () => {
  using obj = openObject(bpfObjectPath('unlocked'), { engine: new Emulator() });
  using counter = obj.map('counter', { key: u32, value: u64, perCpu: false });
  using either = obj.map('counter', { key: u32, value: u64 });
  expectTypeOf(counter).toEqualTypeOf<BpfMap<number, bigint>>();
  expectTypeOf(either).toEqualTypeOf<BpfMap<number, bigint> | PerCpuMap<number, bigint>>();
  using fromBtf = obj.map('counter', { perCpu: false });
  expectTypeOf(fromBtf).toEqualTypeOf<BpfMap<unknown, unknown>>();
  expect(fromBtf.get(0)).toEqual({ count: 0n }); // struct counter { __u64 count; }, from BTF
  expect(counter.get(0)).toBe(0n);
  expect(() => obj.map('counter', { key: u32, value: u64, perCpu: true })).toThrow(/perCpu: true, but map 'counter' is a array map/);
});
