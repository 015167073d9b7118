// bpf/cgroup_storage.bpf.c on the kernel and on the emulator (both executions): CGROUP_STORAGE and
// PERCPU_CGROUP_STORAGE through bpf_get_local_storage in cgroup_skb test runs. Each test run's storage starts
// zeroed and its repeats share it (net/bpf/test_run.c bpf_cgroup_storages_alloc), so what the programs leave
// in .bss must be the kernel's run for run, also with runs on several CPUs at once; the verifier's refusals
// must be the kernel's; and userspace, with no cgroup attached, must get the kernel's errnos from the maps
// (kernel/bpf/local_storage.c).
import { expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, createMap, features, openObject, u32, u64, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, possibleCpus: 2, kernelVersion: features.emulatorKernelVersion() });

/** An IPv4 frame of 54 bytes: 40 past the Ethernet header, which is what a cgroup_skb program's skb->len is. */
function ipv4(): Uint8Array {
  const p = new Uint8Array(54);
  p[12] = 0x08;
  return p;
}

const text = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** A failed call's errno, or what it returned. */
function outcome(f: () => unknown): string {
  try {
    return text(f());
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e instanceof BpfVerifierError ? `${e.code}: ${lastMeaningfulLine(e.log)}` : e.code;
  }
}

function runs(side: Side): string[] {
  using obj = openObject(fixture('cgroup_storage'), { engine: engineFor(side) });
  const globals = obj.globals as Record<string, unknown>;
  const program = obj.program('count_ingress');
  return [1, 5, 3, 1].map((repeat) => {
    const { retval } = program.run({ data: ipv4(), repeat });
    return text({ repeat, retval, runs: globals.runs_seen, bytes: globals.bytes_seen, cpu: globals.cpu_seen });
  });
}

function userspace(side: Side): string[] {
  const engine = engineFor(side);
  using obj = openObject(fixture('cgroup_storage'), { engine });
  using shared = obj.map('shared_store', { perCpu: false });
  using perCpu = obj.map('cpu_store', { perCpu: true });
  const key = { cgroup_inode_id: 1n, attach_type: 0 };
  const value = shared.get(key);
  return [
    outcome(() => value),
    outcome(() => [...shared.keys()].length),
    outcome(() => shared.set(key, { lock: 0, runs: 1, bytes: 2n })),
    outcome(() => shared.set(key, { lock: 0, runs: 1, bytes: 2n }, { lock: true })),
    outcome(() => shared.replace(key, { lock: 0, runs: 1, bytes: 2n })),
    outcome(() => shared.insert(key, { lock: 0, runs: 1, bytes: 2n })),
    outcome(() => shared.delete(key)),
    outcome(() => shared.lookupAndDelete(key)),
    outcome(() => perCpu.get(5n)),
    outcome(() => perCpu.set(5n, Array(engine.possibleCpus()).fill(1n))),
    outcome(() => perCpu.delete(5n)),
    // BPF_MAP_CREATE: max_entries must be 0; a key is a u64 or struct bpf_cgroup_storage_key (16 bytes).
    outcome(() => createMap({ type: 'cgroup_storage', key: u64, value: u32, maxEntries: 1, engine }).close()),
    outcome(() => createMap({ type: 'cgroup_storage', key: u32, value: u32, maxEntries: 0, engine }).close()),
    outcome(() => createMap({ type: 'percpu_cgroup_storage', key: u64, value: u64, maxEntries: 0, engine }).close()),
  ];
}

describeKernel('cgroup storage: the emulator answers as the kernel does', () => {
  test('each test run\'s storage: zeroed, shared by its repeats, the spin lock in it', () => {
    const kernel = runs('kernel');
    // Not vacuous: the second run counted its own five repeats, not six.
    expect(kernel[1]).toBe(text({ repeat: 5, retval: 1, runs: 5, bytes: 200n, cpu: 10n }));
    for (const execution of EXECUTIONS) expect(runs(execution), execution).toEqual(kernel);
  });

  test('what the verifier refuses: get_local_storage flags, two cgroup storages of one type', () => {
    const load = (side: Side, program: string) => outcome(() => openObject(fixture('cgroup_storage'), { engine: engineFor(side), programs: [program] }).close());
    const kernel = ['storage_flags', 'two_shared'].map((p) => load('kernel', p));
    expect(kernel).toEqual(['EINVAL: get_local_storage() doesn\'t support non-zero flags', 'EBUSY: only one cgroup storage of each type is allowed']);
    for (const execution of EXECUTIONS) expect(['storage_flags', 'two_shared'].map((p) => load(execution, p)), execution).toEqual(kernel);
  });

  test('userspace sees no cgroup\'s storage: the kernel\'s errnos', () => {
    const kernel = userspace('kernel');
    // Not vacuous: nothing found, nothing to iterate, an update of storage no cgroup has is ENOENT.
    expect(kernel.slice(1, 3)).toEqual(['0', 'ENOENT']);
    for (const execution of EXECUTIONS) expect(userspace(execution), execution).toEqual(kernel);
  });

  test('runs on several CPUs at once each have their own storage', async () => {
    for (const side of ['kernel', ...EXECUTIONS] as const) {
      using obj = openObject(fixture('cgroup_storage'), { engine: engineFor(side) });
      const program = obj.program('count_ingress');
      const results = await Promise.all(Array.from({ length: 4 }, () => program.runAsync({ data: ipv4(), repeat: 2000 })));
      expect(results.map((r) => r.retval), side).toEqual([1, 1, 1, 1]);
      // The last write of all is some run's last repeat: its own 2000, never a count shared with another run.
      const globals = obj.globals as Record<string, unknown>;
      expect([globals.runs_seen, globals.bytes_seen, globals.cpu_seen], side).toEqual([2000, 80000n, 4000n]);
    }
  });
});
