// The emulator's QUEUE, STACK and BLOOM_FILTER storage at the byte-level seam: the ring's wrap-around at both
// ends, the syscall layer's rules before the map's own, and bloom_map_alloc's geometry. The kernel is compared
// op for op in test/diff/keyless.test.ts; these pin what a differential trace may not reach often.
import { expect, test } from 'vitest';
import { Emulator } from '../../src/emulator/index.js';
import { bloomGeometry } from '../../src/emulator/maps/bloom.js';
import { checkCreate, unemulatedMapType } from '../../src/emulator/maps/create.js';
import { BpfVerifierError, openObject } from '../../src/index.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { KernelMapType, MapFlags, MapType } from '../../src/uapi/bpf.js';
import type { MapAttrs, MapHandle } from '../../src/seam/engine.js';
import { errnoByCode } from '../../src/uapi/errno.js';
import { u32Bytes as u32 } from '../helpers/bytes.js';

const E = (code: keyof typeof errnoByCode) => -errnoByCode[code];
const NO_KEY = new Uint8Array(0);

function create(over: Partial<MapAttrs>): MapHandle {
  const h = new Emulator().createMap({ type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 3, flags: 0, name: 'q', numaNode: 0, ...over });
  if (typeof h === 'number') throw new Error(`create: ${h}`);
  return h;
}
const pop = (h: MapHandle): number | string => {
  const out = new Uint8Array(4);
  const rc = h.lookupAndDelete(NO_KEY, out, 0);
  return rc === 0 ? new Uint32Array(out.buffer)[0]! : rc;
};

test('a queue wraps its head and tail around the max_entries + 1 slots, FIFO throughout', () => {
  const q = create({});
  let next = 0;
  const popped: (number | string)[] = [];
  for (let round = 0; round < 10; round++) {
    expect(q.update(NO_KEY, u32(next++), 0)).toBe(0);
    expect(q.update(NO_KEY, u32(next++), 0)).toBe(0);
    popped.push(pop(q), pop(q));
  }
  expect(popped).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(pop(q)).toBe(E('ENOENT'));
  q.close();
});

test('a full queue: E2BIG, or with BPF_EXIST the oldest value gives way', () => {
  const q = create({});
  for (const v of [1, 2, 3]) expect(q.update(NO_KEY, u32(v), 0)).toBe(0);
  expect(q.update(NO_KEY, u32(4), 0)).toBe(E('E2BIG'));
  expect(q.update(NO_KEY, u32(4), 2)).toBe(0);
  expect(q.update(NO_KEY, u32(5), 2)).toBe(0);
  expect([pop(q), pop(q), pop(q), pop(q)]).toEqual([3, 4, 5, E('ENOENT')]);
  q.close();
});

test('a stack pops below its head, wrapping to the last slot after an overwrite moved the head to 0', () => {
  const s = create({ type: MapType.Stack });
  for (const v of [1, 2, 3]) expect(s.update(NO_KEY, u32(v), 0)).toBe(0);
  // The head is at slot 3 (of 0..3); BPF_EXIST writes slot 3 and wraps the head to 0.
  expect(s.update(NO_KEY, u32(4), 2)).toBe(0);
  expect([pop(s), pop(s), pop(s), pop(s)]).toEqual([4, 3, 2, E('ENOENT')]);
  s.close();
});

test('the syscall layer: flags, access, frozen maps, and what a queue does not have', () => {
  const q = create({});
  expect(q.update(NO_KEY, u32(1), 1)).toBe(E('EINVAL')); // BPF_NOEXIST
  expect(q.update(NO_KEY, u32(1), 3)).toBe(E('EINVAL'));
  expect(q.update(NO_KEY, u32(1), 4)).toBe(E('EINVAL')); // BPF_F_LOCK without a lock
  expect(q.update(NO_KEY, u32(1), 1n << 32n)).toBe(E('EINVAL'));
  expect(q.lookup(NO_KEY, new Uint8Array(4), 0)).toBe(E('ENOENT'));
  expect(q.lookupAndDelete(NO_KEY, new Uint8Array(4), 4)).toBe(E('EINVAL'));
  expect(q.delete(NO_KEY)).toBe(E('EINVAL'));
  expect(q.getNextKey(null, NO_KEY)).toBe(E('EINVAL'));
  expect(q.batch(0, null, new Uint8Array(4), NO_KEY, new Uint8Array(4), Uint32Array.of(1), 0)).toBe(E('ENOTSUPP'));
  expect(q.update(NO_KEY, u32(1), 0)).toBe(0);
  expect(q.freeze()).toBe(0);
  expect(q.update(NO_KEY, u32(2), 0)).toBe(E('EPERM'));
  expect(q.lookupAndDelete(NO_KEY, new Uint8Array(4), 0)).toBe(E('EPERM')); // a pop writes
  const out = new Uint8Array(4);
  expect(q.lookup(NO_KEY, out, 0)).toBe(0); // a peek only reads
  expect([...out]).toEqual([1, 0, 0, 0]);
  q.close();
  const ro = create({ flags: MapFlags.Rdonly });
  expect(ro.update(NO_KEY, u32(1), 0)).toBe(E('EPERM'));
  ro.close();
});

test('a bloom filter reads the value it is asked about, and refuses pop, delete, iteration and other flags', () => {
  const b = create({ type: MapType.BloomFilter, mapExtra: 2n });
  const v = u32(42);
  expect(b.lookup(NO_KEY, v, 0)).toBe(E('ENOENT'));
  expect(b.update(NO_KEY, v, 0)).toBe(0);
  expect(b.lookup(NO_KEY, v, 0)).toBe(0);
  expect([...v]).toEqual([42, 0, 0, 0]); // never written
  expect(b.update(NO_KEY, v, 2)).toBe(E('EINVAL'));
  expect(b.lookupAndDelete(NO_KEY, v, 0)).toBe(E('ENOTSUPP'));
  expect(b.delete(NO_KEY)).toBe(E('EOPNOTSUPP'));
  expect(b.getNextKey(null, NO_KEY)).toBe(E('EOPNOTSUPP'));
  b.close();
});

test('bloom_map_alloc: bits = max_entries × hashes × 7 / 5 in u32, at least 64, a power of two; 2^32 past 2^31', () => {
  expect(bloomGeometry(1, 1)).toEqual({ nrHashFuncs: 1, bitsetMask: 63 });
  expect(bloomGeometry(100, 0)).toEqual({ nrHashFuncs: 5, bitsetMask: 1023 }); // 100 × 5 / 5 × 7 = 700 → 1024
  expect(bloomGeometry(10, 3)).toEqual({ nrHashFuncs: 3, bitsetMask: 63 }); // 30 / 5 × 7 = 42
  expect(bloomGeometry(1000, 15)).toEqual({ nrHashFuncs: 15, bitsetMask: 32767 }); // 21000 → 32768
  expect(bloomGeometry(2 ** 28, 8)).toEqual({ nrHashFuncs: 8, bitsetMask: 0xffffffff }); // 2^31 × 7 / 5 > 2^31
  expect(bloomGeometry(0xffffffff, 2)).toEqual({ nrHashFuncs: 2, bitsetMask: 0xffffffff }); // u32 overflow
  expect(bloomGeometry(306783378, 5).bitsetMask).toBe(2 ** 31 - 1); // × 5 / 5 × 7 = 2^31 - 2 → 2^31 bits
  expect(bloomGeometry(306783379, 5).bitsetMask).toBe(0xffffffff); // × 5 / 5 × 7 = 2^31 + 5
});

test('kernel versions: the queue size check (6.12 to 6.18) and which maps a sleepable program may use', () => {
  // 2^30 - 1 four-byte values: E2BIG where queue_stack_map_alloc_check bounds the area (measured on 6.12).
  const huge: MapAttrs = { type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 2 ** 30 - 1, flags: 0, name: '', numaNode: 0 };
  expect(checkCreate(huge, 2, '6.12')).toBe(E('E2BIG'));
  for (const version of ['6.1', '6.18', '7.2']) expect(typeof checkCreate(huge, 2, version), version).toBe('object');
  const load = (program: string, kernelVersion: string): string => {
    try {
      openObject(fixture('queue_pipe'), { engine: new Emulator({ kernelVersion }), programs: [program] }).close();
      return 'loaded';
    } catch (e) {
      if (!(e instanceof BpfVerifierError)) throw e;
      return e.log.trim().split('\n')[0]!;
    }
  };
  expect(load('sleepable_queue', '6.1')).toBe('Sleepable programs can only use array, hash, and ringbuf maps');
  expect(load('sleepable_queue', '6.12')).toBe('loaded');
  expect(load('sleepable_bloom', '6.12')).toBe('Sleepable programs can only use array, hash, ringbuf and local storage maps');
  expect(load('sleepable_bloom', '6.18')).toBe('Sleepable programs can only use array, hash, ringbuf and local storage maps, also as inner maps');
  expect(load('sleepable_bloom', '7.2')).toBe('Sleepable programs can only use array, hash, ringbuf and local storage maps');
});

test('a map type the kernel has and the emulator does not is ENOTSUPP, named; one no kernel has stays EINVAL', () => {
  const attrs = (type: number): MapAttrs => ({ type, keySize: 8, valueSize: 4, maxEntries: 4, flags: MapFlags.NoPrealloc, name: '', numaNode: 0 });
  expect(new Emulator().createMap(attrs(KernelMapType.UserRingbuf))).toBe(E('ENOTSUPP'));
  expect(unemulatedMapType(KernelMapType.UserRingbuf)).toBe("map type 'user_ringbuf' is not emulated");
  expect(unemulatedMapType(KernelMapType.Ringbuf)).toBeUndefined();
  expect(unemulatedMapType(KernelMapType.LpmTrie)).toBeUndefined();
  expect(unemulatedMapType(KernelMapType.Queue)).toBeUndefined();
  for (const type of [0, 99]) {
    expect(new Emulator().createMap(attrs(type)), `type ${type}`).toBe(E('EINVAL'));
    expect(unemulatedMapType(type)).toBeUndefined();
  }
});
