import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The bpfkit package folder (where binding.gyp and build/ live), found by walking up from this file,
 * so the addon and the BPF objects are found from src/ (tests), dist/ (the package) and build/tools/
 * (compiled examples and benches) alike.
 */
export function packageRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'binding.gyp')) && existsSync(join(dir, 'package.json'))) return (root = dir);
    if (dirname(dir) === dir) return (root = join(start, '..'));
  }
}

/** A BPF object built by the Makefile (bpf/NAME.bpf.c → build/bpf/NAME.bpf.o). */
export function bpfObjectPath(name: string): string {
  return join(packageRoot(), 'build', 'bpf', `${name}.bpf.o`);
}
