// ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/arraymap.c array_of_maps_map_ops, hashtab.c htab_of_maps_map_ops,
// map_in_map.c): an array or hash whose values are maps like the template the map was created with. Userspace
// stores a map by its fd (here its id: the emulator has no fds) and reads back its id; a program's lookup
// gives the inner map itself, to look up in. The ids live in an ARRAY or HASH table of 4-byte values in shared
// memory, so every emulated CPU sees the same slots; the maps are held by the thread that stored them.
import { E2BIG, EINVAL, ENOENT } from '../../uapi/errno.js';
import { MapFlags, MapType } from '../../uapi/bpf.js';
import { ArrayTable, arrayIndex, type ArrayState } from './array.js';
import { HashTable, type HashState } from './hash.js';
import { BPF_ANY, type MapShape } from './storage.js';

/** What an inner map must match (struct bpf_map's fields bpf_map_meta_equal compares, and max_entries). */
export interface InnerMeta {
  type: number;
  keySize: number;
  valueSize: number;
  flags: number;
  maxEntries: number;
  /** The value's lock word (btf_record_equal's part the emulator models), or -1, and its kind. */
  lockOffset: number;
  lockKind?: 'spin' | 'res';
}

/** A MapInMapTable's shared memory: the id table and the template it was made with. */
export interface MapInMapState {
  shape: MapShape;
  meta: InnerMeta;
  ids: { kind: 'array'; state: ArrayState } | { kind: 'hash'; state: HashState };
}

/** An inner map as the thread that stores it knows it. */
export interface StoredMap<M> {
  id: number;
  map: M;
  meta: InnerMeta;
}

/**
 * bpf_map_meta_equal (type, key and value size, flags, the value's fields), and for an inner array its size
 * unless the template was made with BPF_F_INNER_MAP (arraymap.c array_map_meta_equal).
 */
export function innerMatches(meta: InnerMeta, map: InnerMeta): boolean {
  if (meta.type !== map.type || meta.keySize !== map.keySize || meta.valueSize !== map.valueSize || meta.flags !== map.flags) return false;
  if (meta.lockOffset !== map.lockOffset || meta.lockKind !== map.lockKind) return false;
  const array = meta.type === MapType.Array || meta.type === MapType.PercpuArray;
  return !array || (meta.flags & MapFlags.InnerMap) !== 0 || meta.maxEntries === map.maxEntries;
}

export class MapInMapTable<M = unknown> {
  readonly shape: MapShape;
  readonly state: MapInMapState;
  /** Programs never see the slots as memory: a lookup gives the inner map. */
  readonly values = new Uint8Array(0);
  readonly ids: ArrayTable | HashTable;
  /** The maps this thread stored, by id, and how many slots hold each. */
  readonly #held = new Map<number, { map: M; slots: number }>();
  readonly #id = new Uint8Array(4);
  /** Lets go of a map no slot holds any more (the kernel's bpf_map_fd_put_ptr). */
  readonly #release: (map: M) => void;

  constructor(shape: MapShape, state: MapInMapState, release: (map: M) => void = () => {}) {
    this.shape = shape;
    this.state = state;
    this.#release = release;
    const ids = state.ids;
    const idShape = { ...shape, valueSize: 4, percpu: false };
    this.ids = ids.kind === 'array' ? new ArrayTable(idShape, ids.state) : new HashTable(idShape, ids.state.opts, ids.state);
  }

  /** A new table for a map of `shape` with template `meta`. */
  static create(shape: MapShape, meta: InnerMeta, hash: boolean, seed: number, release: (map: unknown) => void): MapInMapTable {
    const idShape = { ...shape, valueSize: 4, percpu: false };
    const ids: MapInMapState['ids'] = hash
      ? { kind: 'hash', state: new HashTable(idShape, { lru: false, percpuLru: false, seed, targetFree: 0 }).state }
      : { kind: 'array', state: new ArrayTable(idShape).state };
    return new MapInMapTable(shape, { shape, meta, ids }, release);
  }

  get hash(): boolean {
    return this.ids instanceof HashTable;
  }

  /** bpf_fd_array_map_lookup_elem / the fd htab's: the inner map's id (bpf_map_fd_sys_lookup_elem), or ENOENT. */
  lookup(key: Uint8Array, out: Uint8Array): number {
    const id = this.#idOf(key, 0);
    if (id === 0) return ENOENT;
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, id, true);
    return 0;
  }

  /**
   * An update naming `inner` (undefined: the id names no map, which the caller answered). Arrays:
   * bpf_fd_array_map_update_elem (BPF_ANY only, the index, then bpf_map_fd_get_ptr's match); hashes:
   * bpf_fd_htab_map_update_elem (the match, then the hash's own update and its flags).
   */
  update(key: Uint8Array, koff: number, flags: number, inner: StoredMap<M>, cpu: number): number {
    const array = this.ids instanceof ArrayTable;
    if (array) {
      if (flags !== BPF_ANY) return EINVAL;
      if (arrayIndex(key, koff) >= this.shape.maxEntries) return E2BIG;
    }
    if (!innerMatches(this.state.meta, inner.meta)) return EINVAL;
    const old = this.#idOf(key, koff);
    new DataView(this.#id.buffer).setUint32(0, inner.id, true);
    const rc = this.ids.update(key, koff, this.#id, 0, flags, cpu, false);
    if (rc !== 0) {
      this.#release(inner.map);
      return rc;
    }
    const held = this.#held.get(inner.id);
    if (held) {
      held.slots++;
      this.#release(inner.map);
    } else {
      this.#held.set(inner.id, { map: inner.map, slots: 1 });
    }
    this.#drop(old);
    return 0;
  }

  /** A slot let go of map `id`. */
  #drop(id: number): void {
    const held = id === 0 ? undefined : this.#held.get(id);
    if (!held || --held.slots > 0) return;
    this.#held.delete(id);
    this.#release(held.map);
  }

  /** The outer map is gone: every inner map it held is let go of. */
  clear(): void {
    for (const { map } of this.#held.values()) this.#release(map);
    this.#held.clear();
  }

  /** fd_array_map_delete_elem (E2BIG, ENOENT for an empty slot) / htab_map_delete_elem. */
  delete(key: Uint8Array, koff = 0): number {
    const old = this.#idOf(key, koff);
    let rc: number;
    if (this.ids instanceof HashTable) rc = this.ids.delete(key, koff);
    else if (arrayIndex(key, koff) >= this.shape.maxEntries) rc = E2BIG;
    else if (old === 0) rc = ENOENT;
    else {
      this.#id.fill(0);
      rc = this.ids.update(key, koff, this.#id, 0, BPF_ANY, 0, false);
    }
    if (rc === 0) this.#drop(old);
    return rc;
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    return this.ids.getNextKey(key, next);
  }

  /** A program's lookup: the inner map at `key` (read in place at keyOffset), or undefined. */
  programInner(key: Uint8Array, keyOffset: number, held: (id: number) => M | undefined = (id) => this.#held.get(id)?.map): M | undefined {
    const id = this.#idOf(key, keyOffset);
    return id === 0 ? undefined : held(id);
  }

  /** A map this thread stored, by id. */
  held(id: number): M | undefined {
    return this.#held.get(id)?.map;
  }

  /** Every id stored now (what a worker CPU must be sent). */
  storedIds(): number[] {
    const out: number[] = [];
    const values = this.ids.values;
    const view = new DataView(values.buffer, values.byteOffset, values.length);
    const key = new Uint8Array(this.shape.keySize);
    for (let k: Uint8Array | null = null; this.ids.getNextKey(k, key) === 0; k = key.slice()) {
      const at = this.ids.programValueOffset(key, 0, 0, false);
      const id = at < 0 ? 0 : view.getUint32(at, true);
      if (id !== 0) out.push(id);
    }
    return out;
  }

  /** Programs look a map-in-map up through programInner. */
  programValueOffset(): number {
    return -1;
  }

  #idOf(key: Uint8Array, keyOffset: number): number {
    const at = this.ids.programValueOffset(key, 0, keyOffset, false);
    if (at < 0) return 0;
    const values = this.ids.values;
    return new DataView(values.buffer, values.byteOffset, values.length).getUint32(at, true);
  }
}
