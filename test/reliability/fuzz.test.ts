// Seeded API fuzzer (issue 7): random calls with hostile arguments on both engines — wrong types,
// out-of-range numbers, null, getters that change between reads, huge counts, closed maps, foreign and
// forged cursors, malformed raw-handle buffers — against a shadow model (a JS Map) of a hash map.
// Asserted: nothing crashes; every error is a BpfError, TypeError or RangeError that names its operation
// (never a V8-internal message); the map never diverges from the shadow.
// BPFKIT_FUZZ_CALLS sets the calls per engine (default 50,000; `make fuzz` runs 10^6), BPFKIT_FUZZ_SEED
// the seed (default: the time; printed, so a failure can be replayed).
import { expect, test } from 'vitest';
import { BpfError, createMap, struct, u32, u64, type BatchCursor, type BpfMap } from '../../src/index.js';
import type { Engine } from '../../src/seam/engine.js';
import { scratchOver } from '../../src/seam/map-scratch.js';
import { prng } from '../diff/trace.js';
import { describeEngines } from '../helpers/engines.js';

const CALLS = Number(process.env.BPFKIT_FUZZ_CALLS ?? 50_000);
const SEED = Number(process.env.BPFKIT_FUZZ_SEED ?? Date.now() % 2 ** 32) >>> 0;
const MAX = 32;
const NAME = 'fuzz';
const V8_INTERNAL = /Cannot read propert|Invalid typed array length|detached ArrayBuffer|Invalid DataView length|is not a function|is not iterable|Cannot convert|Maximum call stack|Invalid array length|out of memory|Offset is outside/i;

type Value = { a: number; b: bigint };
const valueCodec = struct({ a: u32, b: u64 });

interface Stats {
  calls: number;
  ok: number;
  bpfErrors: number;
  typeErrors: number;
  rangeErrors: number;
}

function fuzz(engine: Engine, seed: number, calls: number): Stats {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const stats: Stats = { calls: 0, ok: 0, bpfErrors: 0, typeErrors: 0, rangeErrors: 0 };
  let map: BpfMap<number, Value> = createMap({ type: 'hash', key: u32, value: valueCodec, maxEntries: MAX, name: NAME, flags: 0, engine });
  let other: BpfMap<number, Value> = createMap({ type: 'hash', key: u32, value: valueCodec, maxEntries: MAX, name: 'fuzz_other', engine });
  const shadow = new Map<number, Value>();
  let frozen = false;
  const cursors: BatchCursor[] = [];
  const foreignCursor = other.lookupBatch({ count: 1 }).cursor;

  const validKey = () => int(MAX * 2);
  const validValue = (): Value => ({ a: int(2 ** 32), b: BigInt(int(2 ** 30)) * 7n });
  const hostile = (): unknown =>
    pick<() => unknown>([
      () => null, () => undefined, () => -1, () => 2 ** 32, () => 1.5, () => NaN, () => Infinity, () => '1', () => '12x',
      () => ({}), () => [], () => Symbol('s'), () => 10n, () => true, () => new Uint8Array(3), () => 2 ** 53,
      () => ({ valueOf: () => 3 }), () => Object.create(null), () => new Proxy({}, { get: () => { throw new RangeError('proxy trap'); } }),
    ])();
  // A key: mostly valid; a bad one must be refused (and then the op did nothing).
  const key = (): { arg: unknown; k?: number } => {
    if (rand() < 0.85) {
      const k = validKey();
      return { arg: k, k };
    }
    return { arg: hostile() };
  };
  // A value: valid, invalid, or with a getter that is valid on the first read only (the stored value
  // must be that first read).
  const value = (): { arg: unknown; v?: Value } => {
    const r = rand();
    if (r < 0.75) {
      const v = validValue();
      return { arg: v, v };
    }
    if (r < 0.85) {
      const v = validValue();
      let reads = 0;
      return { arg: { a: v.a, get b() { return reads++ === 0 ? v.b : -5n; } }, v };
    }
    if (r < 0.9) return { arg: { a: -1, b: 0n } };
    if (r < 0.95) return { arg: { a: 1, b: 1n, extra: 1 } };
    return { arg: hostile() };
  };
  const options = (): unknown => pick<() => unknown>([() => undefined, () => undefined, () => ({}), () => ({ lock: false }), () => ({ lock: true }), () => ({ lock: 'x' }), hostile])();
  const count = (): unknown => pick<() => unknown>([() => undefined, () => 1 + int(MAX), () => 1, () => 2 ** 31, () => 2 ** 32, () => 0, () => -3, () => 1.5, hostile])();
  const cursor = (): unknown =>
    pick<() => unknown>([
      () => undefined, () => undefined, () => (cursors.length ? pick(cursors) : undefined), () => foreignCursor,
      () => ({ token: new Uint8Array(4) }), () => ({ token: new Uint8Array([255, 255, 255, 255]) }), hostile,
    ])();
  const array = <T,>(gen: () => T, n: number): T[] => Array.from({ length: n }, gen);

  const reopen = () => {
    if (!map.closed) map.close();
    map = createMap({ type: 'hash', key: u32, value: valueCodec, maxEntries: MAX, name: NAME, engine });
    shadow.clear();
    frozen = false;
    cursors.length = 0;
  };
  const expectSame = (got: Value | undefined, k: number, what: string) => {
    const want = shadow.get(k);
    if (JSON.stringify(got, big) !== JSON.stringify(want, big)) {
      throw new Error(`seed ${seed} call ${stats.calls}: shadow divergence on ${what}(${k}): map ${JSON.stringify(got, big)}, shadow ${JSON.stringify(want, big)}`);
    }
  };
  const checkAll = () => {
    if (map.closed) return;
    const got = [...map.entries()].sort(([a], [b]) => a - b);
    const want = [...shadow.entries()].sort(([a], [b]) => a - b);
    if (JSON.stringify(got, big) !== JSON.stringify(want, big)) {
      throw new Error(`seed ${seed} call ${stats.calls}: shadow divergence: map ${JSON.stringify(got, big)}, shadow ${JSON.stringify(want, big)}`);
    }
  };

  const ops: [string, number, () => void][] = [
    ['get', 12, () => {
      const { arg, k } = key();
      const got = map.get(arg as number, options() as never);
      if (k !== undefined) expectSame(got, k, 'get');
    }],
    ...(['set', 'insert', 'replace'] as const).map((op): [string, number, () => void] => [op, 14, () => {
      const { arg: ka, k } = key();
      const { arg: va, v } = value();
      const o = options();
      map[op](ka as number, va as Value, o as never);
      // Success: the key and the first read of the value were valid, and the flag's rule held.
      if (k === undefined || v === undefined) throw new Error(`seed ${seed}: ${op} accepted a bad argument`);
      shadow.set(k, v);
    }]),
    ['delete', 8, () => {
      const { arg, k } = key();
      const had = map.delete(arg as number);
      if (k !== undefined && had !== shadow.has(k)) throw new Error(`seed ${seed}: delete(${k}) said ${had}`);
      if (k !== undefined) shadow.delete(k);
    }],
    ['lookupAndDelete', 4, () => {
      const { arg, k } = key();
      const got = map.lookupAndDelete(arg as number, options() as never);
      if (k !== undefined) {
        expectSame(got, k, 'lookupAndDelete');
        shadow.delete(k);
      }
    }],
    ['nextKey', 4, () => {
      const { arg, k } = key();
      const next = map.nextKey(rand() < 0.3 ? undefined : (arg as number));
      if (next !== undefined && !shadow.has(next)) throw new Error(`seed ${seed}: nextKey gave ${next}, not in the map (from ${k})`);
    }],
    ['lookupBatch', 6, () => {
      const c = cursor();
      const r = map.lookupBatch({ count: count(), cursor: c, ...(rand() < 0.2 ? { lock: rand() < 0.5 } : {}) } as never);
      cursors.push(r.cursor);
      if (cursors.length > 8) cursors.shift();
      r.keys.forEach((k, i) => expectSame(r.values[i], k, 'lookupBatch'));
    }],
    ['lookupAndDeleteBatch', 2, () => {
      const r = map.lookupAndDeleteBatch(rand() < 0.2 ? (hostile() as never) : ({ count: count(), cursor: cursor() } as never));
      r.keys.forEach((k, i) => {
        expectSame(r.values[i], k, 'lookupAndDeleteBatch');
        shadow.delete(k);
      });
    }],
    ['updateBatch', 5, () => {
      const n = int(6);
      const ks = array(key, n);
      const vs = array(value, rand() < 0.9 ? n : n + 1);
      const args = rand() < 0.1 ? [hostile(), hostile()] : [ks.map((x) => x.arg), vs.map((x) => x.arg)];
      const apply = (upTo: number) => {
        for (let i = 0; i < upTo; i++) shadow.set(ks[i]!.k!, vs[i]!.v!);
      };
      try {
        const done = map.updateBatch(args[0] as never, args[1] as never, options() as never);
        apply(done);
      } catch (e) {
        if (e instanceof BpfError) apply(e.processed ?? 0);
        throw e;
      }
    }],
    ['deleteBatch', 3, () => {
      const ks = array(key, int(5));
      const arg = rand() < 0.1 ? hostile() : ks.map((x) => x.arg);
      const apply = (upTo: number) => {
        for (let i = 0; i < upTo; i++) shadow.delete(ks[i]!.k!);
      };
      try {
        apply(map.deleteBatch(arg as never));
      } catch (e) {
        if (e instanceof BpfError) apply(e.processed ?? 0);
        throw e;
      }
    }],
    ['entries', 1, () => {
      const o = rand() < 0.5 ? undefined : options();
      let n = 0;
      for (const [k, v] of map.entries(o as never)) {
        expectSame(v, k, 'entries');
        n++;
      }
      if (n !== shadow.size) throw new Error(`seed ${seed}: entries gave ${n}, shadow has ${shadow.size}`);
    }],
    ['raw', 3, () => {
      const h = map.handle;
      const buf = () => pick<() => unknown>([() => new Uint8Array(4), () => new Uint8Array(12), () => new Uint8Array(int(20)), () => new Uint16Array(2), hostile])();
      const flags = () => pick<() => unknown>([() => 0, () => 0, () => -1, () => 1.5, () => 2 ** 33, () => 8, hostile])();
      const before = JSON.stringify([...shadow.entries()].sort(([a], [b]) => a - b), big);
      // Only reads and refused writes: a raw write that succeeded would bypass the shadow.
      pick<() => unknown>([
        () => h.lookup(buf() as never, buf() as never, flags() as never),
        () => h.getNextKey(buf() as never, buf() as never),
        () => h.batch(pick([0, 1, 9, -1, hostile()]) as never, buf() as never, buf() as never, buf() as never, buf() as never, pick([new Uint32Array([int(100)]), new Uint32Array(0), hostile()]) as never, flags() as never),
        () => h.update(new Uint8Array(int(3)), buf() as never, flags() as never),
        () => h.delete(new Uint8Array(5 + int(3))),
      ])();
      if (JSON.stringify([...shadow.entries()].sort(([a], [b]) => a - b), big) !== before) throw new Error('shadow changed');
    }],
    ['pin', 1, () => {
      map.pin(pick(['', 'a\0b', 5, null, '/nonexistent-bpfkit-dir/x']) as never);
    }],
    ['freeze', 0.2, () => {
      map.freeze();
      frozen = true;
    }],
    ['close', 0.3, () => {
      map.close();
    }],
    ['reopen', 3, () => {
      if (map.closed || frozen || rand() < 0.1) reopen();
    }],
  ];
  const total = ops.reduce((s, [, w]) => s + w, 0);

  const nameOf = (op: string): RegExp => {
    if (op === 'raw') return /^(key|value|next|inBatch|outBatch|keys|values|count|op|flags|elemFlags|path) must |^map is closed$/;
    if (op === 'set' || op === 'insert' || op === 'replace') return new RegExp(`^${op} on map '${NAME}': `);
    return new RegExp(`^${op} on map '${NAME}': `);
  };

  for (; stats.calls < calls; stats.calls++) {
    let r = rand() * total;
    let i = 0;
    while (r >= ops[i]![1]) r -= ops[i++]![1];
    const [op, , run] = ops[i]!;
    const snapshot = new Map(shadow);
    try {
      run();
      stats.ok++;
    } catch (e) {
      if (e instanceof BpfError) {
        stats.bpfErrors++;
        if (!/^BPF_[A-Z_]+/.test(e.syscall)) throw new Error(`seed ${seed} call ${stats.calls}: ${op}: BpfError without a syscall: ${e.message}`);
        // Closed map, frozen map, full map, missing key: the kernel's refusals; the shadow saw what was applied.
      } else if (e instanceof TypeError || e instanceof RangeError) {
        if (e instanceof TypeError) stats.typeErrors++;
        else stats.rangeErrors++;
        if (V8_INTERNAL.test(e.message) && !/proxy trap/.test(e.message)) {
          throw new Error(`seed ${seed} call ${stats.calls}: ${op}: V8-internal message: ${e.constructor.name}: ${e.message}`);
        }
        // The hostile Proxy's own error is the caller's, passed through as thrown.
        if (!nameOf(op).test(e.message) && e.message !== 'proxy trap') {
          throw new Error(`seed ${seed} call ${stats.calls}: ${op}: the message does not name the operation and the map: ${e.constructor.name}: ${e.message}`);
        }
        // Argument errors are thrown before anything reaches the map.
        shadow.clear();
        for (const [k, v] of snapshot) shadow.set(k, v);
      } else {
        throw new Error(`seed ${seed} call ${stats.calls}: ${op}: unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    if (stats.calls % 250 === 0) checkAll();
  }
  checkAll();
  map.close();
  other.close();
  return stats;
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

describeEngines('reliability: API fuzzer', (engine, name) => {
  test(`${CALLS} hostile calls: no crash, clear errors, no shadow divergence`, () => {
    const started = performance.now();
    const stats = fuzz(engine(), SEED, CALLS);
    const ms = Math.round(performance.now() - started);
    console.log(`fuzz [${name}] seed ${SEED}: ${stats.calls} calls in ${ms} ms: ${stats.ok} ok, ${stats.bpfErrors} BpfError, ${stats.typeErrors} TypeError, ${stats.rangeErrors} RangeError`);
    expect(stats.calls).toBe(CALLS);
    // The mix really exercised both paths.
    expect(stats.ok).toBeGreaterThan(CALLS / 10);
    expect(stats.typeErrors + stats.rangeErrors).toBeGreaterThan(CALLS / 20);
    expect(stats.bpfErrors).toBeGreaterThan(0);
  }, 120_000);
});

test('the fuzzer catches a divergence (it can fail)', () => {
  // A map whose engine drops every update behind BpfMap's back: the shadow must notice.
  const real = createMap({ type: 'hash', key: u32, value: valueCodec, maxEntries: MAX, name: NAME, engine: 'emulator' });
  const handle = real.handle;
  const lying: Engine = {
    kind: 'emulator',
    possibleCpus: () => 1,
    createMap: () => {
      const lie = Object.create(null) as Record<string, unknown>;
      for (const m of ['lookup', 'delete', 'getNextKey', 'lookupAndDelete', 'batch', 'freeze', 'pin', 'queryInfo', 'close'] as const) {
        lie[m] = (...a: unknown[]) => (handle[m] as (...x: unknown[]) => unknown).apply(handle, a);
      }
      lie.update = () => 0; // claims success, stores nothing
      lie.openScratch = () => scratchOver(lie as never); // the typed layer's calls go through the lie too
      Object.defineProperty(lie, 'info', { get: () => handle.info });
      Object.defineProperty(lie, 'layout', { get: () => handle.layout });
      Object.defineProperty(lie, 'closed', { get: () => handle.closed });
      return lie as never;
    },
    openPinned: () => -2,
    openMapById: () => -2,
  };
  expect(() => fuzz(lying, 1, 2000)).toThrow(/shadow divergence|said|not in the map|entries gave/);
  real.close();
});

