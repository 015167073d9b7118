// An open engine handle on a map without keys as its typed handle (QueueMap or BloomFilterMap), checked
// against the codec and the type the caller named: the counterpart of map.ts wrapMapHandle.
import type { Codec } from '../codec/types.js';
import { MapType, isKeyless, mapTypeName, type KeylessMapTypeName } from '../uapi/bpf.js';
import type { Engine, MapHandle } from '../seam/engine.js';
import { subjectOf } from '../errors/errors.js';
import { keylessTypeName } from './keyless.js';
import { QueueMap } from './queue.js';
import { BloomFilterMap } from './bloom.js';

/** The typed handle of a keyless map type's name. */
export type KeylessMapFor<T extends KeylessMapTypeName, V> = T extends 'bloom_filter' ? BloomFilterMap<V> : QueueMap<V>;

/**
 * QueueMap for a queue or stack, BloomFilterMap for a bloom filter. `expected`, when given, must be the map's
 * real type; the value codec must be its value_size. On a mismatch the handle is closed and a TypeError says why.
 */
export function wrapKeylessHandle<V>(handle: MapHandle, engine: Engine, value: Codec<V>, expected?: KeylessMapTypeName): QueueMap<V> | BloomFilterMap<V> {
  const { info } = handle;
  const subject = subjectOf({ map: info.name, mapId: info.id });
  const fail = (message: string): never => {
    handle.close();
    throw new TypeError(message);
  };
  if (!isKeyless(info.type)) fail(`type: '${expected}', but ${subject} is a ${mapTypeName(info.type)} map, which has keys (leave out type and pass { key, value })`);
  const actual = keylessTypeName(info.type)!;
  if (expected !== undefined && expected !== actual) fail(`type: '${expected}', but ${subject} is a ${actual} map`);
  if (value.size !== info.valueSize) fail(`value codec is ${value.size} bytes but ${subject} (${actual}) has value_size ${info.valueSize}`);
  // The engine's own buffer size (the addon's, on the kernel) must be what the codec makes.
  if (handle.layout.valueBufferSize !== value.size) fail(`${subject}: the engine copies ${handle.layout.valueBufferSize}-byte values, the codec makes ${value.size}`);
  if (info.type === MapType.BloomFilter) return new BloomFilterMap(handle, engine, value);
  return new QueueMap(handle, engine, value, info.type === MapType.Stack ? 'stack' : 'queue');
}
