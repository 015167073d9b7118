// QueueMap (QUEUE, STACK) and BloomFilterMap (BLOOM_FILTER) on both engines: what they do, and every misuse's
// answer, the kernel's errno as a BpfError (kernel/bpf/queue_stack_maps.c, bloom_filter.c, syscall.c) or an
// argument error before any syscall. A failed operation leaves the map as it was.
import { afterEach, expect, test } from 'vitest';
import {
  BloomFilterMap, BpfError, MapFlags, MapType, QueueMap, UpdateFlags, bytes, createMap, openMap, openObject, spinLock, struct, u32, u64,
  type BpfMapBase,
} from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const NO_KEY = new Uint8Array(0);
const errno = (code: string) => expect.objectContaining({ name: 'BpfError', code });

describeEngines('queue, stack and bloom filter maps', (engine) => {
  const open: BpfMapBase[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  function track<M extends BpfMapBase>(m: M): M {
    open.push(m);
    return m;
  }
  const queue = (maxEntries = 3, flags = 0) => track(createMap({ type: 'queue', value: u32, maxEntries, flags, name: 'q', engine: engine() }));
  const stack = (maxEntries = 3) => track(createMap({ type: 'stack', value: u64, maxEntries, name: 's', engine: engine() }));
  const bloom = (nrHashes?: number, flags = MapFlags.ZeroSeed) =>
    track(createMap({ type: 'bloom_filter', value: u32, maxEntries: 16, flags, name: 'b', engine: engine(), ...(nrHashes === undefined ? {} : { nrHashes }) }));
  /** Everything left in a queue or stack, popped. */
  const drain = <V,>(q: QueueMap<V>): V[] => {
    const out: V[] = [];
    for (let v = q.pop(); v !== undefined; v = q.pop()) out.push(v);
    return out;
  };

  test('a queue is FIFO, a stack LIFO; peek does not remove; empty pops and peeks are undefined', () => {
    const q = queue();
    expect(q).toBeInstanceOf(QueueMap);
    expect(q.kind).toBe('queue');
    expect([q.peek(), q.pop()]).toEqual([undefined, undefined]);
    for (const v of [1, 2, 3]) q.push(v);
    expect(q.peek()).toBe(1);
    expect(q.peek()).toBe(1);
    expect(drain(q)).toEqual([1, 2, 3]);
    const s = stack();
    expect(s.kind).toBe('stack');
    for (const v of [1n, 2n, 3n]) s.push(v);
    expect(s.peek()).toBe(3n);
    expect(drain(s)).toEqual([3n, 2n, 1n]);
    expect(s.peek()).toBeUndefined();
  });

  test('a full queue: push throws E2BIG with the rule as its hint and keeps every value; BPF_EXIST drops the oldest', () => {
    const q = queue(2);
    q.push(1);
    q.push(2);
    let err: unknown;
    try {
      q.push(3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'E2BIG', errno: -7, syscall: 'BPF_MAP_UPDATE_ELEM' });
    expect((err as BpfError).message).toMatch(/map 'q'.*queue_stack_map_push_elem/);
    q.push(3, { flags: UpdateFlags.Exist });
    expect(drain(q)).toEqual([2, 3]);
    // BPF_EXIST on a queue with room is a plain push.
    q.push(4, { flags: UpdateFlags.Exist });
    expect(drain(q)).toEqual([4]);
  });

  test('push flags the kernel refuses (BPF_NOEXIST, 3, BPF_F_LOCK, unknown bits) are EINVAL and push nothing', () => {
    const q = queue();
    q.push(7);
    for (const flags of [UpdateFlags.NoExist, 3, UpdateFlags.Lock, 8, 0x80000000]) {
      expect(() => q.push(1, { flags }), `flags ${flags}`).toThrowError(errno('EINVAL'));
    }
    expect(drain(q)).toEqual([7]);
  });

  test('bad arguments are TypeError/RangeError naming the operation and the map, before any syscall', () => {
    const q = queue();
    q.push(5);
    expect(() => q.push(-1)).toThrowError(new RangeError("push on map 'q': value: u32 out of range: -1 (0 to 4294967295)"));
    expect(() => q.push('5' as unknown as number)).toThrowError(TypeError);
    expect(() => q.push(1, null as never)).toThrowError(new TypeError("push on map 'q': options must be an object, got null"));
    expect(() => q.push(1, { flags: -1 })).toThrowError(RangeError);
    expect(() => q.push(1, { flags: 1.5 })).toThrowError(/push on map 'q': options.flags must be an integer/);
    expect(() => q.push(1, { flags: 2n as unknown as number })).toThrowError(TypeError);
    const b = bloom();
    expect(() => b.add(2 ** 32)).toThrowError(/^add on map 'b': value: u32 out of range/);
    expect(() => b.has(undefined as unknown as number)).toThrowError(/^has on map 'b': value/);
    expect(drain(q)).toEqual([5]);
  });

  test('a frozen queue refuses push and pop (EPERM: both write), and still peeks', () => {
    const q = queue();
    q.push(1);
    q.freeze();
    expect(() => q.push(2)).toThrowError(errno('EPERM'));
    expect(() => q.pop()).toThrowError(expect.objectContaining({ code: 'EPERM', syscall: 'BPF_MAP_LOOKUP_AND_DELETE_ELEM' }));
    expect(q.peek()).toBe(1);
    expect(() => q.freeze()).toThrowError(BpfError); // EBUSY or EPERM by kernel version, as for every map
  });

  test('access per handle: Rdonly refuses push and pop, Wronly peek and pop', () => {
    const ro = queue(3, MapFlags.Rdonly);
    expect(() => ro.push(1)).toThrowError(errno('EPERM'));
    expect(() => ro.pop()).toThrowError(errno('EPERM'));
    expect(ro.peek()).toBeUndefined();
    const wo = queue(3, MapFlags.Wronly);
    wo.push(1);
    expect(() => wo.peek()).toThrowError(expect.objectContaining({ code: 'EPERM', syscall: 'BPF_MAP_LOOKUP_ELEM' }));
    expect(() => wo.pop()).toThrowError(errno('EPERM'));
  });

  test('no keys: lookups by key, deletes and iteration are not on the handles; at the seam they are the kernel\'s errnos', () => {
    const q = queue();
    const b = bloom();
    for (const m of [q, b] as object[]) {
      for (const method of ['get', 'set', 'delete', 'nextKey', 'keys', 'entries', 'lookupBatch']) expect(method in m, method).toBe(false);
      expect(Symbol.iterator in m).toBe(false);
    }
    const value = new Uint8Array(4);
    // queue_stack_map_delete_elem, queue_stack_map_get_next_key: EINVAL; no batch ops: ENOTSUPP (524).
    expect(q.handle.delete(NO_KEY)).toBe(-22);
    expect(q.handle.getNextKey(null, NO_KEY)).toBe(-22);
    expect(q.handle.lookupAndDelete(NO_KEY, value, UpdateFlags.Lock)).toBe(-22);
    expect(q.handle.batch(0, null, new Uint8Array(4), NO_KEY, new Uint8Array(4), Uint32Array.of(1), 0)).toBe(-524);
    // bloom_map_delete_elem, bloom_map_get_next_key: EOPNOTSUPP; no map_lookup_and_delete: ENOTSUPP.
    expect(b.handle.delete(NO_KEY)).toBe(-95);
    expect(b.handle.getNextKey(null, NO_KEY)).toBe(-95);
    expect(b.handle.lookupAndDelete(NO_KEY, value, 0)).toBe(-524);
    expect(b.handle.update(NO_KEY, value, UpdateFlags.Exist)).toBe(-22); // bloom_map_push_elem: BPF_ANY only
    expect(b.handle.batch(2, null, null as never, NO_KEY, value, Uint32Array.of(1), 0)).toBe(-524);
    // A key of any other length is the addon's RangeError.
    expect(() => q.handle.lookup(new Uint8Array(4), value, 0)).toThrowError(new RangeError('key must be 0 bytes, got 4'));
  });

  test('a bloom filter: added values are found, others not (ZERO_SEED, a filter of 16 × 2 hashes)', () => {
    const b = bloom(2);
    expect(b).toBeInstanceOf(BloomFilterMap);
    expect(b.has(1)).toBe(false);
    b.add(1);
    b.add(0xdeadbeef);
    expect([b.has(1), b.has(0xdeadbeef)]).toEqual([true, true]);
    // Which absent values collide is the hash's business (test/diff compares them with the kernel); most do not.
    const absent = Array.from({ length: 100 }, (_, i) => 1000 + i).filter((v) => b.has(v)).length;
    expect(absent).toBeLessThan(20);
  });

  test('a frozen bloom filter refuses add (EPERM) and still answers has; a write-only one refuses has', () => {
    const b = bloom();
    b.add(3);
    b.freeze();
    expect(() => b.add(4)).toThrowError(errno('EPERM'));
    expect(b.has(3)).toBe(true);
    const wo = track(createMap({ type: 'bloom_filter', value: u32, maxEntries: 4, flags: MapFlags.Wronly, engine: engine() }));
    wo.add(1);
    expect(() => wo.has(1)).toThrowError(expect.objectContaining({ code: 'EPERM', syscall: 'BPF_MAP_LOOKUP_ELEM' }));
  });

  test('createMap: the kernel\'s BPF_MAP_CREATE answers for the keyless types', () => {
    const attempt = (options: Record<string, unknown>): string => {
      try {
        (createMap({ value: u32, maxEntries: 4, engine: engine(), ...options } as never) as BpfMapBase).close();
        return 'ok';
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        return e.code;
      }
    };
    for (const type of ['queue', 'stack', 'bloom_filter']) {
      expect(attempt({ type, maxEntries: 0 }), type).toBe('EINVAL');
      expect(attempt({ type, value: bytes(4 * 1024 * 1024 + 1), maxEntries: 1 }), type).toBe('E2BIG'); // > KMALLOC_MAX_SIZE
      expect(attempt({ type, flags: MapFlags.NoPrealloc }), type).toBe('EINVAL');
      expect(attempt({ type, flags: MapFlags.Mmapable }), type).toBe('EINVAL');
      expect(attempt({ type, flags: MapFlags.RdonlyProg | MapFlags.WronlyProg }), type).toBe('EINVAL');
      expect(attempt({ type, flags: MapFlags.RdonlyProg }), type).toBe('ok');
      expect(attempt({ type, name: 'bad-name' }), type).toBe('EINVAL');
    }
    // BPF_F_ZERO_SEED: the bloom filter's hashes; a queue has none.
    expect(attempt({ type: 'bloom_filter', flags: MapFlags.ZeroSeed })).toBe('ok');
    expect(attempt({ type: 'queue', flags: MapFlags.ZeroSeed })).toBe('EINVAL');
    // A lock only in hash and array values: refused before the syscall, with the rule.
    expect(attempt({ type: 'queue', value: struct({ lock: spinLock, n: u32 }) })).toBe('EOPNOTSUPP');
    for (const nrHashes of [1, 15]) expect(attempt({ type: 'bloom_filter', nrHashes })).toBe('ok');
  });

  test('createMap refuses what a keyless map cannot take, before any syscall', () => {
    const e = engine();
    expect(() => createMap({ type: 'queue', key: u32, value: u32, maxEntries: 1, engine: e } as never)).toThrowError(new TypeError('createMap: a queue map has no keys: leave out key'));
    expect(() => createMap({ type: 'bloom_filter', value: u32, maxEntries: 1, nrHashes: 16, engine: e })).toThrowError(RangeError);
    expect(() => createMap({ type: 'bloom_filter', value: u32, maxEntries: 1, nrHashes: 0, engine: e })).toThrowError(/nrHashes must be 1 to 15/);
    expect(() => createMap({ type: 'queue', value: u32, maxEntries: 1, nrHashes: 3, engine: e } as never)).toThrowError(/nrHashes is for bloom_filter maps, not queue/);
    expect(() => createMap({ type: 'stack', maxEntries: 1, engine: e } as never)).toThrowError(/createMap: value/);
  });

  test('opened again by id: the type names the handle, and is checked against the map', () => {
    const e = engine();
    const q = track(createMap({ type: 'queue', value: u32, maxEntries: 3, name: 'q', engine: e }));
    q.push(9);
    const again = track(openMap({ id: q.info.id }, { type: 'queue', value: u32, engine: e }));
    expect(again.pop()).toBe(9);
    expect(() => openMap({ id: q.info.id }, { type: 'stack', value: u32, engine: e })).toThrowError(/type: 'stack', but map 'q'.* is a queue map/);
    expect(() => openMap({ id: q.info.id }, { type: 'queue', value: u64, engine: e })).toThrowError(/value codec is 8 bytes but map 'q'.* has value_size 4/);
    expect(() => openMap({ id: q.info.id }, { key: u32, value: u32, engine: e })).toThrowError(/map 'q'.* is a queue map, which has no keys: open it with \{ type: 'queue', value \}/);
    const h = track(createMap({ type: 'hash', key: u32, value: u32, maxEntries: 1, engine: e }));
    expect(() => openMap({ id: h.info.id }, { type: 'bloom_filter', value: u32, engine: e })).toThrowError(/is a hash map, which has keys/);
  });

  test('a closed handle: EBADF before any syscall', () => {
    const q = queue();
    const b = bloom();
    q.close();
    b.close();
    expect(() => q.push(1)).toThrowError(errno('EBADF'));
    expect(() => q.pop()).toThrowError(errno('EBADF'));
    expect(() => b.has(1)).toThrowError(errno('EBADF'));
  });
});

describeEngines('queues, stacks and bloom filters of a BPF object', (engine) => {
  test('obj.map takes { type } and the value codec given or from BTF, checked against the map and its BTF', () => {
    using obj = openObject(fixture('queue_pipe'), { engine: engine() });
    expect(obj.maps.fifo).toMatchObject({ type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 4, typeName: 'queue' });
    expect(obj.maps.seen).toMatchObject({ type: MapType.BloomFilter, typeName: 'bloom_filter' });
    obj.globals.count = 2;
    obj.globals.base = 5;
    obj.program('produce').run({ data: packet() });
    using fifo = obj.map('fifo', { type: 'queue' });
    using lifo = obj.map('lifo', { type: 'stack', value: u32 });
    using seen = obj.map('seen', { type: 'bloom_filter' });
    expect([fifo.pop(), lifo.pop(), seen.has(5), seen.has(6)]).toEqual([5, 6, true, true]);
    expect(fifo).toBeInstanceOf(QueueMap);
    expect(seen).toBeInstanceOf(BloomFilterMap);
    expect(() => obj.map('fifo')).toThrowError(new TypeError("map 'fifo' of object '" + fixture('queue_pipe') + "' is a queue map, which has no keys: pass { type: 'queue' } (with its value codec, or without to take it from BTF)"));
    expect(() => obj.map('fifo', { type: 'stack' })).toThrowError(/type: 'stack', but map 'fifo'.* is a queue map/);
    expect(() => obj.map('fifo', { type: 'queue', value: u64 })).toThrowError(/the codecs do not match the map's BTF/);
    expect(() => obj.map('table', { type: 'queue' } as never)).toThrowError(TypeError);
    expect(() => obj.map('fifo', { type: 'hash' } as never)).toThrowError(/type must be one of queue, stack, bloom_filter/);
    expect(() => obj.map('fifo', { key: u32, value: u32 })).toThrowError(/is a queue map, which has no keys/);
  });

  test('an object can use a queue created apart (openObject maps: bpf_map__reuse_fd)', () => {
    const e = engine();
    using mine = createMap({ type: 'queue', value: u32, maxEntries: 4, name: 'fifo', engine: e });
    mine.push(99);
    using obj = openObject(fixture('queue_pipe'), { engine: e, maps: { fifo: mine } });
    obj.globals.count = 1;
    obj.globals.base = 3;
    expect(obj.program('consume').run({ data: packet() }).retval).toBe(-1); // popped 99, then nothing to peek
    expect((obj.globals.got as number[][])[0]![0]).toBe(99);
    expect(mine.pop()).toBeUndefined();
  });
});
