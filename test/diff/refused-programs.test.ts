// The verifier model against the kernel's verifier on seeded random programs with one planted mistake
// (test/diff/refused-programs.ts), each kind on its own: every program is loaded on both engines and the
// verdict (loaded or refused), the errno and the reason line (lastMeaningfulLine of the log) must be the
// kernel's. `make test` runs 300 programs a kind; BPFKIT_REFUSED_PROGRAMS overrides the count
// (`make difftest` runs 100,000 a kind), BPFKIT_REFUSED_SEED the seed (a number, or 'random') and
// BPFKIT_REFUSED_REPORTED how many divergences a kind reports in full.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, bytes, createMap, features, u32, type BpfMap } from '../../src/index.js';
import type { Engine } from '../../src/seam/engine.js';
import { encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { loadProgram } from '../../src/object/program.js';
import { cpuV4Instructions } from '../../src/emulator/kernel-version.js';
import { describeKernel } from '../helpers/kernel.js';
import { ARRAY_ENTRIES, HASH_ENTRIES, Prng, RESULTS_SIZE, disassemble, minimise, type GeneratedProgram } from './random-programs.js';
import { REFUSAL_KINDS, generateRefused, type RefusalKind } from './refused-programs.js';

const COUNT = Number(process.env.BPFKIT_REFUSED_PROGRAMS ?? 300);
const seedEnv = process.env.BPFKIT_REFUSED_SEED ?? '1';
const SEED = seedEnv === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(seedEnv) >>> 0;
/** Divergences shown in full per kind (each is minimised, a few hundred loads); BPFKIT_REFUSED_REPORTED overrides. */
const MAX_REPORTED = Number(process.env.BPFKIT_REFUSED_REPORTED ?? 3);
/** Log lines shown per engine in a report. */
const LOG_TAIL = 12;

type Outcome = { ok: true } | { ok: false; code: string; reason: string; log: string };

interface Side {
  engine: Engine;
  maps: BpfMap<number, Uint8Array>[];
}

function load(side: Side, p: GeneratedProgram, insns: Insn[]): Outcome {
  try {
    loadProgram({ type: p.type, insns: encodeInsns(insns), name: 'refused', maps: side.maps, engine: side.engine }).close();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    // A program the emulator verified but cannot run (an unemulated helper) has the kernel's verdict.
    if (!(e instanceof BpfVerifierError) && e.code === 'ENOTSUPP' && side.engine instanceof Emulator) return { ok: true };
    if (!(e instanceof BpfVerifierError)) return { ok: false, code: e.code, reason: e.message, log: '' };
    return { ok: false, code: e.code, reason: lastMeaningfulLine(e.log), log: e.log };
  }
}

/** What must agree: the verdict, errno and reason (numbers kept: offsets and sizes are part of it). */
const verdict = (o: Outcome) => (o.ok ? 'loaded' : `${o.code}: ${o.reason}`);
/** The same with numbers blurred: a minimised program keeps the divergence, not the instruction indexes. */
const shape = (k: Outcome, e: Outcome) => `${verdict(k)} | ${verdict(e)}`.replace(/-?\d+/g, 'N');
const tail = (o: Outcome) => (o.ok ? '    (loaded)' : o.log.trim().split('\n').slice(-LOG_TAIL).map((l) => `    ${l}`).join('\n'));

describeKernel('refused programs: the verifier model refuses what the kernel refuses, with its reason', () => {
  const sides = {} as Record<'kernel' | 'emulator', Side>;
  beforeAll(() => {
    for (const [name, engine] of [['kernel', getKernelEngine()], ['emulator', new Emulator({ kernelVersion: features.emulatorKernelVersion() })]] as const) {
      sides[name] = {
        engine,
        maps: [
          createMap({ type: 'array', key: u32, value: bytes(8), maxEntries: ARRAY_ENTRIES, engine }),
          createMap({ type: 'hash', key: u32, value: bytes(8), maxEntries: HASH_ENTRIES, engine }),
          createMap({ type: 'array', key: u32, value: bytes(RESULTS_SIZE), maxEntries: 1, engine }),
        ],
      };
    }
  });
  afterAll(() => {
    for (const s of Object.values(sides)) for (const m of s.maps) m.close();
  });

  test.each(REFUSAL_KINDS)(`%s: ${COUNT} programs`, (kind: RefusalKind) => {
    const isaV4 = cpuV4Instructions(features.emulatorKernelVersion());
    // One stream per kind, so a kind's programs do not depend on which kinds run.
    const rng = new Prng((SEED + 0x9e3779b9 * (REFUSAL_KINDS.indexOf(kind) + 1)) >>> 0);
    const reasons = new Map<string, number>();
    const reports: string[] = [];
    let refused = 0;
    let divergences = 0;
    const start = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const p = generateRefused(rng, kind, { isaV4 });
      const k = load(sides.kernel, p, p.insns);
      const e = load(sides.emulator, p, p.insns);
      if (!k.ok) {
        refused++;
        const r = verdict(k).replace(/-?\d+/g, 'N');
        reasons.set(r, (reasons.get(r) ?? 0) + 1);
      }
      if (verdict(k) === verdict(e)) continue;
      divergences++;
      if (reports.length >= MAX_REPORTED) continue;
      const want = shape(k, e);
      const small = minimise(p.insns, (insns) => shape(load(sides.kernel, p, insns), load(sides.emulator, p, insns)) === want);
      const sk = load(sides.kernel, p, small);
      const se = load(sides.emulator, p, small);
      reports.push([
        `DIVERGENCE: ${kind}, seed ${SEED}, program #${i} (type ${p.type}); minimised from ${p.insns.length} to ${small.length} insns:`,
        disassemble(small),
        `  kernel:   ${verdict(sk)}`,
        tail(sk),
        `  emulator: ${verdict(se)}`,
        tail(se),
      ].join('\n'));
    }
    for (const r of reports) console.log(r);
    const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([m, n]) => `    ${n} × ${m}`).join('\n');
    console.log(`refused programs: ${kind}, seed ${SEED} (BPFKIT_REFUSED_SEED=${SEED} reproduces): ${COUNT} programs, ${refused} refused by the kernel, ` +
      `${divergences} divergences, ${((Date.now() - start) / 1000).toFixed(1)} s${top ? `\n${top}` : ''}`);
    expect(divergences, reports.join('\n\n')).toBe(0);
    // Not vacuous: most plants must be refusals (some land in branches the kernel proves dead, some are
    // the NULL checks it does not need; and it lets root read uninitialised stack, so that kind leans on
    // its spilled-pointer fills).
    expect(refused).toBeGreaterThan(COUNT * (kind === 'uninit-stack' ? 0.15 : 0.4));
    // ~5 ms a program on this machine; uninit-stack's, mostly loaded, take the emulator up to ~300 ms.
    // Room for ten times that, and the minimising: make matrix runs this under QEMU's TCG.
  }, Math.max(300_000, COUNT * 1000));
});
