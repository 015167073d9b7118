// Runs the host tools the runner needs (apt-get, dpkg-deb, depmod, xz, zstd) and turns a failure into
// an error that names the tool and shows its stderr.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Runs `tool args`, returning its stdout; throws ToolError (with the install hint when the tool is missing). */
export function runTool(tool: string, args: readonly string[], options: SpawnSyncOptions = {}): Buffer {
  const r = spawnSync(tool, args, { maxBuffer: 1 << 30, ...options });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ToolError(tool, missing ? `${tool} not found: ${installHint()}` : `${tool}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const err = Buffer.isBuffer(r.stderr) ? r.stderr.toString().trim() : String(r.stderr ?? '');
    throw new ToolError(tool, `${tool} ${args.join(' ')} failed (${r.status ?? r.signal}): ${err.slice(-2000)}`);
  }
  return Buffer.isBuffer(r.stdout) ? r.stdout : Buffer.from(String(r.stdout ?? ''));
}

/** The Debian packages the runner uses; `make setup` installs them. */
export const VM_PACKAGES = ['qemu-system-x86', 'busybox-static', 'kmod', 'xz-utils', 'zstd'] as const;

export function installHint(): string {
  return `install the VM runner's packages (Debian/Ubuntu: apt-get install ${VM_PACKAGES.join(' ')}; or run make setup)`;
}
