// Element operations on buffers owned by the operations themselves: the typed layer's hot path. BpfMap
// encodes a key into `key`, calls `lookup(flags)`, and decodes `value`; no buffer crosses the engine seam per
// call, so an engine need not check one. The kernel engine's come from the addon (native/map_scratch.cc);
// `scratchOver` gives any handle the same shape over its checked byte-level calls.
import type { MapHandle } from './engine.js';

export interface MapScratch {
  /** keySize bytes: the key of lookup, update, delete, lookupAndDelete, and getNextKey(true). */
  readonly key: Uint8Array;
  /** The handle's layout.valueBufferSize bytes: what lookup reads into and update writes from. */
  readonly value: Uint8Array;
  /** keySize bytes: where getNextKey writes. */
  readonly next: Uint8Array;
  lookup(flags: number): number;
  update(flags: number): number;
  delete(): number;
  lookupAndDelete(flags: number): number;
  /** The key after `key` (fromKey) or the first key, into `next`. */
  getNextKey(fromKey: boolean): number;
}

/** A MapScratch over `handle`'s byte-level calls, with buffers of its own. */
export function scratchOver(handle: MapHandle): MapScratch {
  const key = new Uint8Array(handle.info.keySize);
  const value = new Uint8Array(handle.layout.valueBufferSize);
  const next = new Uint8Array(handle.info.keySize);
  return {
    key,
    value,
    next,
    lookup: (flags) => handle.lookup(key, value, flags),
    update: (flags) => handle.update(key, value, flags),
    delete: () => handle.delete(key),
    lookupAndDelete: (flags) => handle.lookupAndDelete(key, value, flags),
    getNextKey: (fromKey) => handle.getNextKey(fromKey ? key : null, next),
  };
}
