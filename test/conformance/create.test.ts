import { expect, test } from 'vitest';
import { MapFlags, bytes, createMap, features, spinLock, struct, u16, u32, u64, type MapTypeName } from '../../src/index.js';
import { tokenFdFlag } from '../../src/emulator/kernel-version.js';
import type { Emulator } from '../../src/emulator/index.js';
import { describeEngines } from '../helpers/engines.js';

// The kernel's answers to BPF_MAP_CREATE (KERNEL-FACTS.md, Linux 6.18): both engines must give them.
describeEngines('createMap errnos', (engine, name) => {
  const attempt = (type: MapTypeName, opts: { key?: unknown; value?: unknown; maxEntries?: number; flags?: number; name?: string } = {}) => {
    try {
      createMap({
        type,
        key: (opts.key ?? u32) as typeof u32,
        value: (opts.value ?? u64) as typeof u64,
        maxEntries: opts.maxEntries ?? 4,
        flags: opts.flags ?? 0,
        name: opts.name ?? '',
        engine: engine(),
      }).close();
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  };
  const all: MapTypeName[] = ['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'array', 'percpu_array'];
  const lru: MapTypeName[] = ['lru_hash', 'lru_percpu_hash'];
  const hashes: MapTypeName[] = ['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'];

  test('zero max_entries is EINVAL for every type', () => {
    for (const t of all) expect([t, attempt(t, { maxEntries: 0 })]).toEqual([t, 'EINVAL']);
  });

  test('BPF_F_NO_PREALLOC: fine for hash and percpu_hash, ENOTSUPP (524) for LRU, EINVAL for arrays', () => {
    expect(attempt('hash', { flags: MapFlags.NoPrealloc })).toBe('ok');
    expect(attempt('percpu_hash', { flags: MapFlags.NoPrealloc })).toBe('ok');
    for (const t of lru) expect(attempt(t, { flags: MapFlags.NoPrealloc })).toBe('ENOTSUPP');
    expect(attempt('array', { flags: MapFlags.NoPrealloc })).toBe('EINVAL');
  });

  test('BPF_F_NO_COMMON_LRU is only for LRU maps', () => {
    for (const t of lru) expect(attempt(t, { flags: MapFlags.NoCommonLru })).toBe('ok');
    for (const t of ['hash', 'array'] as const) expect(attempt(t, { flags: MapFlags.NoCommonLru })).toBe('EINVAL');
  });

  test('BPF_F_ZERO_SEED only on hash maps; arrays refuse it', () => {
    for (const t of hashes) expect(attempt(t, { flags: MapFlags.ZeroSeed })).toBe('ok');
    for (const t of ['array', 'percpu_array'] as const) expect(attempt(t, { flags: MapFlags.ZeroSeed })).toBe('EINVAL');
  });

  test('RDONLY|WRONLY together is EINVAL', () => {
    for (const t of all) expect(attempt(t, { flags: MapFlags.Rdonly | MapFlags.Wronly })).toBe('EINVAL');
    for (const t of all) expect(attempt(t, { flags: MapFlags.RdonlyProg | MapFlags.WronlyProg })).toBe('EINVAL');
  });

  test('BPF_F_MMAPABLE only for arrays', () => {
    expect(attempt('array', { flags: MapFlags.Mmapable })).toBe('ok');
    expect(attempt('hash', { flags: MapFlags.Mmapable })).toBe('EINVAL');
  });

  test('names: [A-Za-z0-9_.], at most 15 characters', () => {
    expect(attempt('hash', { name: 'a_b.C9' })).toBe('ok');
    expect(attempt('hash', { name: 'fifteen_chars_x' })).toBe('ok');
    expect(attempt('hash', { name: 'sixteen_chars_xy' })).toBe('EINVAL');
    expect(attempt('hash', { name: 'bad-name' })).toBe('EINVAL');
    expect(attempt('hash', { name: 'spa ce' })).toBe('EINVAL');
  });

  test('size limits: hash max_entries > 2^27 is E2BIG; key+value too large is E2BIG', () => {
    expect(attempt('hash', { maxEntries: 2 ** 27 + 1, flags: MapFlags.NoPrealloc })).toBe('E2BIG');
    expect(attempt('hash', { key: bytes(1 << 21), value: bytes(1 << 21), maxEntries: 1, flags: MapFlags.NoPrealloc })).toBe('E2BIG');
  });

  test('per-CPU values over 32 KiB after rounding are E2BIG; exactly 32 KiB is fine', () => {
    expect(attempt('percpu_array', { value: bytes(32768), maxEntries: 1 })).toBe('ok');
    expect(attempt('percpu_array', { value: bytes(32761), maxEntries: 1 })).toBe('ok'); // rounds up to 32768
    expect(attempt('percpu_array', { value: bytes(32769), maxEntries: 1 })).toBe('E2BIG');
    expect(attempt('percpu_hash', { value: bytes(32769), maxEntries: 1 })).toBe('E2BIG');
  });

  test('a flag bit the kernel does not know is EINVAL', () => {
    for (const t of all) expect(attempt(t, { flags: 1 << 20 })).toBe('EINVAL');
  });

  test('BPF_F_TOKEN_FD with no token: the type\'s own checks come first (6.9+), then EINVAL', () => {
    const version = name === 'kernel' ? features.emulatorKernelVersion() : (engine() as Emulator).kernelVersion;
    const tooBig = bytes(4 << 20);
    expect(attempt('hash', { flags: MapFlags.TokenFd })).toBe('EINVAL');
    // map_create clears the flag before htab_map_alloc_check, which then refuses the size; before 6.9 the
    // unknown flag is refused first.
    expect(attempt('hash', { value: tooBig, maxEntries: 1, flags: MapFlags.TokenFd })).toBe(tokenFdFlag(version) ? 'E2BIG' : 'EINVAL');
  });

  test('an array with BTF takes only a 32-bit int key (arraymap.c array_map_check_btf)', () => {
    // BTF goes to the kernel with lock-bearing values: a 4-byte struct key is refused, a u32 one is fine.
    const value = struct({ lock: spinLock, n: u32 });
    expect(attempt('array', { key: struct({ a: u16, b: u16 }), value })).toBe('EINVAL');
    expect(attempt('array', { key: u32, value })).toBe('ok');
    expect(attempt('hash', { key: struct({ a: u16, b: u16 }), value })).toBe('ok');
  });
});
