// Kernel vs emulator on random traces. `make test` runs ≥ 10^4 ops per map configuration;
// `make difftest` (BPFKIT_DIFF_OPS=1000000) spreads 10^6 ops over the same configurations.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MapFlags, MapType } from '../../src/uapi/bpf.js';
import type { MapAttrs, MapHandle } from '../../src/seam/engine.js';
import { Emulator, type EmulatorMapHandle } from '../../src/emulator/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { features, openMap, openObject, u32 as u32Codec, bytes, type BpfObject } from '../../src/index.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { describeKernel } from '../helpers/kernel.js';
import { pinToCpu0 } from '../helpers/pin-cpu.js';
import { generate, minimize, opText, prng, runTrace, type Side } from './trace.js';
import { u32Bytes as u32 } from '../helpers/bytes.js';

const configs: { name: string; attrs: Omit<MapAttrs, 'numaNode' | 'name'>; program: boolean }[] = [
  { name: 'HASH', attrs: { type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16, flags: MapFlags.ZeroSeed }, program: false },
  { name: 'HASH NO_PREALLOC', attrs: { type: MapType.Hash, keySize: 4, valueSize: 12, maxEntries: 16, flags: MapFlags.ZeroSeed | MapFlags.NoPrealloc }, program: false },
  { name: 'HASH 6-byte keys (jhash)', attrs: { type: MapType.Hash, keySize: 6, valueSize: 8, maxEntries: 16, flags: MapFlags.ZeroSeed }, program: false },
  { name: 'HASH RDONLY', attrs: { type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 8, flags: MapFlags.ZeroSeed | MapFlags.Rdonly }, program: false },
  { name: 'ARRAY WRONLY', attrs: { type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 8, flags: MapFlags.Wronly }, program: false },
  { name: 'PERCPU_HASH', attrs: { type: MapType.PercpuHash, keySize: 4, valueSize: 12, maxEntries: 16, flags: MapFlags.ZeroSeed }, program: false },
  { name: 'LRU_HASH', attrs: { type: MapType.LruHash, keySize: 4, valueSize: 8, maxEntries: 16, flags: MapFlags.ZeroSeed }, program: true },
  { name: 'LRU_HASH NO_COMMON_LRU', attrs: { type: MapType.LruHash, keySize: 4, valueSize: 8, maxEntries: 16, flags: MapFlags.ZeroSeed | MapFlags.NoCommonLru }, program: true },
  { name: 'LRU_PERCPU_HASH', attrs: { type: MapType.LruPercpuHash, keySize: 4, valueSize: 8, maxEntries: 16, flags: MapFlags.ZeroSeed }, program: true },
  { name: 'LRU_PERCPU_HASH NO_COMMON_LRU', attrs: { type: MapType.LruPercpuHash, keySize: 4, valueSize: 8, maxEntries: 16, flags: MapFlags.ZeroSeed | MapFlags.NoCommonLru }, program: true },
  { name: 'ARRAY', attrs: { type: MapType.Array, keySize: 4, valueSize: 12, maxEntries: 16, flags: 0 }, program: false },
  { name: 'PERCPU_ARRAY', attrs: { type: MapType.PercpuArray, keySize: 4, valueSize: 4, maxEntries: 16, flags: 0 }, program: false },
];

const total = Number(process.env.BPFKIT_DIFF_OPS ?? 0);
const opsPerConfig = Math.max(10_000, Math.ceil(total / configs.length));
const TRACE = 500; // ops per trace: each trace starts from a fresh map

describeKernel('differential: kernel vs emulator', () => {
  let unpin = () => {};
  let kernel: Side;
  let emulator: Side;
  let divergences = 0;
  let programs: ReturnType<typeof kernelProgramLookup> | undefined;
  beforeAll(() => {
    // LRU evictions depend on the CPU: run the kernel side on CPU 0, and tell the emulator so.
    unpin = pinToCpu0();
    const k = getKernelEngine();
    programs = kernelProgramLookup();
    kernel = { engine: k, programLookup: programs.lookup };
    emulator = {
      // The emulator answers as the kernel it is compared with (LRU target_free, freeze errnos: kernel-version.ts).
      engine: new Emulator({ possibleCpus: k.possibleCpus(), currentCpu: 0, kernelVersion: features.emulatorKernelVersion() }),
      programLookup: (h: MapHandle, key: number) => (h as EmulatorMapHandle).program.lookup(u32(key), new Uint8Array(4096), 0) === 0 ? 1 : 0,
    };
  });
  afterAll(() => {
    programs?.close();
    unpin();
    console.log(`differential: ${opsPerConfig * configs.length} ops over ${configs.length} configurations, ${divergences} divergence(s)`);
  });

  for (const [ci, c] of configs.entries()) {
    test(`${c.name}: ${opsPerConfig} ops`, () => {
      const attrs: MapAttrs = { ...c.attrs, name: 'diff', numaNode: 0 };
      const rand = prng(0xb9f + ci);
      for (let done = 0; done < opsPerConfig; done += TRACE) {
        const ops = generate(rand, TRACE, attrs.maxEntries, c.program);
        if (runTrace(attrs, ops, kernel, emulator)) {
          divergences++;
          const small = minimize(attrs, ops, kernel, emulator);
          const at = runTrace(attrs, small, kernel, emulator)!;
          expect.fail(`${c.name} diverges; minimal trace:\n  ${small.map(opText).join('\n  ')}\nkernel:   ${at.left}\nemulator: ${at.right}`);
        }
      }
    });
  }

  test('BPF_MAP_CREATE: random valid and invalid attributes get the same answer', () => {
    const rand = prng(7);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const types = [MapType.Hash, MapType.PercpuHash, MapType.LruHash, MapType.LruPercpuHash, MapType.Array, MapType.PercpuArray, 0, 99];
    const flagBits = [0, 1, 2, 4, 8, 16, 64, 128, 256, 1024, 2048, 1 << 20];
    const names = ['', 'ok_name', 'dot.ted', 'bad-name', 'x'.repeat(15), 'x'.repeat(16), 'ünï'];
    for (let i = 0; i < 3000; i++) {
      let flags = 0;
      for (let j = 0; j < 3; j++) if (rand() < 0.35) flags |= pick(flagBits);
      const attrs: MapAttrs = {
        type: pick(types),
        keySize: pick([0, 1, 4, 4, 4, 8, 7]),
        valueSize: pick([0, 1, 8, 8, 32768, 32769, 4 * 1024 * 1024 - 60, 4 * 1024 * 1024]),
        maxEntries: pick([0, 1, 3, 8, 2 ** 27 + 1]),
        flags,
        name: pick(names),
        numaNode: pick([0, 0, 5]),
      };
      // A huge array would really be allocated by the kernel: keep arrays small.
      if ((attrs.type === MapType.Array || attrs.type === MapType.PercpuArray) && attrs.maxEntries > 8) attrs.maxEntries = 8;
      // Big values in big maps too (the kernel preallocates hash maps as well).
      if (attrs.valueSize > 32769 && attrs.maxEntries > 1) attrs.maxEntries = 1;
      const d = runTrace(attrs, [], kernel, emulator);
      if (d) divergences++;
      expect(d, `create ${JSON.stringify(attrs)}: kernel ${d?.left}, emulator ${d?.right}`).toBeUndefined();
    }
  });
});

/**
 * A program-side lookup on the kernel: bpf/lru_touch.bpf.c, loaded once per map under test with that map
 * in place of its own (bpf_map__reuse_fd), run on CPU 0 with the key as the packet's first 4 bytes.
 */
function kernelProgramLookup(): { lookup: (h: MapHandle, key: number) => number; close: () => void } {
  let current: { id: number; obj: BpfObject } | undefined;
  const close = () => {
    current?.obj.close();
    current = undefined;
  };
  const lookup = (h: MapHandle, key: number): number => {
    if (current?.id !== h.info.id) {
      close();
      using map = openMap({ id: h.info.id }, { key: u32Codec, value: bytes(h.info.valueSize) });
      current = { id: h.info.id, obj: openObject(fixture('lru_touch'), { maps: { target: map } }) };
    }
    const packet = new Uint8Array(64);
    packet.set(u32(key));
    return current.obj.program('lru_touch').run({ data: packet }).retval;
  };
  return { lookup, close };
}
