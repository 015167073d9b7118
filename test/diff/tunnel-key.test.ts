// bpf/tunnel_key.bpf.c on the kernel and on the emulator (both executions): bpf_skb_set_tunnel_key's answers
// (net/core/filter.c) for every key size it knows and one it does not, each flag, and the fields it refuses.
import { expect, test } from 'vitest';
import { Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

const cases: { size_choice: number; flags: bigint; label: number; ext: number }[] = [
  ...[0, 1, 2, 3, 4, 5].map((size_choice) => ({ size_choice, flags: 0n, label: 0, ext: 0 })),
  ...[1n, 2n, 4n, 8n, 16n, 32n, 1n << 40n].map((flags) => ({ size_choice: 0, flags, label: 0, ext: 0 })),
  { size_choice: 0, flags: 0n, label: 7, ext: 0 },
  { size_choice: 0, flags: 1n, label: 7, ext: 0 },
  { size_choice: 0, flags: 0n, label: 0, ext: 1 },
  // An older layout without the label: what lay past it is not read.
  { size_choice: 3, flags: 0n, label: 7, ext: 0 },
];

function answers(side: Side): string[] {
  using obj = openObject(fixture('tunnel_key'), { engine: engineFor(side) });
  const globals = obj.globals as Record<string, unknown>;
  return cases.map((c) => {
    Object.assign(globals, c);
    const { retval } = obj.program('set_key').run({ data: packet([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]) });
    return `${JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}: retval ${retval} rc ${globals.rc}`;
  });
}

describeKernel('bpf_skb_set_tunnel_key: the emulator answers as the kernel does', () => {
  test('sizes, flags and refused fields', () => {
    const kernel = answers('kernel');
    // Not vacuous: the struct's size succeeds, 12 bytes is EINVAL.
    expect(kernel[0]).toMatch(/rc 0$/);
    expect(kernel[5]).toMatch(/rc -22$/);
    for (const execution of EXECUTIONS) expect(answers(execution), execution).toEqual(kernel);
  });
});
