// Kernel vs emulator on seeded random programs (test/diff/random-programs.ts): each program runs on both
// engines with the same packet/ctx and freshly created maps of the same contents; retval, packet out,
// ctx out and every map afterwards must be identical. `make test` runs 5,000 programs;
// BPFKIT_DIFF_PROGRAMS overrides the count (`make difftest` runs 100,000). BPFKIT_DIFF_SEED sets the seed
// (a number, or 'random').
import { expect, test } from 'vitest';
import { BpfVerifierError, Emulator, features, type BpfMap, type EngineOption } from '../../src/index.js';
import { encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { loadProgram, type BpfProgram } from '../../src/object/program.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { cpuV4Instructions } from '../../src/emulator/kernel-version.js';
import { describeKernel } from '../helpers/kernel.js';
import {
  Prng, createProgramMaps, disassemble, u64le, generateProgram, minimise, type GeneratedProgram,
} from './random-programs.js';

const COUNT = Number(process.env.BPFKIT_DIFF_PROGRAMS ?? 5000);
// `make test` is deterministic (seed 1); `make difftest` explores (BPFKIT_DIFF_SEED=random).
const seedEnv = process.env.BPFKIT_DIFF_SEED ?? '1';
const SEED = seedEnv === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(seedEnv) >>> 0;
/** Report at most this many divergences in full (each is minimised, which takes a few hundred loads). */
const MAX_REPORTED = 5;

interface Outcome {
  run: { retval: number; data?: string; ctx?: string } | { error: string };
  maps: Record<string, string[]>;
}

type SideResult = Outcome | { rejected: string };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function dump(map: BpfMap<number, Uint8Array>): string[] {
  return [...map.entries()].map(([k, v]) => `${k}=${hex(v as Uint8Array)}`).sort();
}

function runOn(engine: EngineOption, p: GeneratedProgram, insns: Insn[]): SideResult {
  const maps = createProgramMaps(p, engine);
  const [array, hash, results] = maps as [BpfMap<number, Uint8Array>, BpfMap<number, Uint8Array>, BpfMap<number, Uint8Array>];
  let prog: BpfProgram | undefined;
  try {
    try {
      prog = loadProgram({ type: p.type, insns: encodeInsns(insns), name: 'rnd', maps, engine });
    } catch (e) {
      if (e instanceof BpfVerifierError) return { rejected: e.message };
      throw e;
    }
    let run: Outcome['run'];
    try {
      const r = prog.run({ ...(p.data ? { data: p.data } : {}), ...(p.ctx ? { ctx: p.ctx } : {}), repeat: p.repeat });
      run = { retval: r.retval, ...(r.data ? { data: hex(r.data) } : {}), ...(r.ctx ? { ctx: hex(r.ctx) } : {}) };
    } catch (e) {
      run = { error: (e as { code?: string }).code ?? String(e) };
    }
    return { run, maps: { array: dump(array), hash: dump(hash), results: dump(results) } };
  } finally {
    prog?.close();
    for (const m of maps) m.close();
  }
}

/** One program on the kernel and on both of the emulator's executions (interpreter and compiler). */
type Sides = { kernel: SideResult } & Record<Execution, SideResult>;

function both(p: GeneratedProgram, insns: Insn[], seed: number): Sides {
  const sides = { kernel: runOn(getKernelEngine(), p, insns) } as Sides;
  for (const execution of EXECUTIONS) sides[execution] = runOn(new Emulator({ seed, execution, kernelVersion: features.emulatorKernelVersion() }), p, insns);
  return sides;
}

/** Which parts differ ('' when none, or when the kernel refused the program). */
function signature1(k: SideResult, e: SideResult): string {
  if ('rejected' in k) return '';
  if ('rejected' in e) return 'emulator refused';
  const parts: string[] = [];
  const kr = k.run as Record<string, unknown>;
  const er = e.run as Record<string, unknown>;
  for (const f of new Set([...Object.keys(kr), ...Object.keys(er)])) if (JSON.stringify(kr[f]) !== JSON.stringify(er[f])) parts.push(f);
  for (const m of Object.keys(k.maps)) if (JSON.stringify(k.maps[m]) !== JSON.stringify(e.maps[m])) parts.push(`map ${m}`);
  return parts.join(',');
}
/** The parts each execution gets wrong against the kernel ('' when none). */
function signature(r: Sides): string {
  return EXECUTIONS.map((execution) => {
    const sig = signature1(r.kernel, r[execution]);
    return sig === '' ? '' : `${execution}: ${sig}`;
  }).filter((s) => s !== '').join('; ');
}
const diverged = (r: Sides) => signature(r) !== '';

describeKernel('random programs: the emulator answers as the kernel does', () => {
  test(`${COUNT} seeded random programs`, () => {
    // Kernels before 6.6 refuse the v4 instructions: programs for them keep to the older set.
    const isaV4 = cpuV4Instructions(features.emulatorKernelVersion());
    console.log(`random programs: seed ${SEED} (BPFKIT_DIFF_SEED=${SEED} reproduces), ${COUNT} programs${isaV4 ? '' : ', without v4 instructions (kernel before 6.6)'}`);
    const rng = new Prng(SEED);
    let ran = 0;
    let rejected = 0;
    let insnTotal = 0;
    const reasons = new Map<string, number>();
    const reports: string[] = [];
    let divergences = 0;
    // What the programs did on the kernel, to show the comparison is not vacuous.
    const seen = { runErrors: 0, packetWritten: 0, ctxWritten: 0, hashChanged: 0, arrayChanged: 0 };
    const retvals = new Set<number>();
    const errors = new Map<string, number>();
    const start = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const p = generateProgram(rng, { isaV4 });
      insnTotal += p.insns.length;
      const r = both(p, p.insns, i + 1);
      if ('rejected' in r.kernel) {
        rejected++;
        const reason = r.kernel.rejected.replace(/\d+/g, 'N');
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        continue;
      }
      ran++;
      const k = r.kernel;
      if ('error' in k.run) { seen.runErrors++; errors.set(k.run.error, (errors.get(k.run.error) ?? 0) + 1); }
      else {
        retvals.add(k.run.retval);
        if (p.data && k.run.data !== hex(p.data)) seen.packetWritten++;
        if (p.ctx && k.run.ctx !== undefined && k.run.ctx.slice(0, 16) + k.run.ctx.slice(96, 136) !== hex(p.ctx).slice(0, 16) + hex(p.ctx).slice(96, 136)) seen.ctxWritten++;
      }
      if (k.maps.hash!.length !== p.hash.length || k.maps.hash!.some((e) => !p.hash.some(([key, v]) => e === `${key}=${hex(u64le(v))}`))) seen.hashChanged++;
      if (p.array.some(([key, v]) => !k.maps.array!.includes(`${key}=${hex(u64le(v))}`))) seen.arrayChanged++;
      if (!diverged(r)) continue;
      divergences++;
      if (reports.length >= MAX_REPORTED) continue;
      // Shrink while the same parts differ (so the minimised program shows this divergence, not another).
      const sig = signature(r);
      const small = minimise(p.insns, (insns) => signature(both(p, insns, i + 1)) === sig);
      const again = both(p, small, i + 1);
      reports.push([
        `DIVERGENCE: seed ${SEED}, program #${i} (type ${p.type}, repeat ${p.repeat}, data ${p.data ? hex(p.data) : '-'}, ctx ${p.ctx ? hex(p.ctx) : '-'})`,
        `  array ${JSON.stringify(p.array.map(([k, v]) => [k, v.toString(16)]))} hash ${JSON.stringify(p.hash.map(([k, v]) => [k, v.toString(16)]))}`,
        `  differs in: ${sig}; minimised from ${p.insns.length} to ${small.length} insns:`,
        disassemble(small),
        `  kernel:      ${JSON.stringify(again.kernel)}`,
        `  interpreter: ${JSON.stringify(again.interpreter)}`,
        `  compiled:    ${JSON.stringify(again.compiled)}`,
      ].join('\n'));
    }
    for (const r of reports) console.log(r);
    const top = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([m, n]) => `    ${n} × ${m}`).join('\n');
    console.log(`random programs: seed ${SEED}: ${COUNT} generated (${(insnTotal / COUNT).toFixed(0)} insns avg), ${ran} run on the kernel and both emulator executions, ` +
      `${rejected} rejected by the verifier (${((100 * rejected) / COUNT).toFixed(2)}%), ${divergences} divergences, ${((Date.now() - start) / 1000).toFixed(1)} s` +
      `\n  on the kernel: ${retvals.size} distinct retvals, ${seen.runErrors} runs refused (${[...errors].map(([c, n]) => `${n} ${c}`).join(', ') || 'none'}), ${seen.packetWritten} packets, ` +
      `${seen.ctxWritten} contexts (mark/cb), ${seen.arrayChanged} ARRAY and ${seen.hashChanged} HASH maps changed` +
      (top ? `\n  rejections:\n${top}` : ''));
    expect(divergences, reports.join('\n\n')).toBe(0);
    // Not vacuous: almost every program must get past the verifier.
    expect(rejected).toBeLessThan(Math.max(5, COUNT * 0.05));
  }, Math.max(600_000, COUNT * 1000)); // ~6 ms a program here (100,000 took 637 s); 190–380 ms under QEMU TCG in make matrix
});
