// The object fuzzer (issue 19): seeded mutations of every built fixture (elf-mutator.ts), each opened and
// loaded on both engines in a child process that the test restarts when it dies. Counted and failed on:
// crashes (the child killed by a signal), hangs (no answer before the deadline), unclear errors (anything
// but a BpfError, or a message that is V8's). Counted and printed by kind, with the mutants' numbers: where
// the engines answer differently (ok against an error, or two errnos; the README says what remains).
// BPFKIT_OBJECT_FUZZ_MUTANTS sets the mutants (default 1000; `make fuzz` runs 10^4),
// BPFKIT_OBJECT_FUZZ_SEED the seed (default: the time).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { Prng } from '../diff/random-programs.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { mutate } from './elf-mutator.js';

const MUTANTS = Number(process.env.BPFKIT_OBJECT_FUZZ_MUTANTS ?? 1000);
const SEED = Number(process.env.BPFKIT_OBJECT_FUZZ_SEED ?? Date.now() % 2 ** 32) >>> 0;
/** Per file. Generous: a mutant may ask the kernel for a multi-GiB map, which takes seconds to create. */
const DEADLINE_MS = 30_000;
const V8_INTERNAL = /Cannot read propert|Invalid typed array length|detached ArrayBuffer|Invalid DataView length|is not a function|is not iterable|Cannot convert|Maximum call stack|Invalid array length|Array buffer allocation failed|Offset is outside the bounds|undefined/;

const dir = mkdtempSync(join(tmpdir(), 'bpfkit-objfuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What an engine answered, for comparing the engines: ok, or the errno's name. */
const answer = (o: Outcome): string => (o.outcome === 'error' ? o.code ?? o.name : o.outcome);

type Outcome = { outcome: 'ok' } | { outcome: 'error'; name: string; code?: string; message: string } | { outcome: 'crash'; signal: string } | { outcome: 'hang' };

/** One engine's child, restarted after a crash or a hang. */
class Runner {
  #child: ChildProcess | undefined;
  constructor(readonly engine: 'kernel' | 'emulator') {}

  async #start(): Promise<ChildProcess> {
    const child = fork(join(packageRoot(), 'test', 'helpers', 'object-fuzz-child.mjs'), [this.engine], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: ['--max-old-space-size=512'] });
    child.stderr?.resume();
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code, signal) => reject(new Error(`the fuzz child died at start: ${code ?? signal}`)));
    });
    return child;
  }

  async run(path: string): Promise<Outcome> {
    const child = (this.#child ??= await this.#start());
    return new Promise<Outcome>((resolve) => {
      const done = (o: Outcome): void => {
        clearTimeout(timer);
        child.removeAllListeners('message');
        child.removeAllListeners('exit');
        if (o.outcome === 'crash' || o.outcome === 'hang') this.#child = undefined;
        resolve(o);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done({ outcome: 'hang' });
      }, DEADLINE_MS);
      child.once('message', (m) => done(m as Outcome));
      child.once('exit', (_code, signal) => done({ outcome: 'crash', signal: String(signal) }));
      child.send(path);
    });
  }

  stop(): void {
    this.#child?.kill();
  }
}

const engines: ('kernel' | 'emulator')[] = ['emulator'];
const kernelSkip = kernelSkipReason();
if (kernelSkip) console.log(`skipped: object fuzz on the kernel engine: ${kernelSkip}`);
else engines.push('kernel');

/**
 * Fixtures whose verification is itself the work (the verification benchmark's loop walks 851,985
 * instructions): every mutant that keeps the loop costs seconds, which under QEMU's TCG passes the hang
 * deadline. The fuzz is about hostile bytes, which the other fixtures carry as well.
 */
const costlyToVerify = new Set(['bounded_loop.bpf.o']);

const seeds = (() => {
  try {
    const built = join(packageRoot(), 'build', 'bpf');
    return readdirSync(built).filter((f) => f.endsWith('.bpf.o') && !costlyToVerify.has(f)).sort().map((f) => new Uint8Array(readFileSync(join(built, f))));
  } catch {
    return [];
  }
})();
if (seeds.length === 0) console.log('skipped: object fuzz: no built fixtures in build/bpf (run make setup)');

test.skipIf(seeds.length === 0)(`${MUTANTS} mutated objects (seed ${SEED}) on ${engines.join(' and ')}: no crash, no hang, every error bpfkit's`, async () => {
  const rng = new Prng(SEED);
  const runners = engines.map((e) => new Runner(e));
  const bad: string[] = [];
  const tally: Record<string, Record<string, number>> = {};
  let divergent = 0;
  const divergences: Record<string, number[]> = {};
  try {
    for (let i = 0; i < MUTANTS; i++) {
      const path = join(dir, `m${i}.bpf.o`);
      writeFileSync(path, mutate(rng.pick(seeds), rng));
      const outcomes: Outcome[] = [];
      for (const r of runners) {
        const o = await r.run(path);
        outcomes.push(o);
        const key = o.outcome === 'error' ? `error ${o.code ?? o.name}` : o.outcome;
        (tally[r.engine] ??= {})[key] = (tally[r.engine]![key] ?? 0) + 1;
        const unclear = o.outcome === 'error' && (o.name !== 'BpfError' && o.name !== 'BpfVerifierError' || V8_INTERNAL.test(o.message));
        if (o.outcome === 'crash' || o.outcome === 'hang' || unclear) bad.push(`mutant ${i} on ${r.engine}: ${JSON.stringify(o)}`);
      }
      if (outcomes.length === 2) {
        const [emulator, kernel] = outcomes.map(answer);
        if (emulator !== kernel) {
          const key = `kernel ${kernel}, emulator ${emulator}`;
          divergent++;
          (divergences[key] ??= []).push(i);
        }
      }
      if (bad.length >= 10) break;
    }
  } finally {
    for (const r of runners) r.stop();
  }
  console.log(`object fuzz, seed ${SEED} (BPFKIT_OBJECT_FUZZ_SEED reproduces): ${MUTANTS} mutants; ${JSON.stringify(tally)}; engines answered differently on ${divergent}`);
  for (const [key, mutants] of Object.entries(divergences).sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${key}: ${mutants.length} (mutants ${mutants.slice(0, 5).join(', ')}${mutants.length > 5 ? ', ...' : ''})`);
  }
  expect(bad).toEqual([]);
}, Math.max(600_000, MUTANTS * 200));
