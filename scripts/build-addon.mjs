// npm "install" hook: build the native addon where it can work (Linux with libbpf), and never fail the
// install elsewhere: the emulator engine needs no native code, so macOS and unprivileged hosts still get
// a working package. `make setup` builds the addon strictly (BPFKIT_STRICT_BUILD=1) so CI sees failures.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const strict = process.env.BPFKIT_STRICT_BUILD === '1';
if (process.platform !== 'linux') {
  console.log(`bpfkit: skipping the native addon on ${process.platform}; the emulator engine will be used.`);
  process.exit(0);
}
// Build against this Node's own headers; node-gyp must never download them.
const nodedir = dirname(dirname(process.execPath));
// Our dev dependency when developing bpfkit; npm's own bundled node-gyp when installed as a dependency.
function nodeGyp() {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
  } catch {
    return process.env.npm_config_node_gyp;
  }
}
const gyp = nodeGyp();
if (!gyp) {
  console.error('bpfkit: node-gyp not found; the native addon was not built. The emulator engine still works.');
  process.exit(strict ? 1 : 0);
}
// configure + build, not rebuild: rebuild wipes build/, where the BPF objects and tools also live.
const run = (step) => spawnSync(process.execPath, [gyp, step, `--nodedir=${nodedir}`], { stdio: 'inherit' }).status === 0;
if (!(run('configure') && run('build'))) {
  const msg = 'bpfkit: the native addon did not build (needs libbpf-dev, libelf-dev, pkg-config and g++; `make setup` installs them). The emulator engine still works.';
  console.error(msg);
  process.exit(strict ? 1 : 0);
}
