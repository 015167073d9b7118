// The typed handles of maps without keys (key_size 0): QueueMap (queue, stack) and BloomFilterMap. What they
// share: a value codec, and element calls on the handle's own scratch buffers (seam/engine.ts MapScratch),
// whose key is 0 bytes, which the engines pass to the kernel as NULL.
import type { Codec } from '../codec/types.js';
import { keylessMapTypeByName, type KeylessMapTypeName } from '../uapi/bpf.js';
import type { Engine, MapHandle, MapScratch } from '../seam/engine.js';
import { inputError } from '../errors/errors.js';
import { BpfMapBase } from './base.js';
import { viewOf } from './walk.js';

export abstract class KeylessMap<V> extends BpfMapBase {
  readonly valueCodec: Codec<V>;
  readonly #scratch: MapScratch;
  readonly #valueView: DataView;

  constructor(handle: MapHandle, engine: Engine, value: Codec<V>) {
    super(handle, engine);
    this.valueCodec = value;
    this.#scratch = handle.openScratch();
    this.#valueView = viewOf(this.#scratch.value);
  }

  /** Element calls on this handle's buffers: encode into `scratch.value`, call, decode. */
  protected get scratch(): MapScratch {
    return this.#scratch;
  }

  /** Encodes `value` for `op` before any syscall, so a bad value leaves the map as it was. */
  protected encodeValue(op: string, value: V): void {
    try {
      this.valueCodec.encode(value, this.#valueView, 0);
    } catch (e) {
      throw inputError(this.where(op), 'value', e);
    }
  }

  protected decodeValue(): V {
    return this.valueCodec.decode(this.#valueView, 0);
  }
}

/** The name of a keyless map type, from its id (keylessMapTypeByName's inverse). */
export function keylessTypeName(type: number): KeylessMapTypeName | undefined {
  return (Object.keys(keylessMapTypeByName) as KeylessMapTypeName[]).find((name) => keylessMapTypeByName[name] === type);
}
