// The consumer of an emulated BPF_MAP_TYPE_RINGBUF (seam/engine.ts RingConsumer), as libbpf's over the kernel's
// ring: consume() drains the committed records (maps/ringbuf.ts consume, ringbuf_process_ring's walk) into one
// batch; poll() waits as poll(2) on the map's fd does (ringbuf_map_poll_kern): not at all while the ring holds
// data, else until a producer's wakeup (a record committed with the consumer caught up, or FORCE_WAKEUP) or
// the timeout, after which the ring is looked at once more. Waiting is Atomics.waitAsync on the ring's wakeup
// word, so producers on any emulated CPU (or this thread) end it.
import type { RingConsumer } from '../seam/engine.js';
import { RingBatchWriter } from '../seam/ring-batch.js';
import { EBADF, EBUSY, EINTR } from '../uapi/errno.js';
import type { RingbufTable } from './maps/ringbuf.js';

export class EmulatedRingConsumer implements RingConsumer {
  readonly #ring: RingbufTable;
  #closed = false;
  #polling = false;
  /** Ends the wait of the poll in flight (close). */
  #interrupt: (() => void) | undefined;

  constructor(ring: RingbufTable) {
    this.#ring = ring;
  }

  consume(): Uint8Array | number {
    if (this.#closed) return EBADF;
    const batch = new RingBatchWriter();
    this.#ring.consume((sample) => batch.add(sample));
    return batch.finish();
  }

  async poll(timeoutMs: number): Promise<Uint8Array | number> {
    if (this.#closed) return EBADF;
    if (this.#polling) return EBUSY;
    this.#polling = true;
    try {
      const seen = this.#ring.wakeups();
      if (this.#ring.available() === 0) {
        const interrupted = new Promise<void>((resolve) => (this.#interrupt = resolve));
        await Promise.race([this.#ring.wakeupAsync(seen, timeoutMs < 0 ? Infinity : timeoutMs), interrupted]);
        this.#interrupt = undefined;
        if (this.#closed) return EINTR;
      }
      return this.#ring.available() === 0 ? new Uint8Array(0) : this.consume();
    } finally {
      this.#polling = false;
    }
  }

  close(): void {
    this.#closed = true;
    this.#interrupt?.();
  }
}
