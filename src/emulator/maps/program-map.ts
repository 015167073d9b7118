// What a BPF program sees of a map (ARCHITECTURE.md: programs never go through BpfMap): its attributes and
// its table, whose memory is shared (maps/shared.ts). The main thread's maps and a worker CPU's attached copies
// both have this shape, so helpers and the linker work the same on every emulated CPU.
import type { MapInfo } from '../../seam/engine.js';
import { ArrayTable, type ArrayState } from './array.js';
import { HashTable, type HashState } from './hash.js';
import { EINVAL, ENOENT } from '../../uapi/errno.js';
import { type MapShape } from './storage.js';

/** The program-side map operations (bpf_map_*_elem from a program). */
export interface ProgramSide {
  /** bpf_map_lookup_elem: copies `cpu`'s value (value_size bytes); sets the LRU ref bit. */
  lookup(key: Uint8Array, value: Uint8Array, cpu: number): number;
  /** bpf_map_update_elem: per-CPU maps write `cpu`'s slot, and a new element's other slots are zeroed. */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** bpf_map_delete_elem */
  delete(key: Uint8Array, cpu: number): number;
  /** bpf_map_lookup_percpu_elem */
  lookupPercpu(key: Uint8Array, value: Uint8Array, cpu: number): number;
}

export interface ProgramMap {
  readonly info: MapInfo;
  readonly shape: MapShape;
  readonly table: HashTable | ArrayTable;
  readonly program: ProgramSide;
}

/**
 * bpf_map_lookup_elem (or bpf_map_lookup_percpu_elem with `cpu`) as a copy: the value found in place by
 * programValueOffset (which sets an LRU element's ref bit), copied out.
 */
function lookupCopy(table: HashTable | ArrayTable, key: Uint8Array, out: Uint8Array, cpu: number): number {
  const base = table.programValueOffset(key, cpu);
  if (base < 0) return ENOENT;
  out.set(table.values.subarray(base, base + table.shape.valueSize));
  return 0;
}

export function programSide(table: HashTable | ArrayTable): ProgramSide {
  const shape = table.shape;
  return {
    lookup: (key, value, cpu) => lookupCopy(table, key, value, cpu),
    update: (key, value, flags, cpu) => table.update(key, 0, value, 0, flags, cpu, true),
    delete: (key) => (table instanceof HashTable ? table.delete(key, 0) : EINVAL),
    lookupPercpu: (key, value, cpu) => (!shape.percpu || cpu >= shape.ncpu ? ENOENT : lookupCopy(table, key, value, cpu)),
  };
}

/** A map as posted to a worker: attributes plus the table's shared memory. */
export interface SharedMap {
  info: MapInfo;
  table: { kind: 'hash'; state: HashState } | { kind: 'array'; state: ArrayState };
}

export function shareMap(map: Pick<ProgramMap, 'info' | 'table'>): SharedMap {
  const t = map.table;
  return { info: map.info, table: t instanceof HashTable ? { kind: 'hash', state: t.state } : { kind: 'array', state: t.state } };
}

/** The same map on this thread, over the same memory. */
export function attachMap(shared: SharedMap): ProgramMap {
  const t = shared.table;
  const table = t.kind === 'hash' ? new HashTable(t.state.shape, t.state.opts, t.state) : new ArrayTable(t.state.shape, t.state);
  return { info: shared.info, shape: table.shape, table, program: programSide(table) };
}
