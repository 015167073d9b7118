// Errors that help: the errnos beginners hit carry a hint naming the rule, on every engine, while errno,
// code and syscall stay what the kernel answered.
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, createMap, loadProgram, openPinned, openObject, ProgramType, u32, u64, type Engine } from '../../src/index.js';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { bpfObjectPath } from '../../src/package-root.js';
import { hintFor } from '../../src/errors/hints.js';
import { describeEngines } from '../helpers/engines.js';
import { describeKernel } from '../helpers/kernel.js';
import { mountBpffs } from '../helpers/bpffs.js';

function caught(f: () => unknown): BpfError {
  try {
    f();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  throw new Error('expected a BpfError');
}

describeEngines('errno hints', (engine: () => Engine) => {
  test('a program built without optimisation: clang\'s callx (0x8d) is refused with a hint to build with -O2', () => {
    // r1 = 0; callx r1 (what clang -O0 emits for a helper call); r0 = 0; exit
    const insns = encodeInsns([asm.mov64Imm(1, 0), { code: 0x8d, dst: 1, src: 0, off: 0, imm: 0 }, asm.mov64Imm(0, 0), asm.exit()]);
    const e = caught(() => loadProgram({ type: ProgramType.SchedCls, insns, engine: engine() }));
    expect(e).toBeInstanceOf(BpfVerifierError);
    expect([e.code, lastMeaningfulLine((e as BpfVerifierError).log)]).toEqual(['EINVAL', 'unknown opcode 8d']);
    expect(e.hint).toBe('clang emits indirect calls (callx, opcode 0x8d) without optimisation: build BPF programs with clang -O2');
    expect(e.message).toContain('(hint: clang emits indirect calls');
  });

  test('an object built without -g: its maps have no BTF; the same words on every engine, and the fix', () => {
    const e = caught(() => openObject(join(dirname(bpfObjectPath('unlocked')), 'no-btf', 'unlocked.bpf.o'), { engine: engine() }));
    expect([e.code, e.syscall]).toEqual(['ENOENT', 'bpf_object__open']);
    // The emulator names the file it read, as it does for every ELF failure.
    expect(e.message).toMatch(/failed: ENOENT \(no such entry\): (unlocked\.bpf\.o: )?BTF is required, but is missing or corrupted\. \(hint: the object has no BTF for its maps: compile it with clang -g \(and -O2\)\)$/);
  });

  test('E2BIG: a full hash map, an array index out of range', () => {
    using full = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 2, engine: engine() });
    full.set(1, 1n);
    full.set(2, 2n);
    const e = caught(() => full.set(3, 3n));
    expect([e.code, e.errno, e.syscall]).toEqual(['E2BIG', -7, 'BPF_MAP_UPDATE_ELEM']);
    expect(e.message).toContain('hint: the map is full (max_entries 2');
    using arr = createMap({ type: 'array', key: u32, value: u64, maxEntries: 4, engine: engine() });
    const a = caught(() => arr.set(4, 1n));
    expect(a.code).toBe('E2BIG');
    expect(a.hint).toBe('array indexes are 0 to 3 (kernel/bpf/arraymap.c array_map_update_elem)');
  });

  test('EINVAL: deleting from an array; a bad map name', () => {
    using arr = createMap({ type: 'array', key: u32, value: u64, maxEntries: 4, engine: engine() });
    const e = caught(() => arr.delete(0));
    expect([e.code, e.syscall]).toEqual(['EINVAL', 'BPF_MAP_DELETE_ELEM']);
    expect(e.hint).toMatch(/^array elements always exist/);
    const n = caught(() => createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, name: 'a-name-that-is-too-long', engine: engine() }));
    expect([n.code, n.syscall]).toEqual(['EINVAL', 'BPF_MAP_CREATE']);
    expect(n.hint).toContain('at most 15 characters of [A-Za-z0-9_.]');
  });

  test('EPERM: writing a frozen map', () => {
    using m = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, engine: engine() });
    m.freeze();
    const e = caught(() => m.set(1, 1n));
    expect([e.code, e.syscall]).toEqual(['EPERM', 'BPF_MAP_UPDATE_ELEM']);
    expect(e.hint).toContain('frozen');
  });

  test('ENOENT: opening a pin that does not exist names the path, and says to mount a bpffs only where none is', () => {
    const e = engine();
    const path = '/sys/fs/bpf/bpfkit-no-such-pin';
    const missing = caught(() => openPinned(path, { key: u32, value: u64, engine: e }));
    expect([missing.code, missing.syscall]).toEqual(['ENOENT', 'BPF_OBJ_GET']);
    expect(missing.message).toContain(path);
    // The emulator's bpffs is mounted at /sys/fs/bpf; the host's may or may not be.
    if (e.onBpffs!(path)) expect(missing.hint).toBe(`nothing is pinned at ${path} (its directory is on a bpf filesystem): check the name, or pin the map there first`);
    else expect(missing.hint).toContain('mount -t bpf bpf /sys/fs/bpf');
    // A directory that is no bpffs on either engine: the fix is a mount.
    const elsewhere = caught(() => openPinned('/tmp/bpfkit-no-such-dir/pin', { key: u32, value: u64, engine: e }));
    expect(elsewhere.hint).toContain('is one mounted there? (sudo mount -t bpf bpf /sys/fs/bpf)');
  });

  test('EINVAL: a test run with a packet shorter than an Ethernet header', () => {
    using obj = openObject(bpfObjectPath('unlocked'), { engine: engine() });
    const e = caught(() => obj.program('unlocked_inc').run({ data: new Uint8Array(8) }));
    expect([e.code, e.syscall]).toEqual(['EINVAL', 'BPF_PROG_TEST_RUN']);
    expect(e.hint).toContain('at least an Ethernet header, 14 bytes');
  });
});

test('no hint where the errno says enough, and none for an LRU map (it evicts, never E2BIG)', () => {
  expect(hintFor({ syscall: 'BPF_MAP_LOOKUP_ELEM', errno: -2 })).toBeUndefined();
  expect(hintFor({ syscall: 'BPF_MAP_UPDATE_ELEM', errno: -7, mapType: 9, maxEntries: 4 })).toBeUndefined();
  expect(hintFor({ syscall: 'BPF_MAP_CREATE', errno: -22, mapName: 'ok_name' })).toBeUndefined();
});

describeKernel('errno hints on a mounted bpffs', () => {
  test('ENOENT under a mounted bpffs: the pin is missing, not the filesystem', () => {
    const fs = mountBpffs();
    try {
      const path = join(fs.dir, 'no-such-pin');
      const e = caught(() => openPinned(path, { key: u32, value: u64, engine: 'kernel' }));
      expect([e.code, e.syscall]).toEqual(['ENOENT', 'BPF_OBJ_GET']);
      expect(e.hint).toBe(`nothing is pinned at ${path} (its directory is on a bpf filesystem): check the name, or pin the map there first`);
    } finally {
      fs.cleanup();
    }
  });
});
