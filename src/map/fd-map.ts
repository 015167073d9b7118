// The maps whose values name other kernel objects (kernel/bpf/arraymap.c fd arrays, hashtab.c fd hashes): a
// PROG_ARRAY's programs, a map of maps' maps. Userspace stores an object by its fd on the kernel (its id on the
// emulator, which has no fds) and reads back the object's id. ProgramArrayMap and MapOfMaps add what they store.
import type { Codec } from '../codec/types.js';
import type { Engine, MapHandle, MapScratch } from '../seam/engine.js';
import { ENOENT } from '../uapi/errno.js';
import { inputError } from '../errors/errors.js';
import { BpfMapBase } from './base.js';
import { viewOf } from './walk.js';

export abstract class FdMap<K> extends BpfMapBase {
  readonly keyCodec: Codec<K>;
  readonly #scratch: MapScratch;
  readonly #key: DataView;
  readonly #value: DataView;

  constructor(handle: MapHandle, engine: Engine, key: Codec<K>) {
    super(handle, engine);
    this.keyCodec = key;
    this.#scratch = handle.openScratch();
    this.#key = viewOf(this.#scratch.key);
    this.#value = viewOf(this.#scratch.value);
  }

  /** The id of the object stored at `key`, or undefined when there is none. */
  get(key: K): number | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_ELEM');
    this.encodeKey('get', key);
    const rc = this.#scratch.lookup(0);
    if (rc === 0) return this.#value.getUint32(0, true);
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_ELEM', rc);
  }

  /** Empties `key`: true if it held an object, false if it held none. */
  delete(key: K): boolean {
    this.checkOpen('BPF_MAP_DELETE_ELEM');
    this.encodeKey('delete', key);
    return this.deleted(this.#scratch.delete());
  }

  /** The keys holding an object, with the object's id, in the kernel's get_next_key order. */
  *entries(): IterableIterator<[K, number]> {
    this.checkOpen('BPF_MAP_GET_NEXT_KEY');
    const next = viewOf(this.#scratch.next);
    for (let rc = this.#scratch.getNextKey(false); rc === 0; rc = this.#scratch.getNextKey(true)) {
      const key = this.keyCodec.decode(next, 0);
      this.#scratch.key.set(this.#scratch.next);
      const id = this.get(key);
      if (id !== undefined) yield [key, id];
      this.encodeKey('entries', key);
    }
  }

  /** Stores `ref` (an fd, or an emulated object's id) at the key encodeKey put in place (BPF_MAP_UPDATE_ELEM). */
  protected store(ref: number, flags: number): void {
    this.#value.setUint32(0, ref >>> 0, true);
    const rc = this.#scratch.update(flags);
    if (rc !== 0) throw this.error('BPF_MAP_UPDATE_ELEM', rc);
  }

  /** Encodes `key` for `op` before any syscall, so a bad key leaves the map as it was. */
  protected encodeKey(op: string, key: K): void {
    try {
      this.keyCodec.encode(key, this.#key, 0);
    } catch (e) {
      throw inputError(this.where(op), 'key', e);
    }
  }

  /** Where encodeKey writes (a subclass that checks its keys itself writes there too). */
  protected get keyView(): DataView {
    return this.#key;
  }
}
