// Raw bytes for tests that drive the byte-level seam (MapHandle) directly.

/** A u32 as the 4 bytes a map key or value holds (host order: little-endian on every BPF host bpfkit runs on). */
export function u32Bytes(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}
