// Where the VM runner keeps what it fetches and builds: per user, never inside the package.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $BPFKIT_CACHE_DIR, else $XDG_CACHE_HOME/bpfkit, else ~/.cache/bpfkit. */
export function bpfkitCacheDir(): string {
  if (process.env.BPFKIT_CACHE_DIR) return process.env.BPFKIT_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'bpfkit');
}

/** Progress lines ("downloading ...") so a first use's wait is visible; the default writes to stderr. */
export type Progress = (message: string) => void;
export const stderrProgress: Progress = (message) => process.stderr.write(`bpfkit vm: ${message}\n`);
