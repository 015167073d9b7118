// The kernel engine at the Engine seam: handles, info, BTF-bearing maps, fds, ownership.
import { percpuLookupCopiesPadding } from '../../src/emulator/kernel-version.js';
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BatchOp, MapFlags, MapType, UpdateFlags } from '../../src/uapi/bpf.js';
import type { MapAttrs, MapHandle } from '../../src/seam/engine.js';
import { errnoByCode } from '../../src/uapi/errno.js';
import { features } from '../../src/kernel/features.js';
import { getKernelEngine, KernelEngine, kernelUnavailableReasons, type KernelMapHandle } from '../../src/kernel/engine.js';
import { mountBpffs, type Bpffs } from '../helpers/bpffs.js';
import { u32Bytes as u32 } from '../helpers/bytes.js';
import { describeKernel, kernelSkipReason } from '../helpers/kernel.js';

const E = (code: keyof typeof errnoByCode): number => -errnoByCode[code];
const fdCount = (): number => readdirSync('/proc/self/fd').length;

/**
 * A hand-built BTF blob (include/uapi/linux/btf.h): [1] int u32, [2] struct bpf_spin_lock { u32 val },
 * [3] struct v { struct bpf_spin_lock l; u32 x }. The kernel finds the lock by the struct's name.
 */
function spinLockBtf(): { data: Uint8Array; keyTypeId: number; valueTypeId: number } {
  const strings = '\0u32\0bpf_spin_lock\0val\0v\0l\0x\0';
  const off = (s: string) => strings.indexOf(`\0${s}\0`) + 1;
  const types = [
    off('u32'), (1 << 24) | 0, 4, 32, // INT: name, info(kind 1), size, encoding/offset/bits
    off('bpf_spin_lock'), (4 << 24) | 1, 4, off('val'), 1, 0, // STRUCT, 1 member
    off('v'), (4 << 24) | 2, 8, off('l'), 2, 0, off('x'), 1, 32, // STRUCT, 2 members (bit offsets)
  ];
  const typeBytes = types.length * 4;
  const buf = new Uint8Array(24 + typeBytes + strings.length);
  const dv = new DataView(buf.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, 24, true); // hdr_len
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, typeBytes, true);
  dv.setUint32(16, typeBytes, true); // str_off
  dv.setUint32(20, strings.length, true);
  types.forEach((t, i) => dv.setUint32(24 + i * 4, t >>> 0, true));
  buf.set(new TextEncoder().encode(strings), 24 + typeBytes);
  return { data: buf, keyTypeId: 1, valueTypeId: 3 };
}

test('kernelSkipReason honours BPFKIT_ENGINE=emulator', () => {
  const saved = process.env.BPFKIT_ENGINE;
  try {
    process.env.BPFKIT_ENGINE = 'emulator';
    expect(kernelSkipReason()).toBe('BPFKIT_ENGINE=emulator');
  } finally {
    if (saved === undefined) delete process.env.BPFKIT_ENGINE;
    else process.env.BPFKIT_ENGINE = saved;
  }
});

test('kernelUnavailableReasons and getKernelEngine agree', () => {
  const reasons = kernelUnavailableReasons();
  if (reasons.length === 0) expect(getKernelEngine()).toBeInstanceOf(KernelEngine);
  else expect(() => getKernelEngine()).toThrow(reasons.join('; '));
});

describeKernel('KernelEngine', () => {
  let engine: KernelEngine;
  const handles: MapHandle[] = [];
  const attrs = (over: Partial<MapAttrs>): MapAttrs => ({
    type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, name: '', numaNode: 0, ...over,
  });
  function create(over: Partial<MapAttrs>): KernelMapHandle {
    const h = engine.createMap(attrs(over));
    if (typeof h === 'number') throw new Error(`createMap failed: ${h}`);
    handles.push(h);
    return h;
  }

  beforeAll(() => {
    engine = getKernelEngine();
  });
  afterAll(() => {
    for (const h of handles) h.close();
  });

  test('one engine per process, kind "kernel", possibleCpus ≥ 1', () => {
    expect(getKernelEngine()).toBe(engine);
    expect(engine.kind).toBe('kernel');
    expect(engine.possibleCpus()).toBeGreaterThanOrEqual(1);
  });

  test('createMap returns a handle with info and an fd that is a bpf map', () => {
    const h = create({ type: MapType.PercpuArray, valueSize: 12, maxEntries: 3, name: 'eng_info' });
    expect(h.info).toMatchObject({ type: MapType.PercpuArray, keySize: 4, valueSize: 12, maxEntries: 3, flags: 0, name: 'eng_info', btfId: 0 });
    expect(readlinkSync(`/proc/self/fd/${h.fd}`)).toBe('anon_inode:bpf-map');
    expect(h.closed).toBe(false);
    const v = new Uint8Array(16 * engine.possibleCpus()).fill(4);
    expect(h.update(u32(1), v, 0)).toBe(0);
    const out = new Uint8Array(v.length);
    expect(h.lookup(u32(1), out, 0)).toBe(0);
    // Each CPU's 12 bytes, and its 4 bytes of slot padding where this kernel copies them (see the rule).
    const expected = v.map((byte, i) => (i % 16 < 12 || percpuLookupCopiesPadding(features.emulatorKernelVersion()) ? byte : 0));
    expect(out).toEqual(expected);
  });

  test('kernel errors come back as -errno, never thrown', () => {
    expect(engine.createMap(attrs({ keySize: 0 }))).toBe(E('EINVAL'));
    expect(engine.createMap(attrs({ type: MapType.LruHash, flags: MapFlags.NoPrealloc }))).toBe(-524);
    expect(engine.createMap(attrs({ name: 'bad name' }))).toBe(E('EINVAL'));
    const h = create({});
    expect(h.lookup(u32(9), new Uint8Array(4), 0)).toBe(E('ENOENT'));
    expect(h.delete(u32(9))).toBe(E('ENOENT'));
    expect(h.getNextKey(null, new Uint8Array(4))).toBe(E('ENOENT'));
    expect(h.lookupAndDelete(u32(9), new Uint8Array(4), 0)).toBe(E('ENOENT'));
    expect(engine.openMapById(2 ** 31 - 1)).toBe(E('ENOENT'));
  });

  test('batch through the handle', () => {
    const h = create({ maxEntries: 8 });
    const keys = new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
    const vals = new Uint8Array(12).fill(5);
    const count = new Uint32Array([3]);
    expect(h.batch(BatchOp.Update, null, new Uint8Array(0), keys, vals, count, 0)).toBe(0);
    count[0] = 8;
    const outK = new Uint8Array(32);
    const outV = new Uint8Array(32);
    expect(h.batch(BatchOp.LookupAndDelete, null, new Uint8Array(4), outK, outV, count, 0)).toBe(E('ENOENT'));
    expect(count[0]).toBe(3);
    expect(h.getNextKey(null, new Uint8Array(4))).toBe(E('ENOENT'));
  });

  test('queryInfo is fresh; info is the snapshot from opening', () => {
    const h = create({ type: MapType.Array });
    const q = h.queryInfo();
    expect(q).toEqual(h.info);
    expect(h.freeze()).toBe(0);
    expect(h.update(u32(0), u32(1), 0)).toBe(E('EPERM'));
  });

  test('close is idempotent, releases the fd, and later calls throw TypeError', () => {
    const before = fdCount();
    const h = engine.createMap(attrs({})) as KernelMapHandle;
    expect(fdCount()).toBe(before + 1);
    h.close();
    h.close();
    expect(h.closed).toBe(true);
    expect(h.fd).toBe(-1);
    expect(fdCount()).toBe(before);
    expect(() => h.lookup(u32(0), u32(0), 0)).toThrow('map is closed');
  });

  test('openMapById gives a second handle on the same map', () => {
    const h = create({ name: 'eng_open' });
    expect(h.update(u32(1), u32(42), 0)).toBe(0);
    const byId = engine.openMapById(h.info.id);
    if (typeof byId === 'number') throw new Error(`openMapById ${byId}`);
    handles.push(byId);
    const out = new Uint8Array(4);
    expect(byId.lookup(u32(1), out, 0)).toBe(0);
    expect(out).toEqual(u32(42));
    expect(byId.info.name).toBe('eng_open');
  });

  test('adoptFd refuses a non-map fd with EINVAL and leaves it to the caller', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(engine.adoptFd(fd)).toBe(E('EINVAL'));
      expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('/dev/null');
    } finally {
      closeSync(fd);
    }
  });

  test('a map with BTF: the lock-bearing value takes F_LOCK, and the BTF fd is closed after create', () => {
    const btf = spinLockBtf();
    const before = fdCount();
    const h = engine.createMap(attrs({ valueSize: 8, btf, locks: [{ kind: 'spin', offset: 0 }] }));
    if (typeof h === 'number') throw new Error(`createMap with BTF failed: ${h}`);
    handles.push(h);
    expect(fdCount()).toBe(before + 1); // the map only; the BTF fd was closed
    expect(h.info.btfId).toBeGreaterThan(0);
    const v = new Uint8Array([0, 0, 0, 0, 7, 0, 0, 0]);
    expect(h.update(u32(1), v, UpdateFlags.Lock)).toBe(0);
    const out = new Uint8Array(8);
    expect(h.lookup(u32(1), out, UpdateFlags.Lock)).toBe(0);
    expect(out).toEqual(v);
    // The same map shape without BTF refuses F_LOCK.
    const plain = create({ valueSize: 8 });
    expect(plain.update(u32(1), v, UpdateFlags.Lock)).toBe(E('EINVAL'));
    // LRU values may not hold a spin lock (kernel/bpf/syscall.c map_check_btf): ENOTSUPP (524) until the
    // 6.2 btf_record rework, EOPNOTSUPP since (measured on 6.1 in bpfkit vm, and on 6.18).
    expect(engine.createMap(attrs({ type: MapType.LruHash, valueSize: 8, btf }))).toBe(features.kernelAtLeast('6.2') ? E('EOPNOTSUPP') : -524);
  });

  test('bad BTF: createMap returns the BTF load errno; loadBtf returns the kernel log', () => {
    const btf = spinLockBtf();
    const bad = btf.data.slice();
    new DataView(bad.buffer).setUint32(24 + 4, (99 << 24) >>> 0, true); // unknown kind for type 1
    const before = fdCount();
    expect(engine.createMap(attrs({ valueSize: 8, btf: { ...btf, data: bad } }))).toBe(E('EINVAL'));
    const r = engine.loadBtf(bad);
    expect(r.fd).toBe(E('EINVAL'));
    // The kernel's words for the unknown kind: 'Invalid btf_info' up to 6.18, 'Invalid kind:99' on 7.2.
    expect(r.log).toMatch(/Invalid (btf_info|kind:99)/);
    expect(fdCount()).toBe(before);
    const good = engine.loadBtf(btf.data);
    expect(good.fd).toBeGreaterThan(0);
    engine.closeFd(good.fd);
    expect(fdCount()).toBe(before);
  });

  describeKernel('pinning on a private bpffs', () => {
    let fs: Bpffs;
    beforeAll(() => {
      fs = mountBpffs();
    });
    afterAll(() => fs.cleanup());

    test('pin and openPinned through the engine', () => {
      const h = create({ type: MapType.LruPercpuHash, maxEntries: 4, name: 'eng_pin' });
      const path = join(fs.dir, 'm');
      expect(h.pin(path)).toBe(0);
      const p = engine.openPinned(path);
      if (typeof p === 'number') throw new Error(`openPinned ${p}`);
      handles.push(p);
      expect(p.info).toEqual(h.info);
      expect(engine.openPinned(join(fs.dir, 'nope'))).toBe(E('ENOENT'));
    });
  });
});
