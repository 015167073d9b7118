// Programs per run: the kernel's JIT against the emulator, compiled (programs/compiler.ts) and interpreted
// (programs/interpreter.ts), each with BPF_PROG_TEST_RUN `repeat` in this one process. Four XDP fixtures:
// bpf/bench_alu.bpf.c (1000 iterations of 64-bit multiply/xor/shift), bpf/bench_xdp.bpf.c (Ethernet/IPv4/
// TCP parse, flow counted in a HASH map), bpf/bench_csum.bpf.c (checksum of a 1 KiB packet),
// bpf/bench_atomic.bpf.c (BPF_ATOMIC on a map value, shared memory in the emulator, and on the stack).
// ns/run is what each engine reports as the run's duration (the kernel's own clock; the emulator's
// hrtime around its repeat loop); "call ns/run" is the wall time of run({ repeat }) per run, so the
// difference is what the call itself costs per run.
import { readFileSync } from 'node:fs';
import { Emulator, loadProgram, openObject, ProgramType, type Engine } from '../src/index.js';
import { asm, encodeInsns } from '../src/uapi/isa.js';
import { getKernelEngine, kernelUnavailableReasons } from '../src/kernel/engine.js';
import { plainRunInput, prepareContext } from '../src/emulator/programs/contexts.js';
import { DEFAULT_KERNEL_VERSION } from '../src/emulator/kernel-version.js';
import { execute } from '../src/emulator/programs/interpreter.js';
import { parseObject } from '../src/elf/object.js';
import { Memory, ProgramFault } from '../src/emulator/programs/memory.js';
import { fixture } from '../examples/fixtures.js';
import { printTable } from '../examples/table.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export interface Case {
  object: string;
  program: string;
  data: Uint8Array;
  /** Runs per run({ repeat }) call, per engine: the emulator's interpreter gets fewer (it is slower). */
  repeat: number;
}

/** Ethernet + IPv4 (ihl 5) + TCP, 10.0.0.1:1234 → 10.0.0.2:80, padded to `size`. */
function tcpPacket(size: number): Uint8Array {
  const p = new Uint8Array(size);
  const v = new DataView(p.buffer);
  v.setUint16(12, 0x0800); // ETH_P_IP
  p[14] = 0x45; // version 4, ihl 5
  v.setUint16(16, size - 14);
  p[23] = 6; // IPPROTO_TCP
  p.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  v.setUint16(34, 1234);
  v.setUint16(36, 80);
  p[46] = 0x50; // data offset 5
  return p;
}

const seeded = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 131 + 7) & 0xff);

export const cases: Case[] = [
  { object: 'bench_alu', program: 'bench_alu', data: seeded(64), repeat: 2000 },
  { object: 'bench_xdp', program: 'bench_xdp', data: tcpPacket(64), repeat: 100_000 },
  { object: 'bench_csum', program: 'bench_csum', data: seeded(1024), repeat: 5000 },
  { object: 'bench_atomic', program: 'bench_atomic', data: seeded(64), repeat: 2000 },
];

export interface Timing {
  /** ns per run as the engine reports it (best of ROUNDS). */
  run: number;
  /** ns per run of the whole run({ repeat }) call. */
  call: number;
  retval: number;
}

export function measure(engine: Engine, c: Case, repeat: number): Timing {
  using obj = openObject(fixture(c.object), { engine });
  const prog = obj.program(c.program);
  prog.run({ data: c.data, repeat: Math.max(1, repeat >> 4) }); // warm-up: compiles, JITs, fills the map
  let run = Infinity;
  let call = Infinity;
  let retval = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    const res = prog.run({ data: c.data, repeat });
    const wall = Number(process.hrtime.bigint() - t0) / repeat;
    run = Math.min(run, res.duration);
    call = Math.min(call, wall);
    retval = res.retval;
  }
  return { run, call, retval };
}

/**
 * Instructions one run executes, found by bisecting the interpreter's instruction limit (the run faults
 * exactly when the limit is below its count). Only for programs without maps (no relocations to link).
 */
function executedInsns(c: Case): number | undefined {
  const parsed = parseObject(readFileSync(fixture(c.object)), `${c.object}.bpf.o`);
  const p = parsed.programs.find((x) => x.name === c.program)!;
  if (p.relocs.length > 0) return undefined;
  const runs = (limit: number): boolean => {
    const memory = new Memory();
    const prepared = prepareContext(p.type, plainRunInput(c.data, null), memory, DEFAULT_KERNEL_VERSION);
    if (typeof prepared === 'number') throw new Error(`context for ${c.program}: ${prepared}`);
    const env = { memory, insnLimit: limit, callHelper: () => 0n, callKfunc: () => 0n };
    try {
      execute({ insns: p.insns, name: p.name }, env, prepared.r1);
      return true;
    } catch (e) {
      if (e instanceof ProgramFault && e.reason.startsWith('instruction limit')) return false;
      throw e;
    }
  };
  let lo = 1;
  let hi = 1 << 24;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * One run() call as a test makes it (no repeat), ns per call, best of ROUNDS batches of CALLS: what the
 * call itself costs (arguments, context, the syscall or the emulator's run set-up, the result) around a
 * program that does nothing, and around the XDP parse.
 */
const CALLS = 20_000;

function callCost(make: () => { run: (o: { data: Uint8Array }) => unknown; close: () => void }, data: Uint8Array): number {
  const prog = make();
  try {
    for (let i = 0; i < CALLS; i++) prog.run({ data }); // warm-up
    let best = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) prog.run({ data });
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / CALLS);
    }
    return best;
  } finally {
    prog.close();
  }
}

function runCallBench(kernel: Engine | undefined): void {
  const tiny = encodeInsns([asm.mov64Imm(0, 2), asm.exit()]);
  const programs: [string, (engine: Engine) => () => { run: (o: { data: Uint8Array }) => unknown; close: () => void }, Uint8Array][] = [
    ['tc: r0 = 2; exit', (engine) => () => loadProgram({ type: ProgramType.SchedCls, insns: tiny, engine }), new Uint8Array(64)],
    ['xdp: bench_xdp', (engine) => () => {
      const obj = openObject(fixture('bench_xdp'), { engine });
      return { run: (o) => obj.program('bench_xdp').run(o), close: () => obj.close() };
    }, tcpPacket(64)],
  ];
  const rows = programs.map(([name, make, data]) => {
    const k = kernel ? callCost(make(kernel), data) : undefined;
    const emulated = (['compiled', 'interpreter'] as const).map((execution) => {
      const engine = new Emulator({ execution });
      return callCost(make(engine), data);
    });
    const vs = (t: number): string => (k ? `${(t / k).toFixed(2)}×` : '-');
    return [name, k ? k.toFixed(0) : '-', emulated[0]!.toFixed(0), vs(emulated[0]!), emulated[1]!.toFixed(0), vs(emulated[1]!)];
  });
  console.log(`
One run({ data }) call, ns (best of ${ROUNDS} × ${CALLS}; bench/programs.ts):`);
  printTable(['program', 'kernel', 'compiled', 'vs kernel', 'interpreter', 'vs kernel'], rows);
}

export function runProgramBench(): void {
  const kernel = kernelUnavailableReasons().length === 0 ? getKernelEngine() : undefined;
  if (!kernel) console.log(`\nProgram bench: the kernel engine is unavailable (${kernelUnavailableReasons().join('; ')}); emulator only.`);
  const rows: string[][] = [];
  for (const c of cases) {
    const k = kernel ? measure(kernel, c, c.repeat) : undefined;
    const compiled = measure(new Emulator({ execution: 'compiled' }), c, c.repeat);
    const interpreted = measure(new Emulator({ execution: 'interpreter' }), c, Math.max(100, c.repeat >> 5));
    const retvals = new Set([k?.retval ?? compiled.retval, compiled.retval, interpreted.retval]);
    if (retvals.size !== 1) throw new Error(`${c.program}: the engines disagree on retval: ${[...retvals].join(', ')}`);
    const insns = executedInsns(c);
    const ratio = (t: Timing): string => (k ? `${(t.run / k.run).toFixed(1)}×` : '-');
    rows.push([
      c.program,
      k ? k.run.toFixed(0) : '-',
      compiled.run.toFixed(0), ratio(compiled), (compiled.call - compiled.run).toFixed(0),
      interpreted.run.toFixed(0), ratio(interpreted),
      insns ? `${((insns / interpreted.run) * 1e3).toFixed(1)} M/s (${insns} insns)` : '-',
      insns ? `${((insns / compiled.run) * 1e3).toFixed(0)} M/s` : '-',
    ]);
  }
  console.log('\nPrograms, ns per run (BPF_PROG_TEST_RUN repeat; best of ' + ROUNDS + '; bench/programs.ts):');
  printTable(
    ['program', 'kernel JIT', 'compiled', 'vs JIT', 'call overhead', 'interpreter', 'vs JIT', 'interpreter insn/s', 'compiled insn/s'],
    rows,
  );
  runCallBench(kernel);
}

// Alone: node build/tools/bench/programs.js (make bench runs it from run.ts).
if (import.meta.url === `file://${process.argv[1]}`) runProgramBench();
