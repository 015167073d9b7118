// Differential testing, kernel vs emulator, at the byte-level engine seam: a seeded trace of map
// operations runs on both, and every return code, every returned byte and the map's full contents
// (in iteration order, which ZERO_SEED makes deterministic) must be identical.
import { BatchOp, MapFlags, MapType, type BatchOpId } from '../../src/uapi/bpf.js';
import type { Engine, MapAttrs, MapHandle } from '../../src/seam/engine.js';

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Op =
  | { op: 'update'; key: number; value: number; flags: number }
  | { op: 'lookup'; key: number; flags: number }
  | { op: 'delete'; key: number }
  | { op: 'lookupAndDelete'; key: number }
  | { op: 'nextKey'; key: number | null }
  | { op: 'batch'; kind: BatchOpId; count: number; keys: number[]; flags: number; fromCursor: boolean }
  | { op: 'programLookup'; key: number }
  /** A new handle on the same map (BPF_MAP_GET_FD_BY_ID with open flags); later ops use it. */
  | { op: 'reopen'; flags: number }
  | { op: 'contents' };

export function opText(o: Op): string {
  switch (o.op) {
    case 'update': return `update(${o.key}, ${o.value}, flags ${o.flags})`;
    case 'lookup': return `lookup(${o.key}, flags ${o.flags})`;
    case 'delete': return `delete(${o.key})`;
    case 'lookupAndDelete': return `lookupAndDelete(${o.key})`;
    case 'nextKey': return `getNextKey(${o.key})`;
    case 'batch': return `batch(${['lookup', 'lookupAndDelete', 'update', 'delete'][o.kind]}, count ${o.count}, ${o.fromCursor ? 'from cursor' : 'from start'}, keys [${o.keys}], elem_flags ${o.flags})`;
    case 'programLookup': return `programLookup(${o.key})`;
    case 'reopen': return `reopen(flags ${o.flags})`;
    case 'contents': return 'contents()';
  }
}

/** Ops over a key space a little larger than the map, so hits, misses and full maps all happen. */
export function generate(rand: () => number, n: number, maxEntries: number, withProgram: boolean): Op[] {
  const keySpace = maxEntries * 2 + 2;
  const key = () => Math.floor(rand() * keySpace);
  const flags = () => [0, 0, 0, 1, 2, 3, 4, 8][Math.floor(rand() * 8)]!;
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.4) ops.push({ op: 'update', key: key(), value: Math.floor(rand() * 2 ** 32), flags: flags() });
    else if (r < 0.55) ops.push({ op: 'lookup', key: key(), flags: rand() < 0.9 ? 0 : flags() });
    else if (r < 0.68) ops.push({ op: 'delete', key: key() });
    else if (r < 0.72) ops.push({ op: 'lookupAndDelete', key: key() });
    else if (r < 0.8) ops.push({ op: 'nextKey', key: rand() < 0.2 ? null : key() });
    else if (r < 0.88) {
      const kind = Math.floor(rand() * 4) as BatchOpId;
      const count = Math.floor(rand() * (maxEntries + 2));
      ops.push({ op: 'batch', kind, count, keys: Array.from({ length: count }, key), flags: rand() < 0.9 ? 0 : flags(), fromCursor: rand() < 0.5 });
    } else if (r < 0.95 && withProgram) ops.push({ op: 'programLookup', key: key() });
    else if (r < 0.965) ops.push({ op: 'reopen', flags: [0, 0, MapFlags.Rdonly, MapFlags.Wronly][Math.floor(rand() * 4)]! });
    else ops.push({ op: 'contents' });
  }
  return ops;
}

/** Runs a program-side lookup of a u32 key on one engine's map (the kernel's goes through a BPF program). */
export type ProgramLookup = (handle: MapHandle, key: number) => number;

export interface Side {
  engine: Engine;
  programLookup: ProgramLookup | undefined;
}

/** Where two engines first differ on a trace: the op's index (-1: the create) and each engine's result. */
export interface TraceDivergence {
  at: number;
  left: string;
  right: string;
}

/**
 * BPF_MAP_CREATE of `attrs` on two engines: both handles, or, when either fails, the divergence of the two
 * answers (undefined when both failed alike); a handle that was created is closed then.
 */
export function createOnBoth(attrs: MapAttrs, a: Engine, b: Engine): [MapHandle, MapHandle] | { divergence: TraceDivergence | undefined } {
  const ha = a.createMap(attrs);
  const hb = b.createMap(attrs);
  if (typeof ha !== 'number' && typeof hb !== 'number') return [ha, hb];
  if (ha === hb) return { divergence: undefined };
  if (typeof ha !== 'number') ha.close();
  if (typeof hb !== 'number') hb.close();
  return { divergence: { at: -1, left: `create → ${typeof ha === 'number' ? ha : 'ok'}`, right: `create → ${typeof hb === 'number' ? hb : 'ok'}` } };
}

/** Runs `ops` on a fresh map of each side; returns the index of the first divergent op and both results. */
export function runTrace(attrs: MapAttrs, ops: Op[], a: Side, b: Side): TraceDivergence | undefined {
  const created = createOnBoth(attrs, a.engine, b.engine);
  if (!Array.isArray(created)) return created.divergence;
  const [ha, hb] = created;
  const handles = [ha, hb];
  const opened: MapHandle[] = [];
  try {
    const cursors: (Uint8Array | null)[] = [null, null];
    // Both sides have the same possible CPUs (the test makes sure), so one buffer size serves both.
    const vlen = isPerCpuType(attrs.type) ? ((attrs.valueSize + 7) & ~7) * a.engine.possibleCpus() : attrs.valueSize;
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      if (o.op === 'reopen') {
        // Per-fd access (kernel/bpf/syscall.c): the new handle's mode comes from the open flags only.
        const sides = [a, b].map((side, s) => {
          const h = side.engine.openMapById(handles[s]!.info.id, o.flags);
          if (typeof h === 'number') return String(h);
          opened.push(h);
          handles[s] = h;
          const info = h.queryInfo();
          return typeof info === 'number' ? `ok, info ${info}` : `ok, info.flags ${info.flags}`;
        });
        if (sides[0] !== sides[1]) return { at: i, left: sides[0]!, right: sides[1]! };
        continue;
      }
      const left = apply(handles[0]!, o, attrs, vlen, a.programLookup, cursors, 0);
      const right = apply(handles[1]!, o, attrs, vlen, b.programLookup, cursors, 1);
      if (left !== right) return { at: i, left, right };
    }
    return undefined;
  } finally {
    for (const h of opened) h.close();
    ha.close();
    hb.close();
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function keyBytes(k: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, k >>> 0, true);
  return out;
}

function valueBytes(v: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (v >>> ((i % 4) * 8)) & 0xff ^ (i >> 2);
  return out;
}

function isPerCpuType(type: number): boolean {
  return type === MapType.PercpuHash || type === MapType.PercpuArray || type === MapType.LruPercpuHash;
}

/** One op's observable outcome on one side, as text (so a divergence prints readably). */
function apply(h: MapHandle, o: Op, attrs: MapAttrs, ncpuBytes: number, programLookup: ProgramLookup | undefined, cursors: (Uint8Array | null)[], side: number): string {
  const ks = attrs.keySize;
  switch (o.op) {
    case 'update': return String(h.update(keyBytes(o.key, ks), valueBytes(o.value, ncpuBytes), o.flags));
    case 'lookup': {
      const v = new Uint8Array(ncpuBytes);
      const rc = h.lookup(keyBytes(o.key, ks), v, o.flags);
      return rc === 0 ? hex(v) : String(rc);
    }
    case 'delete': return String(h.delete(keyBytes(o.key, ks)));
    case 'lookupAndDelete': {
      const v = new Uint8Array(ncpuBytes);
      const rc = h.lookupAndDelete(keyBytes(o.key, ks), v, 0);
      return rc === 0 ? hex(v) : String(rc);
    }
    case 'nextKey': {
      const next = new Uint8Array(ks);
      const rc = h.getNextKey(o.key === null ? null : keyBytes(o.key, ks), next);
      return rc === 0 ? hex(next) : String(rc);
    }
    case 'batch': {
      const token = Math.max(4, ks);
      const inBatch = o.fromCursor ? cursors[side]! : null;
      const out = new Uint8Array(token);
      const count = new Uint32Array([o.count]);
      const keys = new Uint8Array(Math.max(o.count, 1) * ks);
      const values = new Uint8Array(Math.max(o.count, 1) * ncpuBytes);
      if (o.kind === BatchOp.Update || o.kind === BatchOp.Delete) {
        o.keys.forEach((k, i) => {
          keys.set(keyBytes(k, ks), i * ks);
          values.set(valueBytes(k * 7 + 1, ncpuBytes), i * ncpuBytes);
        });
      }
      const rc = h.batch(o.kind, inBatch, out, keys, values, count, o.flags);
      if (o.kind === BatchOp.Lookup || o.kind === BatchOp.LookupAndDelete) {
        cursors[side] = rc === 0 ? out : null;
        const n = count[0]!;
        return `${rc} n=${n} out=${hex(out)} ${hex(keys.subarray(0, n * ks))} ${hex(values.subarray(0, n * ncpuBytes))}`;
      }
      return `${rc} n=${count[0]}`;
    }
    case 'programLookup': return programLookup ? String(programLookup(h, o.key)) : 'n/a';
    case 'reopen': return 'n/a'; // runTrace handles it: it changes the handle
    case 'contents': return contents(h, ks, ncpuBytes);
  }
}

/** Every key and value in iteration order (get_next_key walk), as text. */
export function contents(h: MapHandle, ks: number, vs: number): string {
  const parts: string[] = [];
  let key: Uint8Array | null = null;
  for (let i = 0; i < 100_000; i++) {
    const next = new Uint8Array(ks);
    const rc = h.getNextKey(key, next);
    if (rc !== 0) {
      parts.push(String(rc));
      break;
    }
    const v = new Uint8Array(vs);
    const lrc = h.lookup(next, v, 0);
    parts.push(`${hex(next)}=${lrc === 0 ? hex(v) : lrc}`);
    key = next;
  }
  return parts.join(' ');
}

/**
 * Delta debugging, one op at a time: the failing prefix of `ops`, then each op dropped that keeps it
 * diverging (`diverges` gives the index of the op where a trace first diverges, or undefined).
 */
export function shrinkTrace<T>(ops: T[], diverges: (ops: T[]) => { at: number } | undefined): T[] {
  const failing = diverges(ops);
  if (!failing) return ops;
  let trace = ops.slice(0, failing.at + 1);
  for (let i = trace.length - 2; i >= 0; i--) {
    const shorter = [...trace.slice(0, i), ...trace.slice(i + 1)];
    if (diverges(shorter)) trace = shorter;
  }
  return trace;
}

/** The shortest trace (from the failing prefix) that still diverges. */
export function minimize(attrs: MapAttrs, ops: Op[], a: Side, b: Side): Op[] {
  return shrinkTrace(ops, (t) => runTrace(attrs, t, a, b));
}
