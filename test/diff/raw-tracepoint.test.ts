// bpf/raw_tp_args.bpf.c on the kernel and on the emulator (both executions): BPF_PROG_TEST_RUN of raw
// tracepoint programs (net/bpf/test_run.c bpf_prog_test_run_raw_tp). The arguments go in as ctx_in: every
// length from none to past MAX_BPF_FUNC_ARGS u64s against what the program reads (max_ctx_offset), the
// buffers and repeat the runner refuses, BPF_F_TEST_RUN_ON_CPU with each CPU and past the last, the flags it
// ignores, runs on another thread; then the per-CPU run counts the program kept, a raw_tp.w program's run,
// a tp_btf program's (bpf_prog_test_run_tracing: EFAULT, or EINVAL for a cpu) and the verifier's refusal of
// a 13th argument. Every answer must be the kernel's.
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, possibleCpus, TestRunFlags, u32, u64, type Engine, type RunOptions } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

/** The arguments as a raw tracepoint gets them: u64s, little-endian. */
function args(...values: bigint[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigUint64(i * 8, v, true));
  return bytes;
}

/** A run's retval, or the errno BPF_PROG_TEST_RUN (or the load) refused it with. */
async function answer(f: () => { retval: number; ctx?: Uint8Array } | Promise<{ retval: number; ctx?: Uint8Array }>): Promise<string> {
  try {
    const r = await f();
    return r.ctx === undefined ? String(r.retval) : `${r.retval} with a ctx out`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e instanceof BpfVerifierError ? `${e.code}: ${lastMeaningfulLine(e.log)}` : e.code;
  }
}

const onCpu = (cpu: number, flags = 0): RunOptions => ({ cpu, flags: (TestRunFlags.RunOnCpu | flags) >>> 0 });
const three = args(5n, 7n << 32n, 2n);

async function runs(side: Side): Promise<string[]> {
  const engine = engineFor(side);
  const cpus = possibleCpus(engine);
  using obj = openObject(fixture('raw_tp_args'), { engine, programs: ['mix', 'first', 'cpu', 'writable'] });
  const mix = obj.program('mix');
  const first = obj.program('first');
  const cpu = obj.program('cpu');
  const cases: [string, () => ReturnType<typeof mix.run> | Promise<ReturnType<typeof mix.run>>][] = [
    ['mix: 3 arguments', () => mix.run({ ctx: three, ...onCpu(0) })],
    ['mix: 12 arguments', () => mix.run({ ctx: args(5n, 7n << 32n, 2n, ...Array<bigint>(9).fill(1n)), ...onCpu(cpus - 1) })],
    ['mix: 13 arguments', () => mix.run({ ctx: args(...Array<bigint>(13).fill(1n)) })],
    ['mix: 2 arguments (it reads 3)', () => mix.run({ ctx: args(5n, 7n) })],
    ['mix: 20 bytes', () => mix.run({ ctx: new Uint8Array(20) })],
    ['mix: 25 bytes', () => mix.run({ ctx: new Uint8Array(25).fill(1), ...onCpu(0) })],
    ['mix: no arguments', () => mix.run()],
    ['mix: repeat 1', () => mix.run({ ctx: three, repeat: 1 })],
    ['mix: a packet', () => mix.run({ ctx: three, data: new Uint8Array(64) })],
    ['mix: on another thread', () => mix.runAsync({ ctx: three, ...onCpu(cpus - 1) })],
    ['first: 7 bytes', () => first.run({ ctx: new Uint8Array([1, 2, 3, 4, 5, 6, 7]) })],
    ['first: 8 bytes', () => first.run({ ctx: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })],
    ['first: 9 bytes', () => first.run({ ctx: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) })],
    ['cpu: no arguments', async () => ({ ...cpu.run(), retval: 0 })], // ran on whichever CPU the caller was on
    ...Array.from({ length: cpus }, (_, i): (typeof cases)[number] => [`cpu: on CPU ${i}`, () => cpu.run(onCpu(i))]),
    ['cpu: on CPU past the last', () => cpu.run(onCpu(cpus))],
    ['cpu: a cpu without BPF_F_TEST_RUN_ON_CPU', () => cpu.run({ cpu: 1 })],
    ['cpu: other flags are not looked at', () => cpu.run(onCpu(cpus - 1, 0x80000006))],
    ['cpu: on CPU 0 from another thread', () => cpu.runAsync(onCpu(0))],
    ['writable (raw_tp.w)', () => obj.program('writable').run({ ctx: args(1n) })],
  ];
  const out: string[] = [];
  for (const [name, run] of cases) out.push(`${name}: ${await answer(run)}`);
  // The runs `mix` counted, per CPU: each went where BPF_F_TEST_RUN_ON_CPU sent it.
  using counts = obj.map('runs', { key: u32, value: u64, perCpu: true });
  out.push(`runs per CPU: ${counts.get(0)!.join(' ')}`);
  if (features.btf()) {
    // tp_btf resolves its target in the kernel's BTF (without it, libbpf cannot load the program).
    using typed = openObject(fixture('raw_tp_args'), { engine, programs: ['typed'] });
    out.push(`tp_btf: ${await answer(() => typed.program('typed').run({ ctx: args(1n) }))}`);
    out.push(`tp_btf with a cpu: ${await answer(() => typed.program('typed').run({ cpu: 1 }))}`);
  }
  out.push(await answer(() => openObject(fixture('raw_tp_args'), { engine, programs: ['past_args'] }).close() as never));
  return out;
}

describeKernel('raw tracepoint test runs: the emulator answers as the kernel does', () => {
  test('retvals, refusals, CPUs and per-CPU counts, and the verifier\'s refusal of a 13th argument', async () => {
    const kernel = await runs('kernel');
    const cpus = possibleCpus(getKernelEngine());
    // Not vacuous: the arguments reached the program, and the CPU it ran on is the one asked for.
    expect(kernel[0]).toBe(`mix: 3 arguments: ${5 * 3 + 7 - 2}`);
    expect(kernel).toContain(`cpu: on CPU ${cpus - 1}: ${cpus - 1}`);
    expect(kernel).toContain('cpu: on CPU past the last: ENXIO');
    expect(kernel.at(-1)).toBe('EACCES: invalid bpf_context access off=96 size=8');
    if (features.btf()) expect(kernel).toContain('tp_btf: EFAULT');
    for (const execution of EXECUTIONS) expect(await runs(execution), execution).toEqual(kernel);
  });
});
