import type { Codec } from './types.js';
import { roundUp8 } from '../seam/map-layout.js';

/**
 * A per-CPU value as bpf() moves it across the syscall boundary: one slot per possible CPU, each
 * round_up(value_size, 8) bytes (kernel/bpf/hashtab.c: htab_map_copy_value / bpf_percpu_hash_copy).
 */
export function perCpuCodec<T>(element: Codec<T>, cpus: number): Codec<T[]> {
  const stride = roundUp8(element.size);
  const pad = stride - element.size;
  return {
    size: stride * cpus,
    align: 8,
    desc: { kind: 'array', element: element as Codec<unknown>, length: cpus },
    encode(values: T[], view: DataView, offset: number): void {
      if (!Array.isArray(values)) throw new TypeError(`per-CPU value must be an array of ${cpus} values (one per possible CPU)`);
      if (values.length !== cpus) {
        throw new RangeError(`per-CPU value has ${values.length} entries, expected ${cpus} (possibleCpus())`);
      }
      for (let cpu = 0; cpu < cpus; cpu++) {
        const at = offset + cpu * stride;
        element.encode(values[cpu] as T, view, at);
        for (let i = 0; i < pad; i++) view.setUint8(at + element.size + i, 0);
      }
    },
    decode(view: DataView, offset: number): T[] {
      const out = new Array<T>(cpus);
      for (let cpu = 0; cpu < cpus; cpu++) out[cpu] = element.decode(view, offset + cpu * stride);
      return out;
    },
  };
}
