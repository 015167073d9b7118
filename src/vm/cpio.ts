// A writer for the "newc" cpio format the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst): no cpio binary needed.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const pad4 = (n: number) => (4 - (n % 4)) % 4;
const hex8 = (n: number) => n.toString(16).padStart(8, '0');

function record(ino: number, mode: number, data: Uint8Array, name: string, rdev: [number, number] = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
  return Buffer.concat([
    header,
    nameBytes,
    Buffer.alloc(pad4(header.length + nameBytes.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ]);
}

/** The archive for `entries` (parents before children), ended by the TRAILER!!! record. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts = entries.map((e, i) => {
    const name = e.path.replace(/^\/+/, '');
    switch (e.kind) {
      case 'dir':
        return record(i + 1, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0), name);
      case 'file':
        return record(i + 1, S_IFREG | (e.mode ?? 0o644), e.data, name);
      case 'symlink':
        return record(i + 1, S_IFLNK | 0o777, Buffer.from(e.target), name);
      case 'chardev':
        return record(i + 1, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), name, [e.major, e.minor]);
    }
  });
  parts.push(record(0, 0, new Uint8Array(0), 'TRAILER!!!'));
  return Buffer.concat(parts);
}
