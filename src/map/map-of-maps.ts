// ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/map_in_map.c): maps whose values are maps like the template they
// were created with. Userspace stores a map (BPF_MAP_UPDATE_ELEM with its fd on the kernel, its id on the
// emulator) and reads back the map's id; a program's lookup gives the inner map to look up in.
import type { Codec } from '../codec/types.js';
import { isFdMapHandle, type Engine, type MapHandle, type MapScratch } from '../seam/engine.js';
import { UpdateFlags } from '../uapi/bpf.js';
import { ENOENT } from '../uapi/errno.js';
import { describeValue, inputError } from '../errors/errors.js';
import { BpfMapBase } from './base.js';

export class MapOfMaps<K = number> extends BpfMapBase {
  readonly keyCodec: Codec<K>;
  readonly #scratch: MapScratch;
  readonly #key: DataView;
  readonly #value: DataView;

  /** Use createMap({ type: 'array_of_maps' | 'hash_of_maps', innerMap }) or BpfObject.map(name, { type }). */
  constructor(handle: MapHandle, engine: Engine, key: Codec<K>) {
    super(handle, engine);
    this.keyCodec = key;
    this.#scratch = handle.openScratch();
    this.#key = new DataView(this.#scratch.key.buffer, this.#scratch.key.byteOffset, this.#scratch.key.length);
    this.#value = new DataView(this.#scratch.value.buffer, this.#scratch.value.byteOffset, 4);
  }

  /**
   * Stores `map` at `key` (BPF_ANY, or UpdateFlags.NoExist / Exist for a hash of maps). The kernel refuses a map
   * unlike the template (EINVAL: type, key and value size, flags, and an inner array's size unless the template
   * was made with BPF_F_INNER_MAP), and an index past an array of maps (E2BIG).
   */
  set(key: K, map: BpfMapBase, flags: number = UpdateFlags.Any): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    this.#encodeKey('set', key);
    if (!(map instanceof BpfMapBase)) throw new TypeError(`${this.where('set')}: map must be an open map handle, got ${describeValue(map)}`);
    if (map.closed) throw new TypeError(`${this.where('set')}: map '${map.name}' is closed`);
    if (map.engine !== this.engine) throw new TypeError(`${this.where('set')}: map '${map.name}' is on another engine (${map.engine.kind}) than this map (${this.engine.kind})`);
    const handle = map.handle;
    this.#value.setUint32(0, isFdMapHandle(handle) ? handle.fd : handle.info.id, true);
    const rc = this.#scratch.update(flags);
    if (rc !== 0) throw this.error('BPF_MAP_UPDATE_ELEM', rc);
  }

  /** The id of the map stored at `key` (BpfMapBase.info.id), or undefined. */
  get(key: K): number | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_ELEM');
    this.#encodeKey('get', key);
    const rc = this.#scratch.lookup(0);
    if (rc === 0) return this.#value.getUint32(0, true);
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_ELEM', rc);
  }

  /** Removes the map at `key`: true if there was one. */
  delete(key: K): boolean {
    this.checkOpen('BPF_MAP_DELETE_ELEM');
    this.#encodeKey('delete', key);
    return this.deleted(this.#scratch.delete());
  }

  /** The keys holding a map, with the map's id, in the kernel's get_next_key order. */
  *entries(): IterableIterator<[K, number]> {
    this.checkOpen('BPF_MAP_GET_NEXT_KEY');
    const next = new DataView(this.#scratch.next.buffer, this.#scratch.next.byteOffset, this.#scratch.next.length);
    for (let rc = this.#scratch.getNextKey(false); rc === 0; rc = this.#scratch.getNextKey(true)) {
      const key = this.keyCodec.decode(next, 0);
      this.#scratch.key.set(this.#scratch.next);
      const id = this.get(key);
      if (id !== undefined) yield [key, id];
      this.#encodeKey('entries', key);
    }
  }

  /** Encodes `key` before any syscall, so a bad key leaves the map as it was. */
  #encodeKey(op: string, key: K): void {
    try {
      this.keyCodec.encode(key, this.#key, 0);
    } catch (e) {
      throw inputError(this.where(op), 'key', e);
    }
  }
}
