// BPF_MAP_TYPE_RINGBUF from user space: the consumer of the records programs emit with bpf_ringbuf_output or
// reserve/submit. Records come in the ring's order, decoded by the value codec when their length is the
// codec's size, else as their bytes (a ring holds records of any length). Three ways to read them: consume()
// drains what is there now (tests, synchronous code), poll() waits off the JS thread, `for await` polls until
// the ring is closed. Both engines give the same records (test/diff/ringbuf-consumer.test.ts).
import type { Codec } from '../codec/types.js';
import { checkCodec } from '../codec/codec.js';
import type { Engine, MapHandle, RingConsumer } from '../seam/engine.js';
import { batchRecords } from '../seam/ring-batch.js';
import type { LibbpfCall } from '../uapi/bpf.js';
import { EINTR } from '../uapi/errno.js';
import { BpfError, describeValue, subjectOf } from '../errors/errors.js';
import { BpfMapBase } from './base.js';

/** A record as consume() and poll() give it: decoded when its length is the codec's size, else its bytes. */
export type RingbufRecord<V> = V | Uint8Array;

export interface RingbufPollOptions {
  /** How long to wait for records, in milliseconds (0: do not wait); left out, until some come or the ring is closed. */
  timeoutMs?: number;
}

export class RingBuffer<V = Uint8Array> extends BpfMapBase implements AsyncIterable<RingbufRecord<V>> {
  /** What decodes records of its size; undefined: every record is bytes. */
  readonly valueCodec: Codec<V> | undefined;
  readonly #consumer: RingConsumer;
  #polling = false;

  /** Use createMap({ type: 'ringbuf' }) / BpfObject.ringbuf; this wraps an open engine handle (closed on failure). */
  constructor(handle: MapHandle, engine: Engine, value?: Codec<V>) {
    super(handle, engine);
    const subject = subjectOf({ map: handle.info.name, mapId: handle.info.id });
    if (value !== undefined) checkCodec(`ringbuf ${subject}: value`, value);
    this.valueCodec = value;
    const consumer = handle.openRingConsumer();
    if (typeof consumer === 'number') {
      handle.close();
      throw new BpfError('ring_buffer__new', consumer, { subject });
    }
    this.#consumer = consumer;
  }

  /** The records committed now, oldest first (none: an empty array); never waits. */
  consume(): RingbufRecord<V>[] {
    this.#checkUsable('consume');
    return this.#records(this.#consumer.consume(), 'ring_buffer__consume');
  }

  /**
   * Waits up to `timeoutMs` (left out: without limit) until the ring holds records or a producer wakes its
   * consumer, then drains it: the records, or none when the time ran out or the ring was closed meanwhile.
   * The wait is off the JS thread. One poll at a time.
   */
  async poll(options?: RingbufPollOptions): Promise<RingbufRecord<V>[]> {
    const timeoutMs = this.#timeout(options);
    this.#checkUsable('poll');
    this.#polling = true;
    try {
      const batch = await this.#consumer.poll(timeoutMs);
      if (batch === EINTR && this.closed) return [];
      return this.#records(batch, 'ring_buffer__poll');
    } finally {
      this.#polling = false;
    }
  }

  /** Every record from now on, polling as they come; ends when the ring is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RingbufRecord<V>, void, undefined> {
    while (!this.closed) {
      for (const record of await this.poll()) yield record;
    }
  }

  /** Closes the consumer and the map handle; a poll in flight settles with no records. Idempotent. */
  override close(): void {
    this.#consumer.close();
    super.close();
  }

  #records(batch: Uint8Array | number, call: LibbpfCall): RingbufRecord<V>[] {
    if (typeof batch === 'number') throw new BpfError(call, batch, { subject: subjectOf({ map: this.name, mapId: this.info.id }) });
    const codec = this.valueCodec;
    const records = batchRecords(batch);
    if (codec === undefined) return records;
    return records.map((r) => (r.length === codec.size ? codec.decode(new DataView(r.buffer, r.byteOffset, r.length), 0) : r));
  }

  /** EBADF once closed (checkOpen); a TypeError while a poll waits (the consumer drains one caller at a time). */
  #checkUsable(op: 'consume' | 'poll'): void {
    this.checkOpen('BPF_OBJ_GET_INFO_BY_FD');
    if (this.#polling) throw new TypeError(`${this.where(op)}: a poll() is waiting on this ring buffer; ${op} after it settles`);
  }

  #timeout(options: unknown): number {
    if (options === undefined) return -1;
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.where('poll')}: options must be an object, got ${describeValue(options)}`);
    const timeoutMs = (options as RingbufPollOptions).timeoutMs;
    if (timeoutMs === undefined || timeoutMs === Infinity) return -1;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`${this.where('poll')}: timeoutMs must be a number of milliseconds ≥ 0 (or Infinity), got ${describeValue(timeoutMs)}`);
    }
    return Math.floor(timeoutMs);
  }
}
