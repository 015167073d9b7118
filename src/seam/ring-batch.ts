// A batch of ring buffer records as both engines hand them over (native/ringbuf.cc writes it, the emulator's
// consumer too): records back to back, each a u32 length (little-endian, the host's on x86-64 and arm64), 4
// bytes of padding, then the sample padded to 8 bytes. One copy per record into the batch; reading it makes
// views, no copies.

/** The bytes before each record's sample. */
export const RING_BATCH_HEADER = 8;

const padded = (n: number): number => (n + 7) & ~7;

/** The records of `batch`, in order, as views into it. */
export function batchRecords(batch: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  for (let at = 0; at + RING_BATCH_HEADER <= batch.length;) {
    const len = view.getUint32(at, true);
    const sample = at + RING_BATCH_HEADER;
    if (sample + len > batch.length) throw new RangeError(`a ring batch's record at ${at} runs past its end`);
    out.push(batch.subarray(sample, sample + len));
    at = sample + padded(len);
  }
  return out;
}

/** Builds a batch record by record (the emulator's consumer). */
export class RingBatchWriter {
  #bytes = new Uint8Array(4096);
  #size = 0;

  /** Copies `sample` in, after its length. */
  add(sample: Uint8Array): void {
    const need = RING_BATCH_HEADER + padded(sample.length);
    if (this.#size + need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#size + need));
      grown.set(this.#bytes.subarray(0, this.#size));
      this.#bytes = grown;
    }
    new DataView(this.#bytes.buffer).setUint32(this.#size, sample.length, true);
    this.#bytes.set(sample, this.#size + RING_BATCH_HEADER);
    this.#size += need;
  }

  /** The batch so far (a view of this writer's buffer: take it once, then drop the writer). */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#size);
  }
}
