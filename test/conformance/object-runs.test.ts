// BPF objects on every engine: open/load, typed maps of the object, map reuse, BPF_PROG_TEST_RUN (sync,
// async, SEC("syscall")), and every way a load can fail. (Map reuse: objects.test.ts.)
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { BpfError, BpfRunOutputError, openObject, u32, u64, MapType } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

describeEngines('BPF objects: open, run, reuse, fail', (engine) => {
  test('maps and programs are listed by name with their types', () => {
    using obj = openObject(fixture('spin_lock'), { engine: engine() });
    expect(Object.keys(obj.programs).sort()).toEqual(['spin_array', 'spin_hash', 'spin_hash_noprealloc']);
    expect(obj.programs.spin_hash).toMatchObject({ section: 'tc', typeName: 'SchedCls' });
    expect(obj.maps.hash_np_counter).toMatchObject({ type: MapType.Hash, keySize: 4, valueSize: 16, maxEntries: 1, flags: 1, lock: 'spin' });
    expect(obj.maps.array_counter).toMatchObject({ type: MapType.Array, lock: 'spin' });
  });

  test('obj.map() checks codec sizes against the real map', () => {
    using obj = openObject(fixture('unlocked'), { engine: engine() });
    expect(() => obj.map('counter', { key: u32, value: u32 })).toThrow(/value/);
    expect(() => obj.map('nope', { key: u32, value: u64 })).toThrow(/nope/);
    using counter = obj.map('counter', { key: u32, value: u64 });
    expect(counter.get(0)).toBe(0n);
  });

  test('a packet out larger than dataOutSize: ENOSPC with the retval, the real size and what fit', () => {
    using obj = openObject(fixture('unlocked'), { engine: engine() });
    const prog = obj.program('unlocked_inc');
    const data = packet([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const whole = prog.run({ data });
    let error: unknown;
    try {
      prog.run({ data, dataOutSize: 10 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpfRunOutputError);
    const e = error as BpfRunOutputError;
    expect([e.code, e.dataSize, e.result.retval]).toEqual(['ENOSPC', data.length, whole.retval]);
    expect(e.result.data).toEqual(whole.data!.subarray(0, 10));
    expect(e.message).toMatch(/the packet out is 64 bytes, dataOutSize gave 10/);
  });

  test('run: retval, duration, packet out; repeat runs the program that many times', () => {
    using obj = openObject(fixture('unlocked'), { engine: engine() });
    const r = obj.program('unlocked_inc').run({ data: packet([1, 2, 3]), repeat: 100 });
    expect(r.retval).toBe(0);
    expect(r.duration).toBeGreaterThanOrEqual(0);
    expect(r.data?.subarray(0, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(obj.map('counter', { key: u32, value: u64 }).get(0)).toBe(100n);
  });

  test('runAsync runs on another thread and gives the same result shape', async () => {
    using obj = openObject(fixture('unlocked'), { engine: engine() });
    const r = await obj.program('unlocked_inc').runAsync({ data: packet(), repeat: 10 });
    expect(r.retval).toBe(0);
    expect(obj.map('counter', { key: u32, value: u64 }).get(0)).toBe(10n);
  });

  test('SEC("syscall") programs take ctx, refuse data, and repeat in userspace', () => {
    using obj = openObject(fixture('syscall_counter'), { engine: engine() });
    const prog = obj.program('add_to_total');
    expect(prog.typeName).toBe('Syscall');
    const ctx = new Uint8Array(new Uint32Array([3]).buffer);
    prog.run({ ctx, repeat: 4 });
    expect(obj.map('total', { key: u32, value: u64 }).get(0)).toBe(12n);
    expect(() => prog.run({ data: packet(), ctx })).toThrow(TypeError);
  });

  test('a missing file, a non-ELF file and a closed object are clear BpfErrors', () => {
    expect(() => openObject('/nonexistent/x.bpf.o', { engine: engine() })).toThrowError(expect.objectContaining({ code: 'ENOENT' }));
    const junk = join(tmpdir(), `bpfkit-junk-${process.pid}.o`);
    writeFileSync(junk, 'not an ELF file');
    try {
      expect(() => openObject(junk, { engine: engine() })).toThrow(BpfError);
    } finally {
      rmSync(junk, { force: true });
    }
    const obj = openObject(fixture('unlocked'), { engine: engine() });
    obj.close();
    obj.close();
    expect(() => obj.program('unlocked_inc')).toThrow(BpfError);
    expect(() => openObject('' as string, { engine: engine() })).toThrow(TypeError);
  });

  test('bad run options are TypeError/RangeError, not a crash', () => {
    using obj = openObject(fixture('unlocked'), { engine: engine() });
    const p = obj.program('unlocked_inc');
    expect(() => p.run({ repeat: -1 })).toThrow(RangeError);
    expect(() => p.run({ repeat: 1.5 })).toThrow(TypeError);
    expect(() => p.run({ data: [1, 2] as never })).toThrow(TypeError);
  });
});
