// `bpfkit include-dir`: the folder holding bpfkit.h (the bpf_res_spin_lock type and its kfuncs, declared
// against the uapi <linux/bpf.h>), for a BPF program's compile line: clang ... -I"$(npx bpfkit include-dir)".
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** The package's bpf/include folder (shipped: package.json "files" has bpf). */
export const includeDir = (): string => join(packageRoot(), 'bpf', 'include');

export function includeDirMain(args: readonly string[]): number {
  if (args.length > 0) {
    process.stderr.write('usage: bpfkit include-dir\n');
    return 2;
  }
  const dir = includeDir();
  if (!existsSync(join(dir, 'bpfkit.h'))) {
    process.stderr.write(`bpfkit include-dir: ${join(dir, 'bpfkit.h')} is missing: this copy of bpfkit was packed without its bpf folder\n`);
    return 1;
  }
  process.stdout.write(`${dir}\n`);
  return 0;
}
