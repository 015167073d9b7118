// QUEUE and STACK maps (kernel/bpf/queue_stack_maps.c): values without keys, pushed at one end and popped at
// the oldest (queue, FIFO) or the newest (stack, LIFO). The syscalls are the element commands with no key:
// push is BPF_MAP_UPDATE_ELEM, peek BPF_MAP_LOOKUP_ELEM, pop BPF_MAP_LOOKUP_AND_DELETE_ELEM.
import { UpdateFlags } from '../uapi/bpf.js';
import type { Codec } from '../codec/types.js';
import type { Engine, MapHandle } from '../seam/engine.js';
import { ENOENT } from '../uapi/errno.js';
import { checkU32, describeValue } from '../errors/errors.js';
import { KeylessMap } from './keyless.js';

export interface PushOptions {
  /**
   * BPF_ANY (0, the default): E2BIG when the map is full. UpdateFlags.Exist (BPF_EXIST): a full map drops its
   * oldest value to make room. The kernel refuses any other flags (EINVAL).
   */
  flags?: number;
}

/** A queue (FIFO) or stack (LIFO) of values. Lookups by key, deletes and iteration do not exist on it. */
export class QueueMap<V> extends KeylessMap<V> {
  /** Which end pop and peek take: the oldest value ('queue') or the newest ('stack'). */
  readonly kind: 'queue' | 'stack';

  /** Use createMap / BpfObject.map; this wraps an open engine handle. */
  constructor(handle: MapHandle, engine: Engine, value: Codec<V>, kind: 'queue' | 'stack') {
    super(handle, engine, value);
    this.kind = kind;
  }

  /** Adds a value (BPF_MAP_UPDATE_ELEM without a key): E2BIG when full, unless `flags` is UpdateFlags.Exist. */
  push(value: V, options?: PushOptions): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    const flags = this.#flags('push', options);
    this.encodeValue('push', value);
    const rc = this.scratch.update(flags);
    if (rc !== 0) throw this.error('BPF_MAP_UPDATE_ELEM', rc);
  }

  /** Removes and returns the next value (BPF_MAP_LOOKUP_AND_DELETE_ELEM); undefined when the map is empty. */
  pop(): V | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_AND_DELETE_ELEM');
    const rc = this.scratch.lookupAndDelete(0);
    if (rc === 0) return this.decodeValue();
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_AND_DELETE_ELEM', rc);
  }

  /** The next value without removing it (BPF_MAP_LOOKUP_ELEM); undefined when the map is empty. */
  peek(): V | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_ELEM');
    const rc = this.scratch.lookup(0);
    if (rc === 0) return this.decodeValue();
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_ELEM', rc);
  }

  /** The options object, read once: its flags, a u32 (the kernel judges which it takes). */
  #flags(op: string, options: unknown): number {
    if (options === undefined) return UpdateFlags.Any;
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.where(op)}: options must be an object, got ${describeValue(options)}`);
    const flags = (options as PushOptions).flags;
    return flags === undefined ? UpdateFlags.Any : checkU32(this.where(op), 'options.flags', flags);
  }
}
