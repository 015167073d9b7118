// The addon on maps with key_size 0 (queue, stack, bloom filter): a 0-byte key reaches the kernel as NULL,
// the only key it takes for such a map (kernel/bpf/syscall.c __bpf_copy_key: any other pointer is EINVAL),
// however the empty Uint8Array was made; and map_extra reaches BPF_MAP_CREATE.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadAddon, type Addon, type NativeMap } from '../../src/kernel/binding.js';
import { errnoByCode } from '../../src/uapi/errno.js';
import { MapType } from '../../src/uapi/bpf.js';
import { describeKernel } from '../helpers/kernel.js';
import { u32Bytes as u32 } from '../helpers/bytes.js';

const E = (code: keyof typeof errnoByCode) => -errnoByCode[code];

describeKernel('native addon: maps without keys', () => {
  let b: Addon;
  const open: NativeMap[] = [];
  const make = (type: number, valueSize: number, maxEntries: number, mapExtra?: bigint): NativeMap => {
    const m = b.NativeMap.create(type, 0, valueSize, maxEntries, 0, '', 0, 0, 0, 0, mapExtra);
    if (typeof m === 'number') throw new Error(`create(${type}) failed: ${m}`);
    open.push(m);
    return m;
  };
  const createRc = (type: number, keySize: number, mapExtra: unknown): number | 'created' => {
    const m = b.NativeMap.create(type, keySize, 4, 4, 0, '', 0, 0, 0, 0, mapExtra as bigint);
    if (typeof m === 'number') return m;
    m.close();
    return 'created';
  };

  beforeAll(() => {
    b = loadAddon() as Addon;
  });
  afterAll(() => {
    for (const m of open) m.close();
  });

  test('a 0-byte key over a non-empty buffer (a non-NULL pointer) still reaches the kernel as NULL', () => {
    const q = make(MapType.Queue, 4, 2);
    const key = new Uint8Array(16).subarray(5, 5); // its data pointer is inside the 16 bytes, not NULL
    const out = new Uint8Array(4);
    expect(q.update(key, u32(7), 0)).toBe(0);
    expect(q.update(new Uint8Array(0), u32(8), 0)).toBe(0);
    expect(q.lookup(key, out, 0)).toBe(0);
    expect([...out]).toEqual([7, 0, 0, 0]);
    expect(q.lookupAndDelete(key, out, 0)).toBe(0);
    expect(q.lookupAndDelete(key, out, 0)).toBe(0);
    expect([...out]).toEqual([8, 0, 0, 0]);
    expect(q.lookupAndDelete(key, out, 0)).toBe(E('ENOENT'));
    // queue_stack_map_delete_elem and queue_stack_map_get_next_key: EINVAL, from the map, not from the key.
    expect(q.delete(key)).toBe(E('EINVAL'));
    expect(q.getNextKey(key, key)).toBe(E('EINVAL'));
  });

  test('the scratch calls: their 0-byte key is NULL too', () => {
    const s = make(MapType.Stack, 4, 3).openScratch();
    if (typeof s === 'number') throw new Error(`openScratch: ${s}`);
    s.value.set(u32(1));
    expect(s.update(0)).toBe(0);
    s.value.set(u32(2));
    expect(s.update(0)).toBe(0);
    expect(s.lookup(0)).toBe(0);
    expect([...s.value]).toEqual([2, 0, 0, 0]);
    expect(s.lookupAndDelete(0)).toBe(0);
    expect(s.lookupAndDelete(0)).toBe(0);
    expect([...s.value]).toEqual([1, 0, 0, 0]);
    expect(s.lookupAndDelete(0)).toBe(E('ENOENT'));
    // A bloom filter's delete and get_next_key: EOPNOTSUPP (bloom_filter.c), reached only with a NULL key.
    const bloom = make(MapType.BloomFilter, 4, 4).openScratch();
    if (typeof bloom === 'number') throw new Error(`openScratch: ${bloom}`);
    expect(bloom.delete()).toBe(E('EOPNOTSUPP'));
    expect(bloom.getNextKey(true)).toBe(E('EOPNOTSUPP'));
  });

  test('map_extra: a bloom filter\'s 1 to 15 hash functions; anything else, or on another type, is EINVAL', () => {
    expect(createRc(MapType.BloomFilter, 0, 15n)).toBe('created');
    expect(createRc(MapType.BloomFilter, 0, 16n)).toBe(E('EINVAL'));
    expect(createRc(MapType.BloomFilter, 0, 1n << 40n)).toBe(E('EINVAL'));
    expect(createRc(MapType.BloomFilter, 0, undefined)).toBe('created');
    expect(createRc(MapType.Queue, 0, 1n)).toBe(E('EINVAL'));
    expect(createRc(MapType.Hash, 4, 1n)).toBe(E('EINVAL'));
    expect(() => createRc(MapType.BloomFilter, 0, 'x')).toThrow(TypeError);
    expect(() => createRc(MapType.BloomFilter, 0, -1)).toThrow(/mapExtra must be in/);
  });
});
