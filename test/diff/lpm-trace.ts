// Differential traces of LPM_TRIE maps at the byte-level seam: a seeded sequence of updates (with every
// flag), longest-prefix lookups, deletes, get_next_key and batch calls over keys drawn near a few prefixes, so
// the trie grows intermediate nodes, merges them back and fills up; every return code and every byte returned
// must be the same on both engines, op for op, and the final contents (the get_next_key walk) too.
import { BatchOp, type BatchOpId } from '../../src/uapi/bpf.js';
import type { Engine, MapAttrs, MapHandle } from '../../src/seam/engine.js';
import { contents, createOnBoth, shrinkTrace, type TraceDivergence } from './trace.js';

/** A key as struct bpf_lpm_trie_key_u8 lays it out: prefixlen, then data (big-endian bits). */
export interface LpmKey {
  prefixlen: number;
  data: number[];
}

export type LpmOp =
  | { op: 'update'; key: LpmKey; value: number; flags: number }
  | { op: 'lookup'; key: LpmKey; flags: number }
  | { op: 'delete'; key: LpmKey }
  | { op: 'nextKey'; key: LpmKey | null }
  | { op: 'lookupAndDelete'; key: LpmKey }
  /** A batch call; `keys` for update and delete (values derived from each key). */
  | { op: 'batch'; kind: BatchOpId; count: number; keys: LpmKey[]; flags: number; fromCursor: boolean }
  | { op: 'contents' };

const keyText = (k: LpmKey | null): string => (k === null ? 'NULL' : `${k.data.join('.')}/${k.prefixlen}`);

export function lpmOpText(o: LpmOp): string {
  switch (o.op) {
    case 'update': return `update(${keyText(o.key)}, ${o.value}, flags ${o.flags})`;
    case 'lookup': return `lookup(${keyText(o.key)}, flags ${o.flags})`;
    case 'delete': return `delete(${keyText(o.key)})`;
    case 'nextKey': return `nextKey(${keyText(o.key)})`;
    case 'lookupAndDelete': return `lookupAndDelete(${keyText(o.key)})`;
    case 'batch': return `batch(${['lookup', 'lookupAndDelete', 'update', 'delete'][o.kind]}, count ${o.count}, [${o.keys.map(keyText).join(' ')}], flags ${o.flags}${o.fromCursor ? ', from cursor' : ''})`;
    case 'contents': return 'contents()';
  }
}

/**
 * `n` ops on a trie with `dataSize` data bytes. Keys are a few random bases with a few low-order bits
 * changed, and prefix lengths mostly within the data (now and then past it, or u32 max): enough collisions
 * for exact matches, NOEXIST/EXIST answers, shared prefixes and a full trie.
 */
export function generateLpm(rand: () => number, n: number, dataSize: number, maxEntries: number): LpmOp[] {
  const maxPrefixlen = dataSize * 8;
  const int = (m: number) => Math.floor(rand() * m);
  const bases = Array.from({ length: 3 }, () => Array.from({ length: dataSize }, () => int(256)));
  const key = (): LpmKey => {
    const data = [...bases[int(bases.length)]!];
    // Change a few bits, mostly near where prefixes end.
    for (let flips = int(3); flips > 0; flips--) {
      const bit = Math.min(maxPrefixlen - 1, Math.max(0, Math.floor(maxPrefixlen * (0.5 + rand() / 2)) - int(8)));
      data[bit >> 3] ^= 0x80 >> (bit & 7);
    }
    const r = rand();
    const prefixlen = r < 0.03 ? maxPrefixlen + 1 + int(3) : r < 0.04 ? 0xffffffff : r < 0.1 ? 0 : r < 0.35 ? maxPrefixlen : int(maxPrefixlen + 1);
    return { prefixlen, data };
  };
  const updateFlags = () => [0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 8][int(11)]!;
  const rareFlags = () => (rand() < 0.9 ? 0 : [1, 2, 4, 8][int(4)]!);
  const ops: LpmOp[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.4) ops.push({ op: 'update', key: key(), value: int(1 << 16), flags: updateFlags() });
    else if (r < 0.62) ops.push({ op: 'lookup', key: key(), flags: rareFlags() });
    else if (r < 0.8) ops.push({ op: 'delete', key: key() });
    else if (r < 0.88) ops.push({ op: 'nextKey', key: rand() < 0.2 ? null : key() });
    else if (r < 0.89) ops.push({ op: 'lookupAndDelete', key: key() });
    else if (r < 0.95) {
      const kind = int(4) as BatchOpId;
      const count = int(maxEntries + 2);
      ops.push({ op: 'batch', kind, count, keys: Array.from({ length: count }, key), flags: rareFlags(), fromCursor: rand() < 0.5 });
    } else ops.push({ op: 'contents' });
  }
  return ops;
}

export function lpmKeyBytes(k: LpmKey, keySize: number): Uint8Array {
  const out = new Uint8Array(keySize);
  new DataView(out.buffer).setUint32(0, k.prefixlen >>> 0, true);
  out.set(k.data.slice(0, keySize - 4), 4);
  return out;
}

export function lpmValueBytes(v: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = ((v >>> ((i % 2) * 8)) & 0xff) ^ i;
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** One op's observable outcome on one handle, as text; `cursor` holds the side's last batch cursor. */
function apply(h: MapHandle, o: LpmOp, attrs: MapAttrs, cursor: { token: Uint8Array | null }): string {
  const ks = attrs.keySize;
  const vs = attrs.valueSize;
  switch (o.op) {
    case 'update': return String(h.update(lpmKeyBytes(o.key, ks), lpmValueBytes(o.value, vs), o.flags));
    case 'lookup': {
      const out = new Uint8Array(vs).fill(0xa5);
      const rc = h.lookup(lpmKeyBytes(o.key, ks), out, o.flags);
      return `${rc} ${hex(out)}`;
    }
    case 'delete': return String(h.delete(lpmKeyBytes(o.key, ks)));
    case 'nextKey': {
      const next = new Uint8Array(ks).fill(0xa5);
      const rc = h.getNextKey(o.key === null ? null : lpmKeyBytes(o.key, ks), next);
      return `${rc} ${hex(next)}`;
    }
    case 'lookupAndDelete': {
      const out = new Uint8Array(vs);
      return `${h.lookupAndDelete(lpmKeyBytes(o.key, ks), out, 0)} ${hex(out)}`;
    }
    case 'batch': {
      const n = Math.max(o.count, 1);
      const keys = new Uint8Array(n * ks);
      const values = new Uint8Array(n * vs);
      o.keys.forEach((k, i) => {
        keys.set(lpmKeyBytes(k, ks), i * ks);
        values.set(lpmValueBytes(k.prefixlen * 31 + (k.data[0] ?? 0), vs), i * vs);
      });
      const count = new Uint32Array([o.count]);
      if (o.kind === BatchOp.Lookup || o.kind === BatchOp.LookupAndDelete) {
        const out = new Uint8Array(ks);
        const rc = h.batch(o.kind, o.fromCursor ? cursor.token : null, out, keys, values, count, o.flags);
        cursor.token = rc === 0 ? out : null;
        const got = count[0]!;
        return `${rc} n=${got} out=${hex(out)} ${hex(keys.subarray(0, got * ks))} ${hex(values.subarray(0, got * vs))}`;
      }
      return `${h.batch(o.kind, null, new Uint8Array(ks), keys, values, count, o.flags)} n=${count[0]}`;
    }
    case 'contents': return contents(h, ks, vs);
  }
}

/** Runs `ops` on a fresh map of each engine, then compares the contents: the first divergence, or undefined. */
export function runLpmTrace(attrs: MapAttrs, ops: LpmOp[], a: Engine, b: Engine): TraceDivergence | undefined {
  const created = createOnBoth(attrs, a, b);
  if (!Array.isArray(created)) return created.divergence;
  const [ha, hb] = created;
  try {
    const cursors = [{ token: null as Uint8Array | null }, { token: null as Uint8Array | null }];
    for (let i = 0; i <= ops.length; i++) {
      const o: LpmOp = ops[i] ?? { op: 'contents' };
      const left = apply(ha, o, attrs, cursors[0]!);
      const right = apply(hb, o, attrs, cursors[1]!);
      if (left !== right) return { at: i, left, right };
    }
    return undefined;
  } finally {
    ha.close();
    hb.close();
  }
}

/** The shortest trace (from the failing prefix) that still diverges. */
export function minimizeLpm(attrs: MapAttrs, ops: LpmOp[], a: Engine, b: Engine): LpmOp[] {
  return shrinkTrace(ops, (t) => {
    const d = runLpmTrace(attrs, t, a, b);
    // The final contents diverging counts as the last op's divergence.
    return d && { at: Math.min(d.at, t.length - 1) };
  });
}
