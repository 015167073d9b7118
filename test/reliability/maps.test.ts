// Issue 7, items 4–9 (the map parts): honest batch counts, fd ownership, inputs read once, per-handle
// access modes, arguments checked up front with errors naming the operation and the map, and the
// emulator agreeing with the kernel on bad names, NUMA_NO_NODE, lock-bearing arrays and pin paths.
// Every test runs on both engines.
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import {
  BpfError, Emulator, MapFlags, createMap, openMap, openPinned, resolveEngine, spinLock, struct, u32, u64, u8,
  type BpfMap,
} from '../../src/index.js';
import type { Engine, MapAttrs } from '../../src/seam/engine.js';
import { mountBpffs, type Bpffs } from '../helpers/bpffs.js';
import { describeEngines } from '../helpers/engines.js';

/** The error `fn` throws (the test fails when it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describeEngines('reliability: maps', (engine, name) => {
  const open: BpfMap<any, any>[] = [];
  const track = <M extends BpfMap<any, any>>(m: M): M => {
    open.push(m);
    return m;
  };
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  const hash = (e: Engine, maxEntries = 8, flags = 0) =>
    track(createMap({ type: 'hash', key: u32, value: u32, maxEntries, flags, name: 'rel_x', engine: e }));

  // ---- 4. processed is what the kernel did ------------------------------------------------------
  test('4: a refused batch reports processed 0 (frozen map, array deleteBatch, bad lock flag)', () => {
    const e = engine();
    const frozen = hash(e);
    frozen.set(1, 1);
    frozen.freeze();
    const a = thrown(() => frozen.updateBatch([2, 3, 4], [2, 3, 4])) as BpfError;
    expect(a).toMatchObject({ code: 'EPERM', syscall: 'BPF_MAP_UPDATE_BATCH', processed: 0 });
    const d = thrown(() => frozen.deleteBatch([1])) as BpfError;
    expect(d).toMatchObject({ code: 'EPERM', processed: 0 });
    expect(frozen.get(1)).toBe(1);

    const arr = track(createMap({ type: 'array', key: u32, value: u32, maxEntries: 4, engine: e }));
    expect(thrown(() => arr.deleteBatch([0, 1, 2]))).toMatchObject({ code: 'ENOTSUPP', processed: 0 });
    expect(thrown(() => arr.updateBatch([0, 1], [5, 6], { lock: true }))).toMatchObject({ code: 'EINVAL', processed: 0 });
    expect([arr.get(0), arr.get(1)]).toEqual([0, 0]);

    const ro = hash(e, 8, MapFlags.Rdonly);
    expect(thrown(() => ro.updateBatch([1, 2], [1, 2]))).toMatchObject({ code: 'EPERM', processed: 0 });
  });

  test('4: a batch that stops part-way reports how many it applied', () => {
    const m = hash(engine(), 4);
    const err = thrown(() => m.updateBatch([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])) as BpfError;
    expect(err).toMatchObject({ code: 'E2BIG', processed: 4 });
    const del = thrown(() => m.deleteBatch([1, 2, 9, 3])) as BpfError;
    expect(del).toMatchObject({ code: 'ENOENT', processed: 2 });
  });

  // ---- 5. one owner per fd ------------------------------------------------------------------------
  test('5: openMap({ fd }) opens its own duplicate; closing it leaves the original working and owning its fd', () => {
    const e = engine();
    const a = hash(e);
    if (name === 'emulator') {
      expect(() => a.fd).toThrow(TypeError);
      const err = thrown(() => openMap({ fd: 3 }, { key: u32, value: u32, engine: e }));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toMatch(/^openMap: .*no file descriptors/);
      return;
    }
    const b = openMap({ fd: a.fd }, { key: u32, value: u32, engine: e }) as BpfMap<number, number>;
    expect(b.fd).not.toBe(a.fd);
    expect(b.info.id).toBe(a.info.id);
    b.set(1, 10);
    expect(a.get(1)).toBe(10);
    const aFd = a.fd;
    b.close();
    // The number b held is free; a new map may take it. a keeps its own fd and never writes elsewhere.
    const bystander = hash(e);
    expect(a.fd).toBe(aFd);
    a.set(2, 20);
    expect(a.get(2)).toBe(20);
    expect([...bystander.keys()]).toEqual([]);
    expect(() => openMap({ fd: 2 ** 31 - 1 }, { key: u32, value: u32, engine: e })).toThrowError(expect.objectContaining({ code: 'EBADF' }));
  });

  // ---- 6. inputs read once ------------------------------------------------------------------------
  test('6: a value field that changes between reads is read once: the checked value is the stored one', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: struct({ a: u8, b: u64, c: u32 }), maxEntries: 4, engine: engine() }));
    let reads = 0;
    const value = {
      a: 1,
      get b() {
        reads++;
        return reads === 1 ? 5n : 2n ** 70n; // valid on the first read only
      },
      c: 3,
    };
    m.set(1, value as never);
    expect(reads).toBe(1);
    expect(m.get(1)).toEqual({ a: 1, b: 5n, c: 3 });

    // A getter that is bad on the first read is refused, however good it is later.
    let n = 0;
    const bad = { a: 1, get b() { return n++ === 0 ? -1n : 1n; }, c: 3 };
    expect(() => m.set(2, bad as never)).toThrow(RangeError);
    expect(m.get(2)).toBeUndefined();
  });

  test('6: batch arrays: length and each element read once', () => {
    const m = hash(engine());
    let lengthReads = 0;
    const keys = new Proxy([1, 2, 3], {
      get(target, p, r) {
        if (p === 'length') {
          lengthReads++;
          return lengthReads === 1 ? 3 : 1000; // would overrun if read again
        }
        return Reflect.get(target, p, r);
      },
    });
    let elementReads = 0;
    const values = new Proxy([10, 20, 30], {
      get(target, p, r) {
        if (p === '1') return elementReads++ === 0 ? 20 : -5;
        return Reflect.get(target, p, r);
      },
    });
    expect(m.updateBatch(keys, values)).toBe(3);
    expect(lengthReads).toBe(1);
    expect(elementReads).toBe(1);
    expect([m.get(1), m.get(2), m.get(3)]).toEqual([10, 20, 30]);
  });

  // ---- 7. access modes are per handle ---------------------------------------------------------------
  test('7: RDONLY/WRONLY restrict the handle created with them; info.flags drops them; other handles are read-write', () => {
    const e = engine();
    const ro = hash(e, 8, MapFlags.Rdonly);
    expect(ro.info.flags & (MapFlags.Rdonly | MapFlags.Wronly)).toBe(0);
    expect(ro.queryInfo().flags & (MapFlags.Rdonly | MapFlags.Wronly)).toBe(0);
    expect(thrown(() => ro.set(1, 1))).toMatchObject({ code: 'EPERM', syscall: 'BPF_MAP_UPDATE_ELEM' });
    expect(ro.get(1)).toBeUndefined();
    const rw = track(openMap({ id: ro.info.id }, { key: u32, value: u32, engine: e }) as BpfMap<number, number>);
    rw.set(1, 11);
    expect(ro.get(1)).toBe(11);
    const ro2 = track(openMap({ id: ro.info.id }, { key: u32, value: u32, engine: e, flags: MapFlags.Rdonly }) as BpfMap<number, number>);
    expect(ro2.get(1)).toBe(11);
    expect(thrown(() => ro2.delete(1))).toMatchObject({ code: 'EPERM' });
    const wo = track(openMap({ id: ro.info.id }, { key: u32, value: u32, engine: e, flags: MapFlags.Wronly }) as BpfMap<number, number>);
    wo.set(2, 22);
    expect(thrown(() => wo.get(2))).toMatchObject({ code: 'EPERM', syscall: 'BPF_MAP_LOOKUP_ELEM' });
    expect(thrown(() => wo.nextKey())).toMatchObject({ code: 'EPERM' });
    expect(rw.get(2)).toBe(22);
    expect(thrown(() => openMap({ id: ro.info.id }, { key: u32, value: u32, engine: e, flags: MapFlags.Rdonly | MapFlags.Wronly })))
      .toMatchObject({ code: 'EINVAL', syscall: 'BPF_MAP_GET_FD_BY_ID' });
    expect(thrown(() => openMap({ id: ro.info.id }, { key: u32, value: u32, engine: e, flags: MapFlags.NoPrealloc })))
      .toMatchObject({ code: 'EINVAL' });

    const w = hash(e, 8, MapFlags.Wronly);
    w.set(5, 5);
    expect(thrown(() => w.get(5))).toMatchObject({ code: 'EPERM' });
    expect(track(openMap({ id: w.info.id }, { key: u32, value: u32, engine: e }) as BpfMap<number, number>).get(5)).toBe(5);
  });

  test('7: a frozen map refuses syscall writes through every handle', () => {
    const e = engine();
    const a = hash(e);
    a.set(1, 1);
    const b = track(openMap({ id: a.info.id }, { key: u32, value: u32, engine: e }) as BpfMap<number, number>);
    b.freeze();
    for (const m of [a, b]) {
      expect(thrown(() => m.set(1, 2))).toMatchObject({ code: 'EPERM' });
      expect(thrown(() => m.delete(1))).toMatchObject({ code: 'EPERM' });
      expect(m.get(1)).toBe(1);
    }
    const later = track(openMap({ id: a.info.id }, { key: u32, value: u32, engine: e }) as BpfMap<number, number>);
    expect(thrown(() => later.set(3, 3))).toMatchObject({ code: 'EPERM' });
  });

  // ---- 8. arguments checked up front, errors naming the operation and the map ---------------------
  test('8: batch arguments: TypeError/RangeError naming the operation and the map', () => {
    const m = hash(engine());
    m.set(1, 1);
    const cases: [() => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [() => m.updateBatch(null as never, []), TypeError, /^updateBatch on map 'rel_x': keys must be an array, got null$/],
      [() => m.updateBatch(5 as never, 5 as never), TypeError, /^updateBatch on map 'rel_x': keys must be an array/],
      [() => m.updateBatch([1], 5 as never), TypeError, /^updateBatch on map 'rel_x': values must be an array/],
      [() => m.deleteBatch(7 as never), TypeError, /^deleteBatch on map 'rel_x': keys must be an array, got number 7$/],
      [() => m.deleteBatch([1, 'x' as never]), TypeError, /^deleteBatch on map 'rel_x': keys\[1\]: u32 expects a number/],
      [() => m.lookupBatch({ count: Symbol() as never }), TypeError, /^lookupBatch on map 'rel_x': count must be an integer/],
      [() => m.lookupBatch({ count: 1.5 }), TypeError, /^lookupBatch on map 'rel_x': count/],
      [() => m.lookupBatch({ count: -1 }), RangeError, /^lookupBatch on map 'rel_x': count must be in/],
      [() => m.lookupBatch(5 as never), TypeError, /^lookupBatch on map 'rel_x': options must be an object/],
      [() => m.lookupBatch({ cursor: { token: new Uint8Array(4) } }), TypeError, /^lookupBatch on map 'rel_x': cursor must be/],
      [() => m.lookupBatch({ cursor: null as never }), TypeError, /^lookupBatch on map 'rel_x': cursor/],
      [() => m.get(1, 'x' as never), TypeError, /^get on map 'rel_x': options must be an object/],
      [() => m.set(1, 1, { lock: 1 as never }), TypeError, /^set on map 'rel_x': options.lock must be a boolean/],
      [() => m.set(1, -1), RangeError, /^set on map 'rel_x': value: u32 out of range: -1/],
      [() => m.get('12' as never), TypeError, /^get on map 'rel_x': key: u32 expects a number/],
      [() => m.entries(7 as never), TypeError, /^entries on map 'rel_x': options/],
      [() => m.pin(undefined as never), TypeError, /^pin on map 'rel_x': path/],
      [() => m.pin('/sys/fs/bpf/a\0b'), TypeError, /^pin on map 'rel_x': path must not contain NUL/],
    ];
    for (const [fn, cls, message] of cases) {
      const err = thrown(fn);
      expect(err, String(fn)).toBeInstanceOf(cls);
      expect(err.message, String(fn)).toMatch(message);
    }
    expect([...m.entries()]).toEqual([[1, 1]]);
  });

  test('8: codec errors name the field path; a user codec that throws something else becomes a TypeError', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: struct({ count: u32, total: u64 }), maxEntries: 4, name: 'rel_x', engine: engine() }));
    const err = thrown(() => m.set(1, { count: -1, total: 0n }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe("set on map 'rel_x': value.count: u32 out of range: -1 (0 to 4294967295)");
    const big = thrown(() => m.set(1, { count: 1, total: '12x' as never }));
    expect(big).toBeInstanceOf(TypeError);
    expect(big.message).toMatch(/^set on map 'rel_x': value.total: u64 expects a bigint/);
    const weird = { size: 4, align: 4, desc: { kind: 'int', bits: 32, signed: false, bigEndian: false }, encode() { throw new SyntaxError('boom'); }, decode: () => 0 };
    const m2 = track(createMap({ type: 'hash', key: weird as never, value: u32, maxEntries: 2, name: 'rel_x', engine: engine() }));
    const e2 = thrown(() => m2.set(1 as never, 1));
    expect(e2).toBeInstanceOf(TypeError);
    expect(e2.message).toBe("set on map 'rel_x': key: boom");
  });

  test('8: count is bounded by maxEntries: a huge count allocates nothing large and still answers', () => {
    const m = hash(engine(), 4);
    for (let i = 0; i < 4; i++) m.set(i, i);
    const before = process.memoryUsage().arrayBuffers;
    const r = m.lookupBatch({ count: 2 ** 31 });
    expect(r.keys.sort()).toEqual([0, 1, 2, 3]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    expect(() => m.lookupBatch({ count: 2 ** 32 })).toThrow(RangeError);
  });

  test('8: cursors: only this map\'s; a detached one is refused; a foreign one does not restart a walk', () => {
    const e = engine();
    const a = hash(e);
    const b = hash(e);
    for (let i = 0; i < 8; i++) a.set(i, i);
    const first = a.lookupBatch({ count: 1 });
    expect(() => b.lookupBatch({ cursor: first.cursor })).toThrow(/^lookupBatch on map 'rel_x': cursor must be a result.cursor/);
    expect(() => a.lookupBatch({ cursor: { ...first.cursor } })).toThrow(TypeError);
    // The visible token can be scribbled on without effect: the map keeps its own copy.
    const second = a.lookupBatch({ count: 1 });
    second.cursor.token.fill(0xff);
    const next = a.lookupBatch({ cursor: second.cursor, count: 8 });
    expect(new Set([...second.keys, ...next.keys]).size).toBe(second.keys.length + next.keys.length);
    structuredClone(first.cursor.token.buffer, { transfer: [first.cursor.token.buffer as ArrayBuffer] });
    const err = thrown(() => a.lookupBatch({ cursor: first.cursor }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(/detached/);
  });

  test('8: engine and options: clear TypeErrors', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, engine: null as never }), /^createMap: engine must be/],
      [() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, engine: {} as never }), /^createMap: engine must be .* got an object/],
      [() => resolveEngine(42 as never), /^resolveEngine: engine must be/],
      [() => createMap(5 as never), /^createMap needs an options object/],
      [() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 2 ** 32, engine: engine() }), /^createMap: maxEntries must fit in a u32/],
      [() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, name: 5 as never, engine: engine() }), /^createMap: name must be a string/],
      [() => openMap({ id: 1 }, 5 as never), /^openMap: options/],
      [() => openMap(null as never, { key: u32, value: u32 }), /^openMap needs/],
      [() => openMap({ id: -1 }, { key: u32, value: u32, engine: engine() }), /^openMap: id must fit in a u32/],
      [() => openMap({ id: 1 }, { key: u32, value: u32, engine: engine(), flags: 'r' as never }), /^openMap: flags must be an integer/],
      [() => openPinned(7 as never, { key: u32, value: u32, engine: engine() }), /^openPinned: path/],
      [() => openPinned('/sys/fs/bpf/x', { key: 1 as never, value: u32, engine: engine() }), /^openPinned: key must be a codec/],
    ];
    for (const [fn, message] of cases) {
      const err = thrown(fn);
      expect(err instanceof TypeError || err instanceof RangeError, String(fn)).toBe(true);
      expect(err.message, String(fn)).toMatch(message);
    }
  });

  test('8: the raw handle checks buffer sizes as the addon does, with the same messages', () => {
    const m = hash(engine());
    const h = m.handle;
    const k = new Uint8Array(4);
    const v = new Uint8Array(4);
    const cases: [() => unknown, typeof TypeError | typeof RangeError, string][] = [
      [() => h.lookup(new Uint8Array(3), v, 0), RangeError, 'key must be 4 bytes, got 3'],
      [() => h.update(k, new Uint8Array(400), 0), RangeError, 'value must be 4 bytes, got 400'],
      [() => h.update(k, [1, 2, 3, 4] as never, 0), TypeError, 'value must be a Uint8Array'],
      [() => h.update(k, new Uint16Array(2) as never, 0), TypeError, 'value must be a Uint8Array'],
      [() => h.lookup(k, v, -1), RangeError, 'flags must be in [0, 4294967295], got -1.000000'],
      [() => h.lookup(k, v, 1.5), TypeError, 'flags must be an integer, got 1.500000'],
      [() => h.lookup(k, v, 'x' as never), TypeError, 'flags must be a number'],
      [() => h.delete(null as never), TypeError, 'key must be a Uint8Array'],
      [() => h.getNextKey(null, new Uint8Array(8)), RangeError, 'next must be 4 bytes, got 8'],
      [() => h.batch(0, null, new Uint8Array(4), new Uint8Array(4), new Uint8Array(4), new Uint32Array([100]), 0), RangeError, 'keys must be at least 400 bytes, got 4'],
      [() => h.batch(0, new Uint8Array(2), new Uint8Array(4), k, v, new Uint32Array([1]), 0), RangeError, 'inBatch must be at least 4 bytes, got 2'],
      [() => h.batch(0, null, new Uint8Array(4), k, v, [1] as never, 0), TypeError, 'count must be a Uint32Array'],
      [() => h.batch(9 as never, null, new Uint8Array(4), k, v, new Uint32Array([1]), 0), RangeError, 'op must be 0 (lookup), 1 (lookupAndDelete), 2 (update) or 3 (delete), got 9'],
      [() => h.batch(2, null, null as never, new Uint8Array(8), new Uint8Array(4), new Uint32Array([2]), 0), RangeError, 'values must be at least 8 bytes, got 4'],
      [() => h.pin(''), TypeError, 'path must be a non-empty string'],
    ];
    for (const [fn, cls, message] of cases) {
      const err = thrown(fn);
      expect(err, String(fn)).toBeInstanceOf(cls);
      expect(err.message, String(fn)).toBe(message);
    }
    expect([...m.keys()]).toEqual([]);
    m.close();
    expect(() => h.lookup(k, v, 0)).toThrow(new TypeError('map is closed'));
  });

  // ---- 9. engines agree on bad names, NUMA_NO_NODE, lock arrays ---------------------------------------
  test('9: a name with a NUL is refused before the syscall; the seam truncates at it as the kernel does', () => {
    const e = engine();
    const err = thrown(() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, name: 'a\0b', engine: e }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(/^createMap: name must not contain NUL/);
    const attrs: MapAttrs = { type: 1, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, name: 'a\0b', numaNode: 0 };
    const h = e.createMap(attrs);
    if (typeof h === 'number') throw new Error(`createMap ${h}`);
    expect(h.info.name).toBe('a');
    h.close();
    expect(e.createMap({ ...attrs, name: 'abcdefghijklmnop' })).toBe(-22);
  });

  test('9: NUMA_NO_NODE with BPF_F_NUMA_NODE is accepted (as -1 too); a node that does not exist is EINVAL', () => {
    const e = engine();
    for (const numaNode of [-1, 0xffffffff]) {
      for (const type of ['hash', 'array'] as const) {
        track(createMap({ type, key: u32, value: u32, maxEntries: 1, flags: MapFlags.NumaNode, numaNode, engine: e })).set(0, 1);
      }
    }
    for (const numaNode of [4096, 0xfffffffe]) {
      expect(thrown(() => createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, flags: MapFlags.NumaNode, numaNode, engine: e })))
        .toMatchObject({ code: 'EINVAL', syscall: 'BPF_MAP_CREATE' });
    }
  });

  test('9: an array whose value holds a lock, with a key that is not 4 bytes, is EINVAL on both', () => {
    const value = struct({ lock: spinLock, n: u32 });
    expect(thrown(() => createMap({ type: 'array', key: u64, value, maxEntries: 2, engine: engine() })))
      .toMatchObject({ code: 'EINVAL', syscall: 'BPF_MAP_CREATE' });
  });
});

describeEngines('reliability: pins (bpffs)', (engine, name) => {
  let fs: Bpffs;
  beforeAll(() => {
    fs = name === 'kernel' ? mountBpffs() : { dir: '/sys/fs/bpf', cleanup() {} };
  });
  afterAll(() => fs.cleanup());

  test('9 + 7: pin paths refused as the kernel refuses them; openPinned takes access flags', () => {
    const e = engine();
    const m = createMap({ type: 'hash', key: u32, value: u32, maxEntries: 2, engine: e });
    const code = (path: string) => {
      try {
        m.pin(path);
        return 'ok';
      } catch (err) {
        return (err as BpfError).code;
      }
    };
    expect(code(`${tmpdir()}/bpfkit-not-bpffs-${process.pid}`)).toBe('EPERM'); // not a bpf filesystem
    expect(code('/etc/passwd')).toBe('EEXIST');
    expect(code(`${fs.dir}/no-such-dir/x`)).toBe('ENOENT');
    expect(code(`${fs.dir}/${'n'.repeat(256)}`)).toBe('ENAMETOOLONG');
    expect(code(`${fs.dir}/${'d/'.repeat(2100)}x`)).toBe('ENAMETOOLONG');
    expect(code(fs.dir)).toBe('EEXIST');
    expect(code(`${fs.dir}/rel_pin`)).toBe('ok');
    expect(code(`${fs.dir}/rel_pin`)).toBe('EEXIST');
    expect(code(`${fs.dir}/rel_pin/x`)).toBe('ENOTDIR');
    expect(code(`${fs.dir}/${'p'.repeat(255)}`)).toBe('ok');
    m.set(1, 1);
    const ro = openPinned(`${fs.dir}/rel_pin`, { key: u32, value: u32, engine: e, flags: MapFlags.Rdonly }) as BpfMap<number, number>;
    expect(ro.get(1)).toBe(1);
    expect(thrown(() => ro.set(2, 2))).toMatchObject({ code: 'EPERM' });
    ro.close();
    const openCode = (path: string) => thrown(() => openPinned(path, { key: u32, value: u32, engine: e })) as BpfError;
    expect(openCode(`${fs.dir}/missing`)).toMatchObject({ code: 'ENOENT', syscall: 'BPF_OBJ_GET' });
    expect(openCode('/etc/passwd')).toMatchObject({ code: 'EACCES' });
    expect(openCode(fs.dir)).toMatchObject({ code: 'EACCES' });
    m.close();
  });

  test('the emulator\'s virtual bpffs: mount points and directories', () => {
    const e = new Emulator();
    const m = createMap({ type: 'hash', key: u32, value: u32, maxEntries: 2, engine: e });
    expect(thrown(() => m.pin('/run/bpf/x'))).toMatchObject({ code: 'ENOENT' });
    expect(e.mountBpffs('/run/bpf')).toBe(0);
    expect(e.mkdir('/run/bpf/sub')).toBe(0);
    expect(e.mkdir('/run/bpf/sub')).toBe(-17);
    expect(e.mkdir('/etc/bpfkit-nope')).toBe(-1);
    m.pin('/run/bpf/sub/x');
    expect(openPinned('/run/bpf/sub/x', { key: u32, value: u32, engine: e }).info.id).toBe(m.info.id);
    expect(e.unpin('/run/bpf/sub/x')).toBe(0);
    expect(e.unpin('/run/bpf/sub/x')).toBe(-2);
    m.close();
  });
});
