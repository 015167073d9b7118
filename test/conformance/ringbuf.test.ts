// RingBuffer (BPF_MAP_TYPE_RINGBUF's consumer) on both engines: createMap's checks (the kernel's errnos),
// obj.ringbuf(), consume/poll/for await over records a program emits, decoding by codec with the other lengths
// as bytes, and every misuse's answer: a BpfError (EBADF once closed, the kernel's errno at creation) or an
// argument error before anything happens.
import { afterEach, expect, test } from 'vitest';
import { MapFlags, RingBuffer, createMap, openObject, u32, u64, type BpfMapBase, type BpfObject } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const errno = (code: string) => expect.objectContaining({ name: 'BpfError', code });

describeEngines('ring buffers', (engine) => {
  const open: (BpfMapBase | BpfObject)[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  function track<M extends BpfMapBase | BpfObject>(m: M): M {
    open.push(m);
    return m;
  }
  /** ringbuf_emit.bpf.c with its ring replaced by `ring` (reuseMap), or its own 4096-byte one. */
  const emitter = (ring?: RingBuffer<unknown>) => track(openObject(fixture('ringbuf_emit'), { engine: ring?.engine ?? engine(), ...(ring ? { maps: { events: ring } } : {}) }));
  const emit = (obj: BpfObject, n = 1) => {
    for (let i = 0; i < n; i++) obj.program('emit').run({ data: packet() });
  };

  test('createMap: a power-of-2, page-aligned size; the kernel\'s EINVAL otherwise', () => {
    const ring = track(createMap({ type: 'ringbuf', maxEntries: 8192, engine: engine() }));
    expect(ring).toBeInstanceOf(RingBuffer);
    expect(ring.info).toMatchObject({ keySize: 0, valueSize: 0, maxEntries: 8192 });
    for (const maxEntries of [0, 2048, 3 * 4096]) expect(() => createMap({ type: 'ringbuf', maxEntries, engine: engine() }), String(maxEntries)).toThrow(errno('EINVAL'));
    expect(() => createMap({ type: 'ringbuf', maxEntries: 4096, flags: MapFlags.NoPrealloc, engine: engine() })).toThrow(errno('EINVAL'));
    expect(() => createMap({ type: 'ringbuf', maxEntries: 4096, key: u32, engine: engine() } as never)).toThrow(/has no keys/);
    expect(() => createMap({ type: 'ringbuf', maxEntries: 4096, value: {} as never, engine: engine() })).toThrow(TypeError);
  });

  test('consume: what a program emitted, in order, decoded; then nothing', () => {
    using obj = emitter();
    using ring = obj.ringbuf('events', { value: u64 });
    expect(ring.consume()).toEqual([]);
    emit(obj, 3);
    expect(ring.consume()).toEqual([0n, 1n, 2n]);
    expect(ring.consume()).toEqual([]);
    // obj.map with type 'ringbuf' is the same consumer.
    emit(obj);
    using again = obj.map('events', { type: 'ringbuf', value: u64 });
    expect(again.consume()).toEqual([3n]);
  });

  test('records of another length than the codec\'s come as bytes; without a codec all do', () => {
    using obj = emitter();
    using ring = obj.ringbuf('events', { value: u64 });
    const g = obj.globals as Record<string, unknown>;
    emit(obj);
    g.size = 5;
    obj.program('emit_bytes').run({ data: packet([9, 8, 7, 6, 5, 4]) });
    g.size = 0;
    obj.program('emit_bytes').run({ data: packet() });
    expect(ring.consume()).toEqual([0n, new Uint8Array([9, 8, 7, 6, 5]), new Uint8Array(0)]);
    emit(obj);
    using raw = obj.ringbuf('events');
    expect(raw.consume()).toEqual([new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])]);
  });

  test('discarded records are skipped', () => {
    using obj = emitter();
    using ring = obj.ringbuf('events', { value: u64 });
    const g = obj.globals as Record<string, unknown>;
    g.discard = 1;
    obj.program('reserve_commit').run({ data: packet() });
    g.discard = 0;
    obj.program('reserve_commit').run({ data: packet() });
    expect(ring.consume()).toEqual([1n]);
  });

  test('poll: records there now come at once; none within the timeout is an empty array', async () => {
    using obj = emitter();
    using ring = obj.ringbuf('events', { value: u64 });
    expect(await ring.poll({ timeoutMs: 0 })).toEqual([]);
    emit(obj, 2);
    expect(await ring.poll({ timeoutMs: 60_000 })).toEqual([0n, 1n]);
    expect(await ring.poll({ timeoutMs: 1 })).toEqual([]);
  });

  test('poll waits for a producer on another emulated or real CPU (runAsync), and for await reads on', async () => {
    using obj = emitter();
    using ring = obj.ringbuf('events', { value: u64 });
    const waiting = ring.poll();
    await obj.program('emit').runAsync({ data: packet() });
    const got = [...(await waiting)];
    // The rest through for await: 4 more records, then the loop is left.
    await Promise.all(Array.from({ length: 4 }, () => obj.program('emit').runAsync({ data: packet() })));
    for await (const record of ring) {
      got.push(record);
      if (got.length === 5) break;
    }
    expect(got.map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });

  test('close while a poll waits: the poll settles with no records; the iterator ends', async () => {
    const obj = emitter();
    const ring = obj.ringbuf('events', { value: u64 });
    const waiting = ring.poll();
    ring.close();
    expect(await waiting).toEqual([]);
    const ring2 = obj.ringbuf('events');
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const r of ring2) seen.push(r);
    })();
    setTimeout(() => ring2.close(), 10);
    await loop;
    expect(seen).toEqual([]);
  });

  test('misuse: a second poll or a consume while one waits, bad timeouts, calls after close', async () => {
    using obj = emitter();
    const ring = obj.ringbuf('events', { value: u64 });
    const waiting = ring.poll();
    await expect(ring.poll()).rejects.toThrow(/a poll\(\) is waiting/);
    expect(() => ring.consume()).toThrow(/a poll\(\) is waiting/);
    for (const timeoutMs of [-1, Number.NaN, '5' as never]) await expect(ring.poll({ timeoutMs })).rejects.toThrow(RangeError);
    await expect(ring.poll(3 as never)).rejects.toThrow(TypeError);
    ring.close();
    await waiting;
    ring.close(); // idempotent
    expect(() => ring.consume()).toThrow(errno('EBADF'));
    await expect(ring.poll()).rejects.toThrow(errno('EBADF'));
    // The object's other maps are no ring buffers.
    expect(() => obj.ringbuf('nope')).toThrow(/no map/i);
    expect(() => obj.ringbuf('events', { key: u32 } as never)).toThrow(/has no keys/);
    expect(() => obj.ringbuf('events', null as never)).toThrow(TypeError);
    expect(() => obj.map('events')).toThrow(/is a ringbuf map.*ringbuf\('events'/);
  });

  test('a ring created with createMap and given to an object: the object\'s records in it', () => {
    const ring = track(createMap({ type: 'ringbuf', maxEntries: 16384, value: u64, engine: engine() }));
    const obj = emitter(ring);
    emit(obj, 2);
    expect(ring.consume()).toEqual([0n, 1n]);
  });
});
