// ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/map_in_map.c): maps whose values are maps like the template they
// were created with. Userspace stores a map (BPF_MAP_UPDATE_ELEM with its fd on the kernel, its id on the
// emulator) and reads back the map's id; a program's lookup gives the inner map to look up in.
import { isFdMapHandle } from '../seam/engine.js';
import { UpdateFlags } from '../uapi/bpf.js';
import { describeValue } from '../errors/errors.js';
import { BpfMapBase } from './base.js';
import { FdMap } from './fd-map.js';

/** Made by createMap({ type: 'array_of_maps' | 'hash_of_maps', innerMap }) or BpfObject.map(name, { type }). */
export class MapOfMaps<K = number> extends FdMap<K> {
  /**
   * Stores `map` at `key` (BPF_ANY, or UpdateFlags.NoExist / Exist for a hash of maps). The kernel refuses a map
   * unlike the template (EINVAL: type, key and value size, flags, and an inner array's size unless the template
   * was made with BPF_F_INNER_MAP), and an index past an array of maps (E2BIG).
   */
  set(key: K, map: BpfMapBase, flags: number = UpdateFlags.Any): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    this.encodeKey('set', key);
    if (!(map instanceof BpfMapBase)) throw new TypeError(`${this.where('set')}: map must be an open map handle, got ${describeValue(map)}`);
    if (map.closed) throw new TypeError(`${this.where('set')}: map '${map.name}' is closed`);
    if (map.engine !== this.engine) throw new TypeError(`${this.where('set')}: map '${map.name}' is on another engine (${map.engine.kind}) than this map (${this.engine.kind})`);
    const handle = map.handle;
    this.store(isFdMapHandle(handle) ? handle.fd : handle.info.id, flags);
  }
}
