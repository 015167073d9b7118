// examples/*.ts import 'bpfkit' as users do. Each is compiled (types are checked by `make typecheck`) and
// the runnable one, demo.ts (which uses the others), runs with node on the kernel.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { kernelSkipReason } from '../helpers/kernel.js';

const root = join(import.meta.dirname, '..', '..');
// Inside the package, without a package.json of its own, so 'bpfkit' resolves as the self-reference.
const out = join(root, 'build', 'readme', 'examples');
const sources = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const f of sources) {
  const code = readFileSync(join(root, 'examples', f), 'utf8');
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  writeFileSync(join(out, f.replace(/\.ts$/, '.js')), js);
}

test('examples import the package by its name, never ../src', () => {
  expect(sources).toContain('demo.ts');
  for (const f of sources) {
    const code = readFileSync(join(root, 'examples', f), 'utf8');
    expect(code, f).not.toMatch(/from '\.\.\/src\//);
  }
});

function demo(engine: 'kernel' | 'emulator'): string {
  return execFileSync(process.execPath, [join(out, 'demo.js')], {
    cwd: root,
    env: { ...process.env, BPFKIT_ENGINE: engine },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

const kernelSkip = kernelSkipReason();
if (kernelSkip) console.log(`skipped: examples/demo.ts [kernel]: ${kernelSkip}`);
test.skipIf(kernelSkip !== undefined)('examples/demo.ts runs on the kernel: every map type, the lock fixtures, LRU eviction', () => {
  const text = demo('kernel');
  expect(text).toMatch(/^bpfkit demo — engine: kernel/);
  expect(text).toContain('lru_percpu_hash');
  expect(text).toContain('Counters incremented from 2 CPUs at once');
  expect(text).toMatch(/survivors \{3, 4, 5, 6, 7, 8, 9\}/);
});

// The demo's first two lines on the emulator, then it is stopped: its lock section runs for minutes there.
function demoHead(env: NodeJS.ProcessEnv): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(out, 'demo.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\n');
      if (lines.length > 2) {
        child.kill();
        resolve(lines.slice(0, 2));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`demo exited (${code}) after: ${text}${stderr}`)));
  });
}

test('examples/demo.ts under BPFKIT_ENGINE=emulator says the emulator was chosen, not that there is no kernel', async () => {
  const [first, second] = await demoHead({ ...process.env, BPFKIT_ENGINE: 'emulator' });
  expect(first).toMatch(/^bpfkit demo — engine: emulator, \d+ possible CPUs$/);
  expect(second).toBe('The emulator was chosen (BPFKIT_ENGINE=emulator): maps and programs run on the emulator, its CPUs on worker threads.');
}, 60_000);

// On the emulator the demo's lock section runs 7 fixtures × 10^6 iterations on the interpreter (about 100 s
// on this machine), too long for `make test`; the emulator's lock runs are tested in test/emulator and
// test/diff, and `BPFKIT_ENGINE=emulator make demo` runs this demo there.
