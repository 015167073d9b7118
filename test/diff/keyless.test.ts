// Kernel vs emulator for QUEUE, STACK and BLOOM_FILTER at the byte-level seam: random traces of push, pop and
// peek (a bloom filter's add and has) with flags, op for op; BPF_MAP_CREATE's answers to random attributes;
// and a ZERO_SEED bloom filter's every answer, false positives included. `make test` runs ≥ 10^4 ops per
// configuration; `make difftest` (BPFKIT_DIFF_OPS) more.
import { expect, test } from 'vitest';
import { MapFlags, MapType } from '../../src/uapi/bpf.js';
import type { MapAttrs, MapHandle } from '../../src/seam/engine.js';
import { describeKernel } from '../helpers/kernel.js';
import { diffEngines, opsPerConfig } from './diff-engines.js';
import { prng } from './trace.js';
import { generateKeyless, keylessOpText, keylessValue, minimizeKeyless, runKeylessTrace } from './keyless-trace.js';

type Config = { name: string; attrs: Omit<MapAttrs, 'numaNode' | 'name' | 'keySize'>; valueSpace: number };

const configs: Config[] = [
  { name: 'QUEUE of 4', attrs: { type: MapType.Queue, valueSize: 4, maxEntries: 4, flags: 0 }, valueSpace: 1000 },
  { name: 'QUEUE of 1, 12-byte values', attrs: { type: MapType.Queue, valueSize: 12, maxEntries: 1, flags: 0 }, valueSpace: 1000 },
  { name: 'STACK of 5, 3-byte values', attrs: { type: MapType.Stack, valueSize: 3, maxEntries: 5, flags: 0 }, valueSpace: 1000 },
  { name: 'STACK of 16', attrs: { type: MapType.Stack, valueSize: 8, maxEntries: 16, flags: 0 }, valueSpace: 1000 },
  { name: 'QUEUE RDONLY_PROG', attrs: { type: MapType.Queue, valueSize: 4, maxEntries: 3, flags: MapFlags.RdonlyProg }, valueSpace: 100 },
  // 64 bits (the least): collisions galore, so every false positive is the kernel's hash.
  { name: 'BLOOM 1 hash, 64 bits', attrs: { type: MapType.BloomFilter, valueSize: 4, maxEntries: 1, flags: MapFlags.ZeroSeed, mapExtra: 1n }, valueSpace: 300 },
  { name: 'BLOOM default 5 hashes, 6-byte values (jhash)', attrs: { type: MapType.BloomFilter, valueSize: 6, maxEntries: 20, flags: MapFlags.ZeroSeed }, valueSpace: 200 },
  { name: 'BLOOM 15 hashes, 16-byte values', attrs: { type: MapType.BloomFilter, valueSize: 16, maxEntries: 8, flags: MapFlags.ZeroSeed, mapExtra: 15n }, valueSpace: 200 },
  { name: 'BLOOM 3 hashes, 1-byte values', attrs: { type: MapType.BloomFilter, valueSize: 1, maxEntries: 30, flags: MapFlags.ZeroSeed, mapExtra: 3n }, valueSpace: 256 },
];

const perConfig = opsPerConfig(configs.length);
const TRACE = 300;

describeKernel('differential: queue, stack and bloom filter maps, kernel vs emulator', () => {
  const both = diffEngines(() => `differential (keyless maps): ${perConfig * configs.length} ops over ${configs.length} configurations`);

  for (const [ci, c] of configs.entries()) {
    test(`${c.name}: ${perConfig} ops`, () => {
      const attrs: MapAttrs = { keySize: 0, ...c.attrs, name: 'diff', numaNode: 0 };
      const rand = prng(0x9ee + ci);
      for (let done = 0; done < perConfig; done += TRACE) {
        const ops = generateKeyless(rand, TRACE, c.valueSpace);
        if (runKeylessTrace(attrs, ops, both.kernel, both.emulator)) {
          both.divergences++;
          const small = minimizeKeyless(attrs, ops, both.kernel, both.emulator);
          const at = runKeylessTrace(attrs, small, both.kernel, both.emulator)!;
          expect.fail(`${c.name} diverges; minimal trace:\n  ${small.map(keylessOpText).join('\n  ')}\nkernel:   ${at.left}\nemulator: ${at.right}`);
        }
      }
    });
  }

  test('BPF_MAP_CREATE: random valid and invalid attributes of the keyless types get the same answer', () => {
    const rand = prng(30);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const types = [MapType.Queue, MapType.Stack, MapType.BloomFilter, MapType.Hash, 99];
    const flagBits = [0, MapFlags.NoPrealloc, MapFlags.NoCommonLru, MapFlags.NumaNode, MapFlags.Rdonly, MapFlags.Wronly, MapFlags.ZeroSeed,
      MapFlags.RdonlyProg, MapFlags.WronlyProg, MapFlags.Mmapable, MapFlags.PreserveElems, 1 << 20];
    const names = ['', 'ok_name', 'bad-name', 'x'.repeat(15), 'x'.repeat(16)];
    const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
    for (let i = 0; i < 2000; i++) {
      let flags = 0;
      for (let j = 0; j < 3; j++) if (rand() < 0.3) flags |= pick(flagBits);
      const attrs: MapAttrs = {
        type: pick(types),
        keySize: pick([0, 0, 0, 4]),
        valueSize: pick([0, 1, 4, 6, 8, 64, KMALLOC_MAX_SIZE, KMALLOC_MAX_SIZE + 1]),
        maxEntries: pick([0, 1, 3, 8, 1000]),
        flags,
        name: pick(names),
        numaNode: pick([0, 0, 5]),
        mapExtra: pick([0n, 0n, 1n, 5n, 15n, 16n, 1n << 32n]),
      };
      // What the kernel would really allocate stays small: big values only in one-slot queues.
      if (attrs.valueSize > 64) attrs.maxEntries = 1;
      const d = runKeylessTrace(attrs, [], both.kernel, both.emulator);
      if (d) both.divergences++;
      expect(d, `create ${JSON.stringify(attrs, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}: kernel ${d?.left}, emulator ${d?.right}`).toBeUndefined();
    }
  });

  test('a ZERO_SEED bloom filter answers every value as the kernel does, false positives included', () => {
    const rand = prng(0xb100);
    let positives = 0;
    let falsePositives = 0;
    for (let round = 0; round < 60; round++) {
      const valueSize = [1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 24][round % 11]!;
      const attrs: MapAttrs = {
        type: MapType.BloomFilter, keySize: 0, valueSize, maxEntries: 1 + Math.floor(rand() * 200), flags: MapFlags.ZeroSeed,
        name: 'bloom', numaNode: 0, mapExtra: BigInt(Math.floor(rand() * 16)),
      };
      const [k, e] = [both.kernel, both.emulator].map((engine) => engine.createMap(attrs) as MapHandle);
      try {
        const added = new Set<number>();
        for (let i = 0; i < attrs.maxEntries; i++) {
          const v = Math.floor(rand() * 2 ** 32);
          added.add(v);
          expect(k!.update(new Uint8Array(0), keylessValue(v, valueSize), 0)).toBe(0);
          expect(e!.update(new Uint8Array(0), keylessValue(v, valueSize), 0)).toBe(0);
        }
        const answers = (h: MapHandle, v: number) => h.lookup(new Uint8Array(0), keylessValue(v, valueSize), 0);
        for (let probe = 0; probe < 400; probe++) {
          const v = probe < 40 ? [...added][probe % added.size]! : Math.floor(rand() * 2 ** 32);
          const want = answers(k!, v);
          expect(answers(e!, v), `${valueSize}-byte value ${v}, map_extra ${attrs.mapExtra}, max_entries ${attrs.maxEntries}`).toBe(want);
          if (want === 0) positives++;
          if (want === 0 && !added.has(v)) falsePositives++;
        }
      } finally {
        k!.close();
        e!.close();
      }
    }
    // Not vacuous: the filters were asked about values they hold and values that collide.
    expect(positives).toBeGreaterThan(2400);
    expect(falsePositives).toBeGreaterThan(0);
  });

  test('with a random seed the hashes differ, but both engines find every value they were given', () => {
    const attrs: MapAttrs = { type: MapType.BloomFilter, keySize: 0, valueSize: 8, maxEntries: 64, flags: 0, name: 'seeded', numaNode: 0 };
    for (const engine of [both.kernel, both.emulator]) {
      const h = engine.createMap(attrs) as MapHandle;
      try {
        for (let v = 0; v < 64; v++) expect(h.update(new Uint8Array(0), keylessValue(v * 7919, 8), 0)).toBe(0);
        for (let v = 0; v < 64; v++) expect(h.lookup(new Uint8Array(0), keylessValue(v * 7919, 8), 0)).toBe(0);
      } finally {
        h.close();
      }
    }
  });
});
