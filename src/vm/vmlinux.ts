// The uncompressed kernel (ELF vmlinux) out of a bzImage, so QEMU can boot it through its PVH entry
// and skip the guest's own decompression (slow under TCG).
import { readFileSync, writeFileSync } from 'node:fs';
import { runTool } from './exec.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function isElf(image: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => image[i] === b);
}

/** Compressed payload kinds the x86 boot stub uses (arch/x86/boot/compressed/Makefile), by magic. */
// xz and zstd payloads end with the 4-byte decompressed size (the Makefile's *_with_size commands),
// which the tools would take for a truncated second stream: it is cut off first.
const DECOMPRESSORS: ReadonlyArray<{ magic: number[]; tool: string; args: string[]; sizeTrailer: boolean }> = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], tool: 'xz', args: ['-dc', '--single-stream'], sizeTrailer: true },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], tool: 'zstd', args: ['-dcq'], sizeTrailer: true },
  { magic: [0x1f, 0x8b], tool: 'gzip', args: ['-dc'], sizeTrailer: false },
];

/**
 * Writes the ELF vmlinux inside a bzImage to `out`. The payload's place is in the boot protocol
 * header (Documentation/arch/x86/boot.rst): setup_sects at 0x1f1, payload_offset/length at 0x248.
 */
export function extractVmlinux(bzImage: string, out: string): void {
  const image = readFileSync(bzImage);
  if (isElf(image)) {
    writeFileSync(out, image);
    return;
  }
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw new Error(`bpfkit vm: ${bzImage} is neither an ELF vmlinux nor an x86 bzImage`);
  }
  const setupSects = image[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + image.readUInt32LE(0x248);
  const payload = image.subarray(start, start + image.readUInt32LE(0x24c));
  const d = DECOMPRESSORS.find((c) => c.magic.every((b, i) => payload[i] === b));
  if (!d) throw new Error(`bpfkit vm: ${bzImage}: unsupported kernel compression (magic ${payload.subarray(0, 4).toString('hex')})`);
  let vmlinux: Buffer;
  try {
    vmlinux = runTool(d.tool, d.args, { input: d.sizeTrailer ? payload.subarray(0, payload.length - 4) : payload });
  } catch (e) {
    throw new Error(`bpfkit vm: cannot decompress ${bzImage}: ${(e as Error).message}`);
  }
  if (!isElf(vmlinux)) throw new Error(`bpfkit vm: ${bzImage}: the decompressed payload is not an ELF vmlinux`);
  writeFileSync(out, vmlinux);
}
