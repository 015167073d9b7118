// Maps of maps on the kernel and on the emulator (both executions): bpf/map_in_map.bpf.c's ARRAY_OF_MAPS and
// HASH_OF_MAPS, filled by libbpf's __array(values, ...) initialiser and then from TypeScript (MapOfMaps), looked
// up by programs that count in the inner map they get; the verifier's refusal of a write through the outer
// lookup; and what the maps answer userspace (kernel/bpf/map_in_map.c, arraymap.c, hashtab.c): the template's
// rules at BPF_MAP_CREATE, ids back from lookups, the errnos of every misuse.
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, MapFlags, createMap, features, openObject, u32, u64, type BpfMapBase, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, possibleCpus: 2, kernelVersion: features.emulatorKernelVersion() });

/** A failed call's errno (with the verifier's reason), or what it returned. */
function outcome(f: () => unknown): string {
  try {
    return JSON.stringify(f()) ?? 'undefined';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e instanceof BpfVerifierError ? `${e.code}: ${lastMeaningfulLine(e.log)}` : e.code;
  }
}

function programRuns(side: Side): string[] {
  const engine = engineFor(side);
  using obj = openObject(fixture('map_in_map'), { engine });
  using outerArray = obj.map('outer_array', { type: 'array_of_maps' });
  using outerHash = obj.map('outer_hash', { type: 'hash_of_maps', key: u32 });
  using innerA = obj.map('inner_a', { key: u32, value: u64 });
  using spare = createMap({ type: 'array', key: u32, value: u64, maxEntries: 2, name: 'spare', engine });
  const globals = obj.globals as Record<string, unknown>;
  const ids = new Map([[obj.map('inner_a').info.id, 'inner_a'], [obj.map('inner_b').info.id, 'inner_b'], [spare.info.id, 'spare']]);
  const run = (program: string, key: number) => {
    globals.outer_key = key;
    return obj.program(program).run({ data: packet() }).retval;
  };
  const out = [0, 1, 2, 0, 2, 3].map((k) => `route ${k}: ${run('route', k)}`);
  out.push(...[3, 1, 3].map((k) => `by_hash ${k}: ${run('by_hash', k)}`));
  outerArray.set(1, spare);
  outerHash.set(1, innerA);
  outerArray.delete(0);
  out.push(...[0, 1, 1].map((k) => `route ${k}: ${run('route', k)}`), `by_hash 1: ${run('by_hash', 1)}`);
  out.push(`array: ${[...outerArray.entries()].map(([k, id]) => `${k}=${ids.get(id)}`).join(' ')}`);
  out.push(`hash: ${[...outerHash.entries()].map(([k, id]) => `${k}=${ids.get(id)}`).sort().join(' ')}`);
  out.push(`inner_a[0] = ${innerA.get(0)}, spare[0] = ${spare.get(0)}`);
  return out;
}

function userspace(side: Side): string[] {
  const engine = engineFor(side);
  using inner = createMap({ type: 'array', key: u32, value: u64, maxEntries: 2, engine });
  using bigger = createMap({ type: 'array', key: u32, value: u64, maxEntries: 3, engine });
  using hash = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 2, engine });
  using flexible = createMap({ type: 'array', key: u32, value: u64, maxEntries: 2, flags: MapFlags.InnerMap, engine });
  using outer = createMap({ type: 'array_of_maps', innerMap: inner, maxEntries: 2, engine });
  using byHash = createMap({ type: 'hash_of_maps', key: u64, innerMap: hash, maxEntries: 2, engine });
  using anySize = createMap({ type: 'array_of_maps', innerMap: flexible, maxEntries: 2, engine });
  using larger = createMap({ type: 'array', key: u32, value: u64, maxEntries: 5, flags: MapFlags.InnerMap, engine });
  const make = (innerMap: BpfMapBase) => () => createMap({ type: 'array_of_maps', innerMap, maxEntries: 1, engine }).close();
  return [
    outcome(() => outer.get(0)),
    outcome(() => outer.set(0, inner)),
    outcome(() => outer.get(0) === inner.info.id),
    outcome(() => outer.set(1, bigger)),
    outcome(() => outer.set(1, hash)),
    outcome(() => outer.set(2, inner)),
    outcome(() => outer.set(1, inner, 1)),
    outcome(() => [outer.delete(0), outer.delete(0)]),
    outcome(() => byHash.set(7n, hash)),
    outcome(() => byHash.set(7n, hash, 1)),
    outcome(() => byHash.set(8n, inner)),
    outcome(() => [byHash.delete(7n), byHash.delete(7n)]),
    // BPF_F_INNER_MAP: an inner array of any size.
    outcome(() => anySize.set(0, larger)),
    // The template: not a map of maps, not a prog array (which cannot be compared).
    outcome(make(outer)),
    outcome(make(createMap({ type: 'prog_array', maxEntries: 1, engine }))),
  ];
}

describeKernel('maps of maps: the emulator answers as the kernel does', () => {
  test('programs look up the inner maps libbpf and userspace stored, and count in them', () => {
    const kernel = programRuns('kernel');
    // Not vacuous: an empty slot answered 99, a shared inner map counted on.
    expect(kernel.slice(0, 2)).toEqual(['route 0: 1', 'route 1: 99']);
    for (const execution of EXECUTIONS) expect(programRuns(execution), execution).toEqual(kernel);
  }, 300_000); // a minute and more in a TCG guest (bpfkit vm), well under a second here

  test('the verifier: an outer lookup gives a map, which cannot be written through', () => {
    const load = (side: Side) => outcome(() => openObject(fixture('map_in_map'), { engine: engineFor(side), programs: ['write_map_pointer'] }).close());
    const kernel = load('kernel');
    expect(kernel).toBe('EACCES: only read from bpf_array is supported');
    for (const execution of EXECUTIONS) expect(load(execution), execution).toBe(kernel);
  });

  test('inner maps whose values hold a lock (refused before 6.2): a lookup\'s lock is its own', () => {
    const answers = (side: Side): string[] => {
      const load = (program: string) => outcome(() => openObject(fixture('map_in_map_lock'), { engine: engineFor(side), programs: [program] }).close());
      const runs = outcome(() => {
        using obj = openObject(fixture('map_in_map_lock'), { engine: engineFor(side) });
        return [0, 1].map(() => obj.program('locked_add').run({ data: packet() }).retval);
      });
      return [load('unlock_other'), load('locked_add'), runs];
    };
    const kernel = answers('kernel');
    // 6.1 refuses the template (its object does not load); later kernels refuse the unlock and count by 3.
    const expected = features.kernelAtLeast('6.2') ? ['EINVAL: bpf_spin_unlock of different lock', 'undefined', '[3,6]'] : ['ENOTSUPP', 'ENOTSUPP', 'ENOTSUPP'];
    expect(kernel).toEqual(expected);
    for (const execution of EXECUTIONS) expect(answers(execution), execution).toEqual(kernel);
  });

  test('userspace: the template\'s rules, ids back, the kernel\'s errnos', () => {
    const kernel = userspace('kernel');
    expect(kernel.slice(0, 4)).toEqual(['undefined', 'undefined', 'true', 'EINVAL']);
    for (const execution of EXECUTIONS) expect(userspace(execution), execution).toEqual(kernel);
  });

  test('runs on the emulated CPUs see the inner maps', async () => {
    for (const side of ['kernel', ...EXECUTIONS] as const) {
      using obj = openObject(fixture('map_in_map'), { engine: engineFor(side) });
      (obj.globals as Record<string, unknown>).outer_key = 2;
      const results = await Promise.all([0, 1].map(() => obj.program('route').runAsync({ data: packet() })));
      expect(results.map((r) => r.retval).sort(), side).toEqual([1, 2]);
    }
  });
});
