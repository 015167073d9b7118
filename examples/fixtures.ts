// Where this repository's BPF fixtures are (bpf/NAME.bpf.c, built by `make setup` into build/bpf/), found
// from this file whether it runs as examples/*.ts or compiled into build/tools/examples/. Your own program
// would open its own .bpf.o path instead.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function fixture(name: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bpf'))) return join(dir, 'build', 'bpf', `${name}.bpf.o`);
    if (dirname(dir) === dir) throw new Error(`the bpfkit repository's build/bpf/ was not found above ${fileURLToPath(import.meta.url)}`);
  }
}
