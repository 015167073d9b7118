// The native addon at its own level (no engine, no codecs): argument checks that must throw before any
// syscall, and the kernel's own answers passed through as -errno. Facts: /work/shared/KERNEL-FACTS.md.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { addonPath, loadAddon, type Addon, type NativeMap } from '../../src/kernel/binding.js';
import { errnoByCode } from '../../src/uapi/errno.js';
import { features } from '../../src/kernel/features.js';
import { freezeChecksWriteAccess, percpuCpuFlags } from '../../src/emulator/kernel-version.js';
import { MapFlags, MapType, BatchOp, UpdateFlags, isKeyless } from '../../src/uapi/bpf.js';
import { describeKernel } from '../helpers/kernel.js';
import { mountBpffs, type Bpffs } from '../helpers/bpffs.js';
import { u32Bytes as u32 } from '../helpers/bytes.js';

const E = (code: keyof typeof errnoByCode): number => -errnoByCode[code];
const ENOTSUPP = -524;
/** The six map types with keys and values (the keyless ones have their own tests: test/kernel/keyless-native.test.ts). */
const ALL_TYPES = (Object.entries(MapType) as [string, number][]).filter(([, type]) => !isKeyless(type));

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

describeKernel('native addon', () => {
  let b: Addon;
  const open: NativeMap[] = [];
  let ncpu: number;

  /** create() that must succeed; closed in afterAll. */
  function make(type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0, name = ''): NativeMap {
    const m = b.NativeMap.create(type, keySize, valueSize, maxEntries, flags, name, 0, 0, 0, 0);
    if (typeof m === 'number') throw new Error(`create(${type}, ${keySize}, ${valueSize}, ${maxEntries}, ${flags}) failed: ${m}`);
    open.push(m);
    return m;
  }
  /** create() that must fail; returns the errno (closing the map if it unexpectedly succeeded). */
  function createErr(type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0, name = ''): number | 'created' {
    const m = b.NativeMap.create(type, keySize, valueSize, maxEntries, flags, name, 0, 0, 0, 0);
    if (typeof m === 'number') return m;
    m.close();
    return 'created';
  }

  beforeAll(() => {
    b = loadAddon() as Addon;
    ncpu = b.possibleCpus();
  });
  afterAll(() => {
    for (const m of open) m.close();
  });

  test('progLoad: a log at the level asked for, on success too; without a level, no log on success', () => {
    const insns = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]); // r0 = 0; exit
    const log = new Uint8Array(1 << 16);
    const text = (): string => new TextDecoder().decode(log.subarray(0, log.indexOf(0)));
    let fd = b.progLoad(1, insns, 'GPL', 'lvl2', null, 0, 0, log, 2);
    expect(fd).toBeGreaterThanOrEqual(0);
    b.closeFd(fd);
    expect(text()).toMatch(/0: \(b7\) r0 = 0 +; R0(_w)?=0\n/); // level 2: the state after each instruction (6.1 marks writes _w)
    expect(text()).toMatch(/processed 2 insns/);
    fd = b.progLoad(1, insns, 'GPL', 'lvl0', null, 0, 0, log);
    expect(fd).toBeGreaterThanOrEqual(0);
    b.closeFd(fd);
    expect(text()).toBe('');
    expect(() => b.progLoad(1, insns, 'GPL', 'x', null, 0, 0, log, -1)).toThrow(/logLevel/);
  });

  test('possibleCpus matches /sys/devices/system/cpu/possible', () => {
    const text = execFileSync('cat', ['/sys/devices/system/cpu/possible'], { encoding: 'utf8' }).trim();
    const n = text.split(',').reduce((acc, r) => {
      const [lo, hi] = r.split('-').map(Number);
      return acc + (hi === undefined ? 1 : hi - lo! + 1);
    }, 0);
    expect(ncpu).toBe(n);
  });

  test('malformed arguments throw TypeError/RangeError and leave the map unchanged', () => {
    const m = make(MapType.Hash, 4, 8, 4);
    const v = new Uint8Array(8).fill(9);
    expect(m.update(u32(1), v, 0)).toBe(0);
    const k = u32(1);
    const bad: [() => unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor][] = [
      [() => m.lookup(new Uint8Array(3), new Uint8Array(8), 0), RangeError],
      [() => m.lookup(new Uint8Array(5), new Uint8Array(8), 0), RangeError],
      [() => m.lookup(k, new Uint8Array(7), 0), RangeError],
      [() => m.update(k, new Uint8Array(9), 0), RangeError],
      [() => m.update([0, 0, 0, 1] as never, v, 0), TypeError],
      [() => m.update(new Uint16Array(2) as never, v, 0), TypeError],
      [() => m.update(new DataView(new ArrayBuffer(4)) as never, v, 0), TypeError],
      [() => m.update('abcd' as never, v, 0), TypeError],
      [() => m.update(undefined as never, v, 0), TypeError],
      [() => m.update(null as never, v, 0), TypeError],
      [() => m.update(k, v, NaN), TypeError],
      [() => m.update(k, v, 1.5), TypeError],
      [() => m.update(k, v, '0' as never), TypeError],
      [() => m.update(k, v, undefined as never), TypeError],
      [() => m.update(k, v, -1), RangeError],
      [() => m.update(k, v, 2 ** 32), RangeError],
      [() => m.update(k, v, Infinity), RangeError],
      [() => m.lookup(k, v, -1n), RangeError],
      [() => m.update(k, v, 2n ** 64n), RangeError],
      [() => m.lookup(k, v, {} as never), TypeError],
      [() => m.delete(new Uint8Array(0)), RangeError],
      [() => m.getNextKey(new Uint8Array(2), new Uint8Array(4)), RangeError],
      [() => m.getNextKey(null, new Uint8Array(3)), RangeError],
      [() => m.getNextKey(null, null as never), TypeError],
      [() => m.lookupAndDelete(k, new Uint8Array(4), 0), RangeError],
      [() => m.pin(42 as never), TypeError],
      [() => m.pin(''), TypeError],
      [() => m.pin('/sys/fs/bpf/a\0b'), TypeError],
    ];
    for (const [call, cls] of bad) expect(call, String(call)).toThrow(cls);
    const out = new Uint8Array(8);
    expect(m.lookup(k, out, 0)).toBe(0);
    expect([...out]).toEqual([...v]);
    expect(m.getNextKey(k, new Uint8Array(4))).toBe(E('ENOENT')); // still exactly one key
    // Flags may be a bigint, the kernel's whole u64.
    expect(m.lookup(k, out, 0n)).toBe(0);
  });

  test('BPF_F_CPU / BPF_F_ALL_CPUS take one value_size value on per-CPU maps, and reach the kernel', () => {
    const m = make(MapType.PercpuArray, 4, 4, 2);
    const one = new Uint8Array(4).fill(7);
    const cpu0 = BigInt(UpdateFlags.Cpu); // CPU 0 in the upper 32 bits
    // The kernel answers: 7.0+ takes the flags (kernel-version.ts percpuCpuFlags), older kernels refuse them.
    const expected = percpuCpuFlags(features.emulatorKernelVersion()) ? 0 : E('EINVAL');
    expect(m.update(u32(0), one, UpdateFlags.AllCpus)).toBe(expected);
    expect(m.lookup(u32(0), one, cpu0)).toBe(expected);
    expect(() => m.lookup(u32(0), new Uint8Array(5), cpu0)).toThrow(/value must be \d+ bytes \(or 4 with BPF_F_CPU or BPF_F_ALL_CPUS\), got 5/);
    // Without them the buffer is one slot per possible CPU, as always.
    expect(() => m.lookup(u32(0), one, 0)).toThrow(RangeError);
    // lookupAndDelete takes no CPU flag: its buffer stays whole.
    expect(() => m.lookupAndDelete(u32(0), one, UpdateFlags.Cpu)).toThrow(RangeError);
  });

  test('malformed batch arguments throw before the syscall', () => {
    const m = make(MapType.Hash, 4, 8, 16);
    const tok = new Uint8Array(4);
    const keys = new Uint8Array(4 * 4);
    const vals = new Uint8Array(8 * 4);
    const cnt = () => new Uint32Array([4]);
    const bad: [() => unknown, TypeErrorConstructor | RangeErrorConstructor][] = [
      [() => m.batch(BatchOp.Lookup, null, tok, new Uint8Array(15), vals, cnt(), 0), RangeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, new Uint8Array(31), cnt(), 0), RangeError],
      [() => m.batch(BatchOp.Update, null, tok, keys, new Uint8Array(31), cnt(), 0), RangeError],
      [() => m.batch(BatchOp.Delete, null, tok, new Uint8Array(12), new Uint8Array(0), cnt(), 0), RangeError],
      [() => m.batch(BatchOp.Lookup, null, new Uint8Array(3), keys, vals, cnt(), 0), RangeError],
      [() => m.batch(BatchOp.Lookup, new Uint8Array(2), tok, keys, vals, cnt(), 0), RangeError],
      [() => m.batch(BatchOp.Lookup, null, null as never, keys, vals, cnt(), 0), TypeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, vals, new Uint32Array(0), 0), RangeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, vals, new Uint8Array(4) as never, 0), TypeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, vals, [4] as never, 0), TypeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, vals, 4 as never, 0), TypeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, vals, new Uint32Array([2 ** 32 - 1]), 0), RangeError],
      [() => m.batch(BatchOp.Lookup, null, tok, keys, vals, cnt(), NaN), TypeError],
      [() => m.batch(4 as never, null, tok, keys, vals, cnt(), 0), RangeError],
      [() => m.batch(0.5 as never, null, tok, keys, vals, cnt(), 0), TypeError],
      [() => (m.batch as (...a: unknown[]) => number)(), TypeError],
    ];
    for (const [call, cls] of bad) expect(call, String(call)).toThrow(cls);
    // A delete batch needs no values buffer at all.
    expect(m.batch(BatchOp.Delete, null, tok, keys, new Uint8Array(0), new Uint32Array([0]), 0)).toBe(0);
  });

  test('a closed map throws "map is closed" from every method; close() is idempotent', () => {
    const m = b.NativeMap.create(MapType.Hash, 4, 4, 1, 0, '', 0, 0, 0, 0) as NativeMap;
    m.close();
    m.close();
    expect(m.closed).toBe(true);
    expect(m.fd).toBe(-1);
    const k = u32(0);
    for (const call of [
      () => m.lookup(k, k, 0), () => m.update(k, k, 0), () => m.delete(k), () => m.getNextKey(null, k),
      () => m.lookupAndDelete(k, k, 0), () => m.freeze(), () => m.pin('/x'), () => m.info(),
      () => m.batch(BatchOp.Lookup, null, k, k, k, new Uint32Array([1]), 0),
    ]) {
      expect(call).toThrow(TypeError);
      expect(call).toThrow('map is closed');
    }
  });

  test('NativeMap cannot be constructed from JS; a map\'s methods stay bound to that map, whatever `this` is', () => {
    const Ctor = b.NativeMap as unknown as new (...a: unknown[]) => unknown;
    expect(() => new Ctor(3, 1, 4, 4)).toThrow(TypeError);
    expect(() => new Ctor()).toThrow(TypeError);
    const m = make(MapType.Hash, 4, 4, 1);
    const other = make(MapType.Hash, 4, 4, 1);
    expect(m.update(u32(7), u32(70), 0)).toBe(0);
    const out = new Uint8Array(4);
    expect(m.lookup.call(other, u32(7), out, 0)).toBe(0);
    expect(out).toEqual(u32(70));
    expect(other.lookup(u32(7), out, 0)).toBe(E('ENOENT'));
    const detached = m.lookup;
    expect(detached(u32(7), out, 0)).toBe(0);
    m.close();
    expect(() => detached(u32(7), out, 0)).toThrow('map is closed');
  });

  test('create/open/btf arguments are type-checked', () => {
    const c = b.NativeMap.create as (...a: unknown[]) => unknown;
    expect(() => c(1, 4, 4, 1, 0, 5, 0, 0, 0, 0)).toThrow(TypeError); // name not a string
    expect(() => c(1, 4.5, 4, 1, 0, '', 0, 0, 0, 0)).toThrow(TypeError);
    expect(() => c(1, 4, 4, -1, 0, '', 0, 0, 0, 0)).toThrow(RangeError);
    expect(() => c(1, 4, 4, 1, NaN, '', 0, 0, 0, 0)).toThrow(TypeError);
    expect(() => c()).toThrow(TypeError);
    expect(() => b.NativeMap.openPinned(1 as never)).toThrow(TypeError);
    expect(() => b.NativeMap.openPinned('')).toThrow(TypeError);
    expect(() => b.NativeMap.openById(-1)).toThrow(RangeError);
    expect(() => b.NativeMap.openById('1' as never)).toThrow(TypeError);
    expect(() => b.NativeMap.fromFd(0.5)).toThrow(TypeError);
    expect(() => b.btfLoad([] as never, null)).toThrow(TypeError);
    expect(() => b.btfLoad(new Uint8Array(0), null)).toThrow(RangeError);
    expect(() => b.btfLoad(new Uint8Array(24), new Uint8Array(64))).toThrow(RangeError);
    expect(() => b.closeFd(-1)).toThrow(RangeError);
    expect(() => b.closeFd('3' as never)).toThrow(TypeError);
  });

  test('random argument combinations never crash: only numbers back, or TypeError/RangeError', () => {
    const m = make(MapType.Hash, 4, 8, 8);
    const pc = make(MapType.PercpuArray, 4, 4, 2);
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const pool: unknown[] = [
      undefined, null, 0, -1, 1.5, NaN, 2 ** 40, 'x', {}, [], 1n, Symbol('s'), () => 0,
      new Uint8Array(0), new Uint8Array(4), new Uint8Array(8), new Uint8Array(16), new Uint8Array(64),
      new Uint32Array(1), new Uint32Array([3]), new Uint32Array([1000]), new Int8Array(4), new Float64Array(1),
      new Uint8Array(new ArrayBuffer(32), 4, 8), Buffer.alloc(4),
    ];
    const methods = ['lookup', 'update', 'delete', 'getNextKey', 'lookupAndDelete', 'batch'] as const;
    for (let i = 0; i < 3000; i++) {
      const target = rnd(2) ? m : pc;
      const fn = (target as unknown as Record<string, (...a: unknown[]) => unknown>)[methods[rnd(methods.length)]!]!;
      const argv = Array.from({ length: rnd(8) }, () => pool[rnd(pool.length)]);
      try {
        const r = fn.apply(target, argv);
        expect(typeof r).toBe('number');
      } catch (e) {
        expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(true);
      }
    }
  });

  test('create errnos for all six types: zero sizes and max_entries → EINVAL; RDONLY|WRONLY → EINVAL', () => {
    for (const [name, type] of ALL_TYPES) {
      expect(createErr(type, 0, 4, 4), `${name} key 0`).toBe(E('EINVAL'));
      expect(createErr(type, 4, 0, 4), `${name} value 0`).toBe(E('EINVAL'));
      expect(createErr(type, 4, 4, 0), `${name} max 0`).toBe(E('EINVAL'));
      expect(createErr(type, 4, 4, 4, MapFlags.Rdonly | MapFlags.Wronly), `${name} rdonly|wronly`).toBe(E('EINVAL'));
    }
  });

  test('create: ARRAY and PERCPU_ARRAY key_size must be 4', () => {
    for (const type of [MapType.Array, MapType.PercpuArray]) {
      expect(createErr(type, 8, 4, 4)).toBe(E('EINVAL'));
      expect(createErr(type, 2, 4, 4)).toBe(E('EINVAL'));
    }
  });

  test('create: NO_PREALLOC is fine on HASH/PERCPU_HASH, ENOTSUPP (524) on LRU types, EINVAL on arrays', () => {
    make(MapType.Hash, 4, 4, 4, MapFlags.NoPrealloc);
    make(MapType.PercpuHash, 4, 4, 4, MapFlags.NoPrealloc);
    expect(createErr(MapType.LruHash, 4, 4, 4, MapFlags.NoPrealloc)).toBe(ENOTSUPP);
    expect(createErr(MapType.LruPercpuHash, 4, 4, 4, MapFlags.NoPrealloc)).toBe(ENOTSUPP);
    expect(createErr(MapType.Array, 4, 4, 4, MapFlags.NoPrealloc)).toBe(E('EINVAL'));
    expect(createErr(MapType.PercpuArray, 4, 4, 4, MapFlags.NoPrealloc)).toBe(E('EINVAL'));
  });

  test('create: NO_COMMON_LRU on non-LRU types → EINVAL; fine on LRU types', () => {
    for (const type of [MapType.Hash, MapType.PercpuHash, MapType.Array, MapType.PercpuArray]) {
      expect(createErr(type, 4, 4, 4, MapFlags.NoCommonLru), `type ${type}`).toBe(E('EINVAL'));
    }
    make(MapType.LruHash, 4, 4, 4, MapFlags.NoCommonLru);
    make(MapType.LruPercpuHash, 4, 4, 4, MapFlags.NoCommonLru);
  });

  test('create: ZERO_SEED is refused on arrays with EINVAL', () => {
    expect(createErr(MapType.Array, 4, 4, 4, MapFlags.ZeroSeed)).toBe(E('EINVAL'));
    expect(createErr(MapType.PercpuArray, 4, 4, 4, MapFlags.ZeroSeed)).toBe(E('EINVAL'));
  });

  test('create: the name is checked by the kernel, not truncated ([A-Za-z0-9_.], at most 15)', () => {
    for (const name of ['abcdefghijklmnop', 'a-b', 'a b', 'é', 'x'.repeat(40)]) {
      expect(createErr(MapType.Hash, 4, 4, 4, 0, name), name).toBe(E('EINVAL'));
    }
    expect(make(MapType.Hash, 4, 4, 4, 0, 'abcdefghijklmno').info()).toMatchObject({ name: 'abcdefghijklmno' });
    expect(make(MapType.Hash, 4, 4, 4, 0, 'A_z.9').info()).toMatchObject({ name: 'A_z.9' });
    expect(make(MapType.Hash, 4, 4, 4, 0, '').info()).toMatchObject({ name: '' });
  });

  test('create: HASH max_entries > 2^27 → E2BIG (bucket array size limit)', () => {
    expect(createErr(MapType.Hash, 4, 4, 2 ** 27 + 1, MapFlags.NoPrealloc)).toBe(E('E2BIG'));
    expect(createErr(MapType.Hash, 4, 4, 2 ** 32 - 1, MapFlags.NoPrealloc)).toBe(E('E2BIG'));
  });

  test('create: per-CPU value_size above 32768 → E2BIG; 32768 is accepted', () => {
    for (const type of [MapType.PercpuHash, MapType.PercpuArray, MapType.LruPercpuHash]) {
      expect(createErr(type, 4, 32769, 1), `type ${type}`).toBe(E('E2BIG'));
      make(type, 4, 32768, type === MapType.LruPercpuHash ? ncpu : 1);
    }
  });

  test('HASH element errnos: ENOENT, EEXIST, E2BIG when full (but updating an existing key in a full map works)', () => {
    const m = make(MapType.Hash, 4, 4, 2);
    const v = u32(7);
    const out = new Uint8Array(4);
    expect(m.lookup(u32(1), out, 0)).toBe(E('ENOENT'));
    expect(m.update(u32(1), v, UpdateFlags.Exist)).toBe(E('ENOENT'));
    expect(m.update(u32(1), v, UpdateFlags.NoExist)).toBe(0);
    expect(m.update(u32(1), v, UpdateFlags.NoExist)).toBe(E('EEXIST'));
    expect(m.update(u32(2), v, UpdateFlags.Any)).toBe(0);
    expect(m.update(u32(3), v, UpdateFlags.Any)).toBe(E('E2BIG'));
    expect(m.update(u32(2), u32(8), UpdateFlags.Exist)).toBe(0);
    expect(m.lookup(u32(2), out, 0)).toBe(0);
    expect([...out]).toEqual([...u32(8)]);
    expect(m.delete(u32(3))).toBe(E('ENOENT'));
    expect(m.lookup(u32(1), out, 1)).toBe(E('EINVAL')); // lookup flags are 0 or F_LOCK only
    expect(m.update(u32(1), v, 3)).toBe(E('EINVAL'));
    expect(m.update(u32(1), v, UpdateFlags.Lock)).toBe(E('EINVAL')); // F_LOCK needs a lock in the value
    expect(m.lookupAndDelete(u32(1), out, 0)).toBe(0);
    expect(m.lookupAndDelete(u32(1), out, 0)).toBe(E('ENOENT'));
  });

  test('LRU maps never answer E2BIG: a full map evicts', () => {
    for (const type of [MapType.LruHash, MapType.LruPercpuHash]) {
      const m = make(type, 4, 8, ncpu * 2);
      const v = new Uint8Array(type === MapType.LruHash ? 8 : 8 * ncpu);
      for (let i = 0; i < 64; i++) expect(m.update(u32(i), v, 0)).toBe(0);
    }
  });

  test('ARRAY element errnos: zeroed, ENOENT/E2BIG past the end, EEXIST on NOEXIST, delete EINVAL, lookup_and_delete 524', () => {
    const m = make(MapType.Array, 4, 4, 3);
    const out = new Uint8Array(4).fill(1);
    expect(m.lookup(u32(2), out, 0)).toBe(0);
    expect([...out]).toEqual([0, 0, 0, 0]);
    expect(m.lookup(u32(3), out, 0)).toBe(E('ENOENT'));
    expect(m.update(u32(3), out, 0)).toBe(E('E2BIG'));
    expect(m.update(u32(0), out, UpdateFlags.NoExist)).toBe(E('EEXIST'));
    expect(m.delete(u32(0))).toBe(E('EINVAL'));
    expect(m.lookupAndDelete(u32(0), out, 0)).toBe(ENOTSUPP);
  });

  test('get_next_key: hash null/missing → first key, after the last → ENOENT; array null/≥max → 0, max−1 → ENOENT', () => {
    const h = make(MapType.Hash, 4, 4, 8);
    const next = new Uint8Array(4);
    expect(h.getNextKey(null, next)).toBe(E('ENOENT')); // empty
    expect(h.update(u32(5), u32(0), 0)).toBe(0);
    expect(h.getNextKey(null, next)).toBe(0);
    expect([...next]).toEqual([...u32(5)]);
    next.fill(0);
    expect(h.getNextKey(u32(99), next)).toBe(0);
    expect([...next]).toEqual([...u32(5)]);
    expect(h.getNextKey(u32(5), next)).toBe(E('ENOENT'));

    const a = make(MapType.Array, 4, 4, 3);
    next.fill(9);
    expect(a.getNextKey(null, next)).toBe(0);
    expect([...next]).toEqual([...u32(0)]);
    expect(a.getNextKey(u32(1), next)).toBe(0);
    expect([...next]).toEqual([...u32(2)]);
    expect(a.getNextKey(u32(2), next)).toBe(E('ENOENT'));
    expect(a.getNextKey(u32(7), next)).toBe(0);
    expect([...next]).toEqual([...u32(0)]);
  });

  test('RDONLY maps refuse update/delete with EPERM; WRONLY maps refuse lookup/next with EPERM', () => {
    const r = make(MapType.Hash, 4, 4, 2, MapFlags.Rdonly);
    expect(r.update(u32(1), u32(1), 0)).toBe(E('EPERM'));
    expect(r.delete(u32(1))).toBe(E('EPERM'));
    expect(r.lookup(u32(1), new Uint8Array(4), 0)).toBe(E('ENOENT'));
    const w = make(MapType.Hash, 4, 4, 2, MapFlags.Wronly);
    expect(w.update(u32(1), u32(1), 0)).toBe(0);
    expect(w.lookup(u32(1), new Uint8Array(4), 0)).toBe(E('EPERM'));
    expect(w.getNextKey(null, new Uint8Array(4))).toBe(E('EPERM'));
  });

  test('per-CPU value buffers are roundUp(valueSize, 8) × possibleCpus, one slot per CPU', () => {
    for (const type of [MapType.PercpuHash, MapType.PercpuArray, MapType.LruPercpuHash]) {
      const m = make(type, 4, 12, ncpu * 2);
      const stride = 16;
      expect(() => m.update(u32(0), new Uint8Array(12), 0)).toThrow(RangeError);
      expect(() => m.update(u32(0), new Uint8Array(12 * ncpu), 0)).toThrow(RangeError);
      const v = new Uint8Array(stride * ncpu);
      for (let c = 0; c < ncpu; c++) v.fill(c + 1, c * stride, c * stride + 12);
      expect(m.update(u32(0), v, 0)).toBe(0);
      const out = new Uint8Array(stride * ncpu);
      expect(m.lookup(u32(0), out, 0)).toBe(0);
      for (let c = 0; c < ncpu; c++) expect([...out.subarray(c * stride, c * stride + 12)]).toEqual(Array(12).fill(c + 1));
    }
  });

  test('hash batch: update, lookup in chunks (u32 bucket tokens; ENOENT at the end with a count), delete', () => {
    const m = make(MapType.Hash, 4, 8, 64);
    const n = 40;
    const keys = new Uint8Array(n * 4);
    const vals = new Uint8Array(n * 8);
    const kv = new DataView(keys.buffer);
    const vv = new DataView(vals.buffer);
    for (let i = 0; i < n; i++) {
      kv.setUint32(i * 4, i + 100, true);
      vv.setBigUint64(i * 8, BigInt(i) * 3n, true);
    }
    const count = new Uint32Array([n]);
    expect(m.batch(BatchOp.Update, null, new Uint8Array(0), keys, vals, count, 0)).toBe(0);
    expect(count[0]).toBe(n);

    const seen = new Map<number, bigint>();
    const outK = new Uint8Array(64 * 4);
    const outV = new Uint8Array(64 * 8);
    let inTok: Uint8Array | null = null;
    let rc = 0;
    for (let round = 0; round < 100 && rc === 0; round++) {
      const outTok = new Uint8Array(4);
      count[0] = 16;
      rc = m.batch(BatchOp.Lookup, inTok, outTok, outK, outV, count, 0);
      expect(rc === 0 || rc === E('ENOENT'), `rc ${rc}`).toBe(true);
      const okv = new DataView(outK.buffer);
      const ovv = new DataView(outV.buffer);
      for (let i = 0; i < count[0]!; i++) seen.set(okv.getUint32(i * 4, true), ovv.getBigUint64(i * 8, true));
      inTok = outTok;
    }
    expect(rc).toBe(E('ENOENT'));
    expect(seen.size).toBe(n);
    for (let i = 0; i < n; i++) expect(seen.get(i + 100)).toBe(BigInt(i) * 3n);

    count[0] = 10;
    expect(m.batch(BatchOp.Delete, null, new Uint8Array(0), keys, new Uint8Array(0), count, 0)).toBe(0);
    expect(count[0]).toBe(10);
    count[0] = n;
    expect(m.batch(BatchOp.Delete, null, new Uint8Array(0), keys, new Uint8Array(0), count, 0)).toBe(E('ENOENT'));
    expect(count[0]).toBe(0); // stops at the first missing key
    count[0] = 1;
    expect(m.batch(BatchOp.Update, null, new Uint8Array(0), keys, vals, count, UpdateFlags.NoExist)).toBe(E('EINVAL'));
  });

  test('array batch: tokens are keys; lookup_and_delete and delete batches are ENOTSUPP (524)', () => {
    const m = make(MapType.Array, 4, 4, 5);
    const tok = new Uint8Array(4);
    const keys = new Uint8Array(5 * 4);
    const vals = new Uint8Array(5 * 4);
    const count = new Uint32Array([3]);
    expect(m.batch(BatchOp.Lookup, null, tok, keys, vals, count, 0)).toBe(0);
    expect(count[0]).toBe(3);
    expect(new DataView(tok.buffer).getUint32(0, true)).toBe(2); // the last key returned
    count[0] = 5;
    expect(m.batch(BatchOp.Lookup, tok, tok, keys, vals, count, 0)).toBe(E('ENOENT'));
    expect(count[0]).toBe(2);
    count[0] = 1;
    expect(m.batch(BatchOp.LookupAndDelete, null, tok, keys, vals, count, 0)).toBe(ENOTSUPP);
    count[0] = 1;
    expect(m.batch(BatchOp.Delete, null, tok, keys, new Uint8Array(0), count, 0)).toBe(ENOTSUPP);
  });

  test('freeze: syscall updates are refused with EPERM afterwards, lookups still work; a second freeze is EPERM (EBUSY before 6.5)', () => {
    const m = make(MapType.Array, 4, 4, 2);
    expect(m.update(u32(0), u32(5), 0)).toBe(0);
    expect(m.freeze()).toBe(0);
    expect(m.update(u32(0), u32(6), 0)).toBe(E('EPERM'));
    const out = new Uint8Array(4);
    expect(m.lookup(u32(0), out, 0)).toBe(0);
    expect([...out]).toEqual([...u32(5)]);
    // kernel/bpf/syscall.c map_freeze checks write permission first since 6.5, and a frozen map has none left.
    expect(m.freeze()).toBe(freezeChecksWriteAccess(features.emulatorKernelVersion()) ? E('EPERM') : E('EBUSY'));
  });

  test('info reports type, sizes, flags, name and a kernel id; openById opens the same map', () => {
    const m = make(MapType.LruHash, 8, 16, 5, MapFlags.NoCommonLru, 'info_test');
    const info = m.info();
    if (typeof info === 'number') throw new Error(`info failed ${info}`);
    expect(info).toMatchObject({ type: MapType.LruHash, keySize: 8, valueSize: 16, flags: MapFlags.NoCommonLru, name: 'info_test', btfId: 0 });
    // Only per-CPU LRU lists round max_entries up to a multiple of the CPUs (hashtab.c htab_map_alloc: percpu_lru).
    expect(info.maxEntries).toBe(Math.ceil(5 / ncpu) * ncpu);
    expect(make(MapType.LruHash, 8, 16, 5).info()).toMatchObject({ maxEntries: 5 });
    expect(info.id).toBeGreaterThan(0);
    const again = b.NativeMap.openById(info.id);
    if (typeof again === 'number') throw new Error(`openById failed ${again}`);
    open.push(again);
    expect(again.fd).not.toBe(m.fd);
    expect(m.update(new Uint8Array(8), new Uint8Array(16).fill(3), 0)).toBe(0);
    const out = new Uint8Array(16);
    expect(again.lookup(new Uint8Array(8), out, 0)).toBe(0);
    expect(out[15]).toBe(3);
    expect(b.NativeMap.openById(2 ** 31 - 1)).toBe(E('ENOENT'));
  });

  test('fromFd refuses fds that are not maps with EINVAL and leaves them open', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(b.NativeMap.fromFd(fd)).toBe(E('EINVAL'));
      expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('/dev/null');
    } finally {
      closeSync(fd);
    }
    expect(b.NativeMap.fromFd(-1)).toBe(E('EBADF'));
  });

  test('fromFd adopts a map fd (child process, since the fd then has two owners)', () => {
    const script = `
      const b = require(${JSON.stringify(addonPath)});
      const a = b.NativeMap.create(1, 4, 4, 2, 0, 'adopt', 0, 0, 0, 0);
      const c = b.NativeMap.fromFd(a.fd);
      console.log(JSON.stringify({ same: c.info().id === a.info().id, fd: c.fd === a.fd, vs: c.info().valueSize }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ same: true, fd: true, vs: 4 });
  });

  describeKernel('pinning on a private bpffs', () => {
    let fs: Bpffs;
    beforeAll(() => {
      fs = mountBpffs();
    });
    afterAll(() => fs.cleanup());

    test('pin, openPinned sees the same map, pinning twice is EEXIST, missing paths are ENOENT', () => {
      const m = make(MapType.PercpuHash, 4, 4, 4);
      const path = join(fs.dir, 'pcpu');
      expect(m.pin(path)).toBe(0);
      expect(m.pin(path)).toBe(E('EEXIST'));
      const p = b.NativeMap.openPinned(path);
      if (typeof p === 'number') throw new Error(`openPinned failed ${p}`);
      open.push(p);
      expect((p.info() as { id: number }).id).toBe((m.info() as { id: number }).id);
      // Sizes were learned from the kernel: the per-CPU buffer rule applies to the opened handle too.
      expect(() => p.lookup(u32(0), new Uint8Array(4), 0)).toThrow(RangeError);
      expect(p.lookup(u32(0), new Uint8Array(8 * ncpu), 0)).toBe(E('ENOENT'));
      expect(b.NativeMap.openPinned(join(fs.dir, 'missing'))).toBe(E('ENOENT'));
      expect(m.pin('/nonexistent-dir/x')).toBe(E('ENOENT'));
    });
  });

  test('close() releases the fd', () => {
    const before = fdCount();
    const maps = Array.from({ length: 10 }, () => b.NativeMap.create(MapType.Hash, 4, 4, 1, 0, '', 0, 0, 0, 0) as NativeMap);
    expect(fdCount()).toBe(before + 10);
    for (const m of maps) m.close();
    expect(fdCount()).toBe(before);
  });

  test('openScratch: element calls on addon-owned buffers, with the same answers as the checked calls', () => {
    const m = make(MapType.Hash, 4, 8, 4);
    const sc = m.openScratch();
    if (typeof sc === 'number') throw new Error(`openScratch failed: ${sc}`);
    expect([sc.key.length, sc.value.length, sc.next.length]).toEqual([4, 8, 4]);
    sc.key.set(u32(3));
    sc.value.fill(5);
    expect(sc.update(UpdateFlags.NoExist)).toBe(0);
    expect(sc.update(UpdateFlags.NoExist)).toBe(E('EEXIST'));
    const out = new Uint8Array(8);
    expect(m.lookup(u32(3), out, 0)).toBe(0); // the checked call sees what the scratch call wrote
    expect([...out]).toEqual(Array(8).fill(5));
    sc.value.fill(0);
    expect(sc.lookup(0)).toBe(0);
    expect([...sc.value]).toEqual(Array(8).fill(5));
    expect(sc.getNextKey(false)).toBe(0);
    expect([...sc.next]).toEqual([...u32(3)]);
    expect(sc.getNextKey(true)).toBe(E('ENOENT'));
    expect(sc.lookupAndDelete(0)).toBe(0);
    expect(sc.delete()).toBe(E('ENOENT'));
    // Flags are checked as the other calls check them.
    expect(() => sc.lookup(1.5)).toThrow(TypeError);
    expect(() => sc.update(-1)).toThrow(RangeError);
    expect(() => sc.getNextKey(1 as never)).toThrow(/fromKey must be a boolean/);
    // Two scratch sets on one map are independent buffers.
    const other = m.openScratch();
    if (typeof other === 'number') throw new Error(`openScratch failed: ${other}`);
    other.key.set(u32(9));
    expect([...sc.key]).toEqual([...u32(3)]);
    m.close();
    expect(() => sc.lookup(0)).toThrow(/map is closed/);
  });

  test('scratch buffers outlive detaching, transfer and the map: no call writes freed memory (node --expose-gc child)', () => {
    // Each round tries to detach a scratch buffer (structuredClone with transfer: Node copies an external
    // ArrayBuffer rather than detach it), keeps calling, drops the map and collects: the addon's memory is
    // freed only when the last user is gone, so the child exits cleanly.
    const script = `
      const b = require(${JSON.stringify(addonPath)});
      let calls = 0;
      for (let i = 0; i < 300; i++) {
        const m = b.NativeMap.create(1, 4, 8, 4, 0, '', 0, 0, 0, 0);
        const sc = m.openScratch();
        const moved = structuredClone(sc.value.buffer, { transfer: [sc.value.buffer] });
        if (moved.byteLength === 0) throw new Error('nothing transferred');
        sc.value.fill(6);
        if (sc.update(0) !== 0) throw new Error('update failed after transfer');
        sc.value.fill(0);
        if (sc.lookup(0) !== 0 || (sc.value.length > 0 && sc.value[7] !== 6)) throw new Error('lookup failed after transfer');
        calls += 2;
        if (i % 2) m.close();
        if (i % 50 === 0) gc();
      }
      gc();
      console.log(JSON.stringify({ calls }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' }));
    expect(out.calls).toBe(600);
  });

  test('a NativeMap collected without close() releases its fd (node --expose-gc child)', () => {
    const script = `
      const { readdirSync } = require('node:fs');
      const b = require(${JSON.stringify(addonPath)});
      const count = () => readdirSync('/proc/self/fd').length;
      const before = count();
      (function () { for (let i = 0; i < 200; i++) b.NativeMap.create(1, 4, 4, 1, 0, '', 0, 0, 0, 0); })();
      const peak = count();
      (async () => {
        for (let i = 0; i < 10 && count() > before + 5; i++) { gc(); await new Promise((r) => setImmediate(r)); }
        console.log(JSON.stringify({ before, peak, after: count() }));
      })();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' }));
    expect(out.peak).toBeGreaterThanOrEqual(out.before + 200);
    expect(out.after).toBeLessThanOrEqual(out.before + 5);
  });

  test('the addon loads and works in a worker thread too (per-env instance data)', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const code = 'const b = require(' + ${JSON.stringify(JSON.stringify(addonPath))} + ');' +
        'const m = b.NativeMap.create(2, 4, 4, 1, 0, "", 0, 0, 0, 0);' +
        'require("node:worker_threads").parentPort.postMessage(m.lookup(new Uint8Array(4), new Uint8Array(4), 0)); m.close();';
      const b = require(${JSON.stringify(addonPath)});
      const w1 = new Worker(code, { eval: true });
      w1.on('message', (rc) => {
        const w2 = new Worker(code, { eval: true });
        w2.on('message', (rc2) => {
          const m = b.NativeMap.create(2, 4, 4, 1, 0, '', 0, 0, 0, 0);
          console.log(JSON.stringify([rc, rc2, m.lookup(new Uint8Array(4), new Uint8Array(4), 0)]));
          m.close();
        });
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([0, 0, 0]);
  });

  test('as an unprivileged user, create returns -EPERM (never throws)', (ctx) => {
    const script = `const b = require(${JSON.stringify(addonPath)}); console.log(b.NativeMap.create(2, 4, 4, 1, 0, '', 0, 0, 0, 0));`;
    let out: string;
    try {
      out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', script], { encoding: 'utf8' });
    } catch (e) {
      console.log(`skipped: unprivileged create: cannot run setpriv as nobody: ${(e as Error).message.split('\n')[0]}`);
      ctx.skip();
      return;
    }
    expect(Number(out.trim())).toBe(E('EPERM'));
  });
});
