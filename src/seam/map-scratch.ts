// `scratchOver`: any handle's MapScratch (engine.ts) over its checked byte-level calls. The kernel engine's
// own scratch calls come from the addon (native/map_scratch.cc).
import type { MapHandle, MapScratch } from './engine.js';

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
