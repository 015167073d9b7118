// bpf/tail_dispatch.bpf.c on the kernel and on the emulator (both executions): bpf_tail_call through a
// PROG_ARRAY that libbpf's __array(values, ...) initialiser filled, then slots set, replaced and emptied from
// TypeScript. Every run's retval and the programs' entry counts (globals) must be the kernel's: jumps by
// protocol, an index past the array and an empty slot falling through, the per-run limit of tail calls, a tail
// call from a subprogram returning to its caller, and runs on several CPUs at once. What a prog array answers
// userspace (ids, errnos) and which programs it takes must be the kernel's too.
import { expect, test } from 'vitest';
import { BpfError, Emulator, features, openObject, type BpfObject, type Engine, type ProgramArrayMap } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { MAX_TAIL_CALL_CNT } from '../../src/uapi/isa.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side, possibleCpus?: number): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion(), ...(possibleCpus ? { possibleCpus } : {}) });

const ethernet = (etherType: number, length = 64): Uint8Array => packet([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, etherType >> 8, etherType & 0xff]).slice(0, length);
const IPV4 = 0x0800;
const IPV6 = 0x86dd;
const ARP = 0x0806;

/** One step: what it changes first (target, a slot), then the program it runs and on what. */
interface Step {
  program: 'dispatch' | 'chain' | 'by_index' | 'from_subprog';
  data: Uint8Array;
  target?: number;
  set?: [number, string];
  remove?: number;
}

const steps: Step[] = [
  { program: 'dispatch', data: ethernet(IPV4) },
  { program: 'dispatch', data: ethernet(IPV4, 71) },
  { program: 'dispatch', data: ethernet(IPV6) },
  { program: 'dispatch', data: ethernet(ARP) },
  // MAX_TAIL_CALL_CNT jumps, then the call falls through.
  { program: 'chain', data: ethernet(IPV4) },
  { program: 'chain', data: ethernet(IPV4) },
  { program: 'by_index', data: ethernet(IPV4), target: 0 },
  { program: 'by_index', data: ethernet(IPV4), target: 2 },
  { program: 'by_index', data: ethernet(IPV4), target: 8 },
  { program: 'by_index', data: ethernet(IPV4), target: 0xffffffff },
  { program: 'from_subprog', data: ethernet(IPV4), target: 1 },
  { program: 'from_subprog', data: ethernet(IPV4), target: 5 },
  // Userspace fills, replaces and empties slots.
  { program: 'by_index', data: ethernet(IPV4), target: 2, set: [2, 'handle_ipv6'] },
  { program: 'dispatch', data: ethernet(IPV4), set: [0, 'handle_ipv6'] },
  { program: 'dispatch', data: ethernet(IPV6), remove: 1 },
  { program: 'from_subprog', data: ethernet(IPV4), target: 3 },
  { program: 'by_index', data: ethernet(IPV4), target: 7, set: [7, 'by_index'] },
];

const text = (v: unknown): string => JSON.stringify(v);

function runSteps(side: Side): string[] {
  using obj = openObject(fixture('tail_dispatch'), { engine: engineFor(side) });
  using jumps = obj.map('jumps', { type: 'prog_array' });
  const globals = obj.globals as Record<string, unknown>;
  return steps.map((s) => {
    if (s.set) jumps.set(s.set[0], obj.program(s.set[1]));
    if (s.remove !== undefined) jumps.delete(s.remove);
    globals.target = s.target ?? 0;
    globals.entered = Array<number>(6).fill(0);
    const { retval } = obj.program(s.program).run({ data: s.data });
    return text({ step: s.program, target: s.target, retval, entered: globals.entered, slots: slotsOf(obj, jumps) });
  });
}

/** The slots by the name of the program each holds (ids differ between engines). */
function slotsOf(obj: BpfObject, jumps: ProgramArrayMap): string[] {
  const names = new Map<number, string>(Object.keys(obj.programs).map((name) => [obj.program(name).id, name]));
  return [...jumps.entries()].map(([i, id]) => `${i}:${names.get(id) ?? id}`);
}

/** A failed call's errno, or 'ok'. */
function errnoOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e.code;
  }
}

describeKernel('tail calls and prog arrays: the emulator answers as the kernel does', () => {
  test('every run\'s retval and entry counts, and the slots, as userspace changes them', () => {
    const kernel = runSteps('kernel');
    // Not vacuous: the chain ran 1 + MAX_TAIL_CALL_CNT times, a fall-through returned its own value.
    expect(kernel[4]).toContain(`"entered":[0,0,0,${MAX_TAIL_CALL_CNT + 1},0,0]`);
    expect(kernel[8]).toContain('"retval":108');
    expect(kernel[10]).toContain('"retval":60,"entered":[0,0,1,0,0,1]');
    for (const execution of EXECUTIONS) {
      const emulator = runSteps(execution);
      for (let i = 0; i < steps.length; i++) expect(emulator[i], `${execution}, step ${i}`).toBe(kernel[i]);
    }
  });

  test('what a prog array answers userspace: ids, the kernel\'s errnos, the owner\'s type', () => {
    const outcomes = (side: Side): string[] => {
      using obj = openObject(fixture('tail_dispatch'), { engine: engineFor(side) });
      using other = openObject(fixture('xdp_meta'), { engine: obj.engine });
      using jumps = obj.map('jumps', { type: 'prog_array' });
      const xdp = other.program(Object.keys(other.programs)[0]!);
      return [
        String(jumps.get(0) === obj.program('handle_ipv4').id),
        String(jumps.get(2)),
        errnoOf(() => jumps.get(8)),
        errnoOf(() => jumps.set(8, obj.program('chain'))),
        // A program of another type than the array's owner (the first program to use it: tc).
        errnoOf(() => jumps.set(2, xdp)),
        String(jumps.delete(2)),
        errnoOf(() => jumps.delete(8)),
        errnoOf(() => jumps.handle.lookupAndDelete(new Uint8Array(4), new Uint8Array(4), 0) || undefined),
        String(jumps.handle.update(new Uint8Array(4), new Uint8Array(4).fill(0xff), 1)),
        String(jumps.handle.update(new Uint8Array(4), new Uint8Array(4).fill(0xff), 0)),
      ];
    };
    const kernel = outcomes('kernel');
    expect(kernel).toEqual(['true', 'undefined', 'ok', 'E2BIG', 'EINVAL', 'false', 'E2BIG', 'ok', '-22', '-9']);
    for (const execution of EXECUTIONS) expect(outcomes(execution), execution).toEqual(kernel);
  });

  test('the array lets go of its programs when its last handle closes (prog_array_map_clear)', () => {
    for (const side of ['kernel', ...EXECUTIONS] as const) {
      const obj = openObject(fixture('tail_dispatch'), { engine: engineFor(side) });
      const jumps = obj.map('jumps', { type: 'prog_array' });
      obj.close();
      // The object's own handle is gone, ours holds the array: its programs are still there.
      expect([...jumps.entries()].length, side).toBe(3);
      jumps.close();
    }
  });

  test('tail calls on the emulated CPUs (runAsync): the targets reach the worker threads, set slots included', async () => {
    const outcomes = async (side: Side): Promise<string[]> => {
      using obj = openObject(fixture('tail_dispatch'), { engine: engineFor(side, 2) });
      using jumps = obj.map('jumps', { type: 'prog_array' });
      const globals = obj.globals as { entered: number[]; target: number };
      const out: string[] = [];
      for (let i = 0; i < 3; i++) {
        globals.entered = Array<number>(6).fill(0);
        out.push(text([(await obj.program('chain').runAsync({ data: ethernet(IPV4) })).retval, globals.entered]));
      }
      jumps.set(2, obj.program('handle_ipv6'));
      globals.target = 2;
      out.push(text((await obj.program('by_index').runAsync({ data: ethernet(IPV4) })).retval));
      return out;
    };
    const kernel = await outcomes('kernel');
    expect(kernel[0]).toBe(text([1000 + MAX_TAIL_CALL_CNT + 1, [0, 0, 0, MAX_TAIL_CALL_CNT + 1, 0, 0]]));
    expect(kernel[3]).toBe('60');
    for (const execution of EXECUTIONS) expect(await outcomes(execution), execution).toEqual(kernel);
  });
});
