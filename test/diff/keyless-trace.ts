// Differential traces of maps without keys (QUEUE, STACK, BLOOM_FILTER) at the byte-level seam: a seeded
// sequence of push/pop/peek (a bloom filter's add/has) with flags, plus the calls such a map refuses, run on a
// fresh map of each engine; every return code and every byte returned must be the same, op for op.
import { BatchOp, MapFlags, type BatchOpId } from '../../src/uapi/bpf.js';
import type { Engine, MapAttrs, MapHandle } from '../../src/seam/engine.js';
import { createOnBoth, shrinkTrace, type TraceDivergence } from './trace.js';

export type KeylessOp =
  /** BPF_MAP_UPDATE_ELEM: push (queue, stack), add (bloom filter). */
  | { op: 'push'; value: number; flags: number | bigint }
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: pop. */
  | { op: 'pop'; flags: number }
  /** BPF_MAP_LOOKUP_ELEM: peek (queue, stack), has (bloom filter: the value is the question). */
  | { op: 'peek'; value: number; flags: number }
  | { op: 'delete' }
  | { op: 'nextKey' }
  | { op: 'batch'; kind: BatchOpId }
  | { op: 'freeze' }
  /** A new handle on the same map with these open flags; later ops use it. */
  | { op: 'reopen'; flags: number };

export function keylessOpText(o: KeylessOp): string {
  switch (o.op) {
    case 'push': return `push(${o.value}, flags ${o.flags})`;
    case 'pop': return `pop(flags ${o.flags})`;
    case 'peek': return `peek(${o.value}, flags ${o.flags})`;
    case 'batch': return `batch(${['lookup', 'lookupAndDelete', 'update', 'delete'][o.kind]})`;
    case 'reopen': return `reopen(flags ${o.flags})`;
    default: return `${o.op}()`;
  }
}

/**
 * Mostly pushes and pops, over a value space small enough for a bloom filter to be asked about what it holds
 * (and what collides with it), with the flags the kernel refuses now and then.
 */
export function generateKeyless(rand: () => number, n: number, valueSpace: number): KeylessOp[] {
  const value = () => Math.floor(rand() * valueSpace);
  const pushFlags = (): number | bigint => [0, 0, 0, 0, 2, 2, 1, 3, 4, 8, 1n << 32n][Math.floor(rand() * 11)]!;
  const rareFlags = () => (rand() < 0.9 ? 0 : [1, 2, 4, 8][Math.floor(rand() * 4)]!);
  const ops: KeylessOp[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.45) ops.push({ op: 'push', value: value(), flags: pushFlags() });
    else if (r < 0.7) ops.push({ op: 'pop', flags: rareFlags() });
    else if (r < 0.93) ops.push({ op: 'peek', value: value(), flags: rareFlags() });
    else if (r < 0.95) ops.push({ op: 'delete' });
    else if (r < 0.96) ops.push({ op: 'nextKey' });
    else if (r < 0.97) ops.push({ op: 'batch', kind: Math.floor(rand() * 4) as BatchOpId });
    else if (r < 0.975) ops.push({ op: 'freeze' });
    else ops.push({ op: 'reopen', flags: [0, 0, MapFlags.Rdonly, MapFlags.Wronly][Math.floor(rand() * 4)]! });
  }
  return ops;
}

/** `v` spread over `size` bytes (every byte depends on it, so jhash's tail and words both see it). */
export function keylessValue(v: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = ((v >>> ((i % 4) * 8)) & 0xff) ^ (i >> 2);
  return out;
}

const NO_KEY = new Uint8Array(0);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** One op's observable outcome on one handle, as text. */
function apply(h: MapHandle, o: KeylessOp, valueSize: number): string {
  switch (o.op) {
    case 'push':
      return String(h.update(NO_KEY, keylessValue(o.value, valueSize), o.flags));
    case 'pop': {
      const out = new Uint8Array(valueSize).fill(0xa5);
      const rc = h.lookupAndDelete(NO_KEY, out, o.flags);
      return `${rc} ${hex(out)}`;
    }
    case 'peek': {
      // A queue's peek writes the buffer; a bloom filter's reads it (and must leave it as it was).
      const buf = keylessValue(o.value, valueSize);
      const rc = h.lookup(NO_KEY, buf, o.flags);
      return `${rc} ${hex(buf)}`;
    }
    case 'delete':
      return String(h.delete(NO_KEY));
    case 'nextKey':
      return String(h.getNextKey(null, NO_KEY));
    case 'batch': {
      const count = Uint32Array.of(1);
      const values = new Uint8Array(valueSize);
      const rc = o.kind === BatchOp.Lookup || o.kind === BatchOp.LookupAndDelete
        ? h.batch(o.kind, null, new Uint8Array(4), NO_KEY, values, count, 0)
        : h.batch(o.kind, null, new Uint8Array(4), NO_KEY, o.kind === BatchOp.Delete ? new Uint8Array(0) : values, count, 0);
      return `${rc} count ${count[0]}`;
    }
    case 'freeze':
      return String(h.freeze());
    case 'reopen':
      throw new Error('reopen is handled by runKeylessTrace');
  }
}

/** Runs `ops` on a fresh map of each engine; the first divergent op and both outcomes, or undefined. */
export function runKeylessTrace(attrs: MapAttrs, ops: KeylessOp[], a: Engine, b: Engine): TraceDivergence | undefined {
  const created = createOnBoth(attrs, a, b);
  if (!Array.isArray(created)) return created.divergence;
  const [ha, hb] = created;
  const handles = [ha, hb];
  const all = [ha, hb];
  try {
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      if (o.op === 'reopen') {
        const sides = [a, b].map((engine, s) => {
          const h = engine.openMapById(handles[s]!.info.id, o.flags);
          if (typeof h === 'number') return String(h);
          all.push(h);
          handles[s] = h;
          return 'ok';
        });
        if (sides[0] !== sides[1]) return { at: i, left: sides[0]!, right: sides[1]! };
        continue;
      }
      const left = apply(handles[0]!, o, attrs.valueSize);
      const right = apply(handles[1]!, o, attrs.valueSize);
      if (left !== right) return { at: i, left, right };
    }
    return undefined;
  } finally {
    for (const h of all) h.close();
  }
}

/** The shortest prefix of `ops` that still diverges, then each op dropped that keeps it diverging. */
export function minimizeKeyless(attrs: MapAttrs, ops: KeylessOp[], a: Engine, b: Engine): KeylessOp[] {
  return shrinkTrace(ops, (t) => runKeylessTrace(attrs, t, a, b));
}
