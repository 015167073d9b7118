// BLOOM_FILTER maps (kernel/bpf/bloom_filter.c): a set of values that can answer "maybe present" (all the
// value's hash bits are set, which a false positive also gives) or "absent", and never forgets. add is
// BPF_MAP_UPDATE_ELEM and has BPF_MAP_LOOKUP_ELEM, both without a key and with the value as input.
import { UpdateFlags } from '../uapi/bpf.js';
import { ENOENT } from '../uapi/errno.js';
import { KeylessMap } from './keyless.js';

/** A bloom filter of values. Nothing can be removed; lookups by key, deletes and iteration do not exist on it. */
export class BloomFilterMap<V> extends KeylessMap<V> {
  /** Adds the value (BPF_MAP_UPDATE_ELEM, BPF_ANY: the only flags the kernel takes). */
  add(value: V): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    this.encodeValue('add', value);
    const rc = this.scratch.update(UpdateFlags.Any);
    if (rc !== 0) throw this.error('BPF_MAP_UPDATE_ELEM', rc);
  }

  /**
   * False when the value was certainly never added; true when it may have been (BPF_MAP_LOOKUP_ELEM: every
   * one of its bits is set, as after adding it or by a false positive).
   */
  has(value: V): boolean {
    this.checkOpen('BPF_MAP_LOOKUP_ELEM');
    this.encodeValue('has', value);
    const rc = this.scratch.lookup(0);
    if (rc === 0) return true;
    if (rc === ENOENT) return false;
    throw this.error('BPF_MAP_LOOKUP_ELEM', rc);
  }
}
