// What a BPF program sees of a map (ARCHITECTURE.md: programs never go through BpfMap): its attributes and
// its table, whose memory is shared (maps/shared.ts). The main thread's maps and a worker CPU's attached copies
// both have this shape, so helpers and the linker work the same on every emulated CPU.
import type { MapInfo } from '../../seam/engine.js';
import { ArrayTable, type ArrayState } from './array.js';
import { HashTable, type HashState } from './hash.js';
import { QueueStackTable, type QueueStackState } from './queue-stack.js';
import { BloomFilterTable, type BloomFilterState } from './bloom.js';
import { ProgArrayTable, type ProgArrayState } from './prog-array.js';
import { CgroupStorageTable, type CgroupStorageState } from './cgroup-storage.js';
import { MapInMapTable, type MapInMapState } from './map-in-map.js';
import { LpmTrieTable, type LpmTrieState } from './lpm-trie.js';
import { RedirectMapTable, type RedirectMapState } from './redirect-map.js';
import { RingbufTable, type RingbufState } from './ringbuf.js';
import { EINVAL, ENOENT } from '../../uapi/errno.js';
import { type MapShape } from './storage.js';

/** The storage of every emulated map type. */
export type MapTable = HashTable | ArrayTable | QueueStackTable | BloomFilterTable | ProgArrayTable | CgroupStorageTable | MapInMapTable | LpmTrieTable
  | RedirectMapTable | RingbufTable;

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
  /** bpf_map_push_elem (queue, stack, bloom filter): the map's map_push_elem with the whole u64 flags. */
  push(value: Uint8Array, flags: bigint): number;
  /** bpf_map_pop_elem (queue, stack): the value into `out`; `out` untouched when the map is empty (ENOENT). */
  pop(out: Uint8Array): number;
  /** bpf_map_peek_elem: a queue's or stack's next value into `value`, or whether a bloom filter has `value`. */
  peek(value: Uint8Array): number;
}

export interface ProgramMap {
  readonly info: MapInfo;
  readonly shape: MapShape;
  readonly table: MapTable;
  readonly program: ProgramSide;
}

/**
 * bpf_map_lookup_elem (or bpf_map_lookup_percpu_elem with `cpu`) as a copy: the value found in place by
 * programValueOffset (which sets an LRU element's ref bit), copied out.
 */
function lookupCopy(table: MapTable, key: Uint8Array, out: Uint8Array, cpu: number): number {
  const base = table.programValueOffset(key, cpu);
  if (base < 0) return ENOENT;
  out.set(table.values.subarray(base, base + table.shape.valueSize));
  return 0;
}

export function programSide(table: MapTable): ProgramSide {
  const shape = table.shape;
  // A prog array is only ever tail-called through (check_map_func_compatibility): no element helper reaches it.
  // A cgroup storage's programs reach it through bpf_get_local_storage alone (the verifier's rule, likewise).
  // A map-in-map only gives its inner maps (helpers.ts mapLookup), and programs may not change it.
  // A ring buffer is written through the bpf_ringbuf_* helpers alone (helpers.ts), likewise.
  if (table instanceof ProgArrayTable || table instanceof CgroupStorageTable || table instanceof MapInMapTable || table instanceof RingbufTable) {
    return { lookup: () => ENOENT, update: () => EINVAL, delete: () => EINVAL, lookupPercpu: () => ENOENT, push: () => EINVAL, pop: () => EINVAL, peek: () => EINVAL };
  }
  // The redirect maps: a program may look a devmap's value up, and redirect through any of them; nothing else.
  if (table instanceof RedirectMapTable) {
    return {
      lookup: (key, value, cpu) => lookupCopy(table, key, value, cpu),
      update: () => EINVAL, delete: () => EINVAL, lookupPercpu: () => ENOENT, push: () => EINVAL, pop: () => EINVAL, peek: () => EINVAL,
    };
  }
  const keyed = table instanceof HashTable || table instanceof ArrayTable;
  const lpm = table instanceof LpmTrieTable;
  return {
    lookup: (key, value, cpu) => lookupCopy(table, key, value, cpu),
    // queue_stack_map_update_elem and bloom_map_update_elem: EINVAL (programs push instead).
    update: (key, value, flags, cpu) => (keyed ? table.update(key, 0, value, 0, flags, cpu, true) : lpm ? table.update(key, 0, value, 0, flags) : table.update()),
    delete: (key) => (table instanceof HashTable || lpm ? table.delete(key, 0) : table instanceof ArrayTable ? EINVAL : table.delete()),
    lookupPercpu: (key, value, cpu) => (!shape.percpu || cpu >= shape.ncpu ? ENOENT : lookupCopy(table, key, value, cpu)),
    // The hash, array and LPM maps have no map_push_elem, map_pop_elem or map_peek_elem: the verifier refuses
    // those helpers on them (check_map_func_compatibility), so these EINVALs are never a program's answer.
    push: (value, flags) => (keyed || lpm ? EINVAL : table.push(value, 0, flags)),
    pop: (out) => (table instanceof QueueStackTable ? table.get(out, 0, true) : table instanceof BloomFilterTable ? table.pop() : EINVAL),
    peek: (value) => (table instanceof QueueStackTable ? table.get(value, 0, false) : table instanceof BloomFilterTable ? table.peek(value, 0) : EINVAL),
  };
}

/** A map as posted to a worker: attributes plus the table's shared memory. */
export interface SharedMap {
  info: MapInfo;
  table:
    | { kind: 'hash'; state: HashState }
    | { kind: 'array'; state: ArrayState }
    | { kind: 'queue-stack'; state: QueueStackState }
    | { kind: 'bloom'; state: BloomFilterState }
    | { kind: 'prog-array'; state: ProgArrayState }
    | { kind: 'cgroup-storage'; state: CgroupStorageState }
    | { kind: 'map-in-map'; state: MapInMapState }
    | { kind: 'lpm'; state: LpmTrieState }
    | { kind: 'redirect'; state: RedirectMapState }
    | { kind: 'ringbuf'; state: RingbufState };
}

export function shareMap(map: Pick<ProgramMap, 'info' | 'table'>): SharedMap {
  const t = map.table;
  if (t instanceof HashTable) return { info: map.info, table: { kind: 'hash', state: t.state } };
  if (t instanceof ArrayTable) return { info: map.info, table: { kind: 'array', state: t.state } };
  if (t instanceof QueueStackTable) return { info: map.info, table: { kind: 'queue-stack', state: t.state } };
  if (t instanceof ProgArrayTable) return { info: map.info, table: { kind: 'prog-array', state: t.state } };
  if (t instanceof CgroupStorageTable) return { info: map.info, table: { kind: 'cgroup-storage', state: t.state } };
  if (t instanceof MapInMapTable) return { info: map.info, table: { kind: 'map-in-map', state: t.state } };
  if (t instanceof LpmTrieTable) return { info: map.info, table: { kind: 'lpm', state: t.state } };
  if (t instanceof RedirectMapTable) return { info: map.info, table: { kind: 'redirect', state: t.state } };
  if (t instanceof RingbufTable) return { info: map.info, table: { kind: 'ringbuf', state: t.state } };
  return { info: map.info, table: { kind: 'bloom', state: t.state } };
}

/** The same map on this thread, over the same memory. */
export function attachMap(shared: SharedMap): ProgramMap {
  const t = shared.table;
  let table: MapTable;
  switch (t.kind) {
    case 'hash': table = new HashTable(t.state.shape, t.state.opts, t.state); break;
    case 'array': table = new ArrayTable(t.state.shape, t.state); break;
    case 'queue-stack': table = new QueueStackTable(t.state.shape, t.state.lifo, t.state); break;
    case 'bloom': table = new BloomFilterTable(t.state.shape, t.state.geometry, t.state.seed, t.state); break;
    case 'prog-array': table = new ProgArrayTable(t.state.shape, t.state); break;
    case 'cgroup-storage': table = new CgroupStorageTable(t.state.shape, t.state); break;
    case 'map-in-map': table = new MapInMapTable(t.state.shape, t.state); break;
    case 'lpm': table = new LpmTrieTable(t.state.shape, t.state.kernelVersion, t.state); break;
    case 'redirect': table = new RedirectMapTable(t.state.shape, t.state.kind, t.state); break;
    case 'ringbuf': table = new RingbufTable(t.state.shape, t.state); break;
  }
  return { info: shared.info, shape: table.shape, table, program: programSide(table) };
}
