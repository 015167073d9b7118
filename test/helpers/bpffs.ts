// A private bpffs mount for pin tests: mounted in a fresh temp dir, unmounted and removed afterwards,
// so tests never leave pins behind on the host's /sys/fs/bpf.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Bpffs {
  dir: string;
  cleanup(): void;
}

export function mountBpffs(): Bpffs {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-bpffs-'));
  execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
  return {
    dir,
    cleanup() {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
