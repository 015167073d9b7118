// Kernel vs emulator for LPM_TRIE at the byte-level seam: random traces of updates (every flag), longest-prefix
// lookups, deletes, get_next_key and batches, op for op and the final contents; BPF_MAP_CREATE's answers to
// random attributes. `make test` runs ≥ 10^4 ops per configuration; `make difftest` (BPFKIT_DIFF_OPS) more.
import { expect, test } from 'vitest';
import { MapFlags, MapType } from '../../src/uapi/bpf.js';
import type { MapAttrs } from '../../src/seam/engine.js';
import { describeKernel } from '../helpers/kernel.js';
import { diffEngines, opsPerConfig } from './diff-engines.js';
import { prng } from './trace.js';
import { generateLpm, lpmOpText, minimizeLpm, runLpmTrace } from './lpm-trace.js';
import { mapBtf } from '../../src/btf/encode.js';
import { bytes, lpmKey, struct, u32, u64, type Codec } from '../../src/index.js';

type Config = { name: string; dataSize: number; valueSize: number; maxEntries: number; flags?: number };

const configs: Config[] = [
  { name: 'IPv4 keys, 8 entries', dataSize: 4, valueSize: 4, maxEntries: 8 },
  { name: 'IPv4 keys, 64 entries, 12-byte values', dataSize: 4, valueSize: 12, maxEntries: 64 },
  { name: '1-byte keys, 3 entries, 1-byte values', dataSize: 1, valueSize: 1, maxEntries: 3 },
  { name: '3-byte keys, 16 entries', dataSize: 3, valueSize: 8, maxEntries: 16 },
  { name: 'IPv6 keys, 32 entries', dataSize: 16, valueSize: 8, maxEntries: 32 },
  { name: '11-byte keys, 1 entry', dataSize: 11, valueSize: 5, maxEntries: 1 },
  { name: 'IPv4 keys, RDONLY_PROG', dataSize: 4, valueSize: 4, maxEntries: 8, flags: MapFlags.RdonlyProg },
];

const perConfig = opsPerConfig(configs.length);
const TRACE = 400;

describeKernel('differential: LPM tries, kernel vs emulator', () => {
  const both = diffEngines(() => `differential (LPM tries): ${perConfig * configs.length} ops over ${configs.length} configurations`);

  for (const [ci, c] of configs.entries()) {
    test(`${c.name}: ${perConfig} ops`, () => {
      const attrs: MapAttrs = {
        type: MapType.LpmTrie, keySize: 4 + c.dataSize, valueSize: c.valueSize, maxEntries: c.maxEntries,
        flags: MapFlags.NoPrealloc | (c.flags ?? 0), name: 'diff', numaNode: 0,
      };
      const rand = prng(0x1b3 + ci);
      for (let done = 0; done < perConfig; done += TRACE) {
        const ops = generateLpm(rand, TRACE, c.dataSize, c.maxEntries);
        if (runLpmTrace(attrs, ops, both.kernel, both.emulator)) {
          both.divergences++;
          const small = minimizeLpm(attrs, ops, both.kernel, both.emulator);
          const at = runLpmTrace(attrs, small, both.kernel, both.emulator)!;
          expect.fail(`${c.name} diverges; minimal trace:\n  ${small.map(lpmOpText).join('\n  ')}\nat op ${at.at}\nkernel:   ${at.left}\nemulator: ${at.right}`);
        }
      }
    });
  }

  test('BPF_MAP_CREATE: random valid and invalid attributes of an LPM trie get the same answer', () => {
    const rand = prng(0x1b);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const flagBits = [MapFlags.NoPrealloc, MapFlags.NoPrealloc, MapFlags.NoCommonLru, MapFlags.NumaNode, MapFlags.Rdonly, MapFlags.Wronly,
      MapFlags.ZeroSeed, MapFlags.RdonlyProg, MapFlags.WronlyProg, MapFlags.Mmapable, MapFlags.TokenFd, 1 << 20];
    const names = ['', 'ok_name', 'bad-name', 'x'.repeat(16)];
    const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
    for (let i = 0; i < 1500; i++) {
      let flags = 0;
      for (let j = 0; j < 3; j++) if (rand() < 0.5) flags |= pick(flagBits);
      const attrs: MapAttrs = {
        type: MapType.LpmTrie,
        keySize: pick([0, 4, 5, 8, 20, 260, 261, 1000]),
        // Around LPM_VAL_SIZE_MAX: KMALLOC_MAX_SIZE - 256 - sizeof(struct lpm_trie_node), which changed (6.14).
        valueSize: pick([0, 1, 4, 100, KMALLOC_MAX_SIZE - 256 - 40, KMALLOC_MAX_SIZE - 256 - 24, KMALLOC_MAX_SIZE - 256 - 23, KMALLOC_MAX_SIZE]),
        maxEntries: pick([0, 1, 4, 1000, 0xffffffff]),
        flags,
        name: pick(names),
        numaNode: pick([0, 0, 5]),
        mapExtra: pick([0n, 0n, 0n, 1n]),
      };
      const d = runLpmTrace(attrs, [], both.kernel, both.emulator);
      if (d) both.divergences++;
      expect(d, `create ${JSON.stringify(attrs, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}: kernel ${d?.left}, emulator ${d?.right}`).toBeUndefined();
    }
  });

  test('map_check_btf: an LPM trie\'s key type is a struct of key_size bytes (trie_check_btf), on both engines', () => {
    const attrs = (keySize: number, key: Codec<unknown> | undefined): MapAttrs => {
      const btf = mapBtf(key ?? u32, u32);
      return {
        type: MapType.LpmTrie, keySize, valueSize: 4, maxEntries: 4, flags: MapFlags.NoPrealloc, name: 'btf', numaNode: 0,
        btf: key === undefined ? { ...btf, keyTypeId: 0 } : btf,
      };
    };
    const cases: [string, MapAttrs][] = [
      ['lpmKey(4)', attrs(8, lpmKey(4))],
      ['lpmKey(3): a 7-byte struct', attrs(7, lpmKey(3))],
      ['struct { prefixlen, addr: u32 }', attrs(8, struct({ prefixlen: u32, addr: u32 }))],
      ['a u64 key', attrs(8, u64)],
      ['an 8-byte array key', attrs(8, bytes(8))],
      ['no key type', attrs(8, undefined)],
      ['lpmKey(4) for key_size 9', attrs(9, lpmKey(4))],
    ];
    const answers = cases.map(([what, a]) => {
      const d = runLpmTrace(a, [], both.kernel, both.emulator);
      expect(d, `${what}: kernel ${d?.left}, emulator ${d?.right}`).toBeUndefined();
      const h = both.emulator.createMap(a);
      if (typeof h === 'number') return h;
      h.close();
      return 0;
    });
    // Not vacuous: structs are taken, the rest refused.
    expect(answers).toEqual([0, 0, 0, -22, -22, -22, -22]);
  });
});
