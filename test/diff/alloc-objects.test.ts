// bpf/alloc_objects.bpf.c on the kernel and on the emulator (both executions): objects a program allocates
// with bpf_obj_new (Linux 6.2+), a bpf_spin_lock inside one, bpf_obj_drop, and the verifier's rules for
// them (kernel/bpf/verifier.c check_kfunc_call, process_spin_lock, check_ptr_to_btf_access; btf.c
// btf_struct_access), each refused program refused by the emulator in the kernel's words and errno.
import { describe, expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, resLockSkipReason } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, possibleCpus: 2, kernelVersion: features.emulatorKernelVersion() });

/** A load's verdict: 'loaded', or the error's code and the verifier's reason. */
function verdict(side: Side, program: string): string {
  try {
    openObject(fixture('alloc_objects'), { engine: engineFor(side), programs: [program] }).close();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    if (!(e instanceof BpfVerifierError)) return `${e.code}: ${e.message}`;
    // The reason, and the references a leak names (their ids are the verifier's own counting).
    const leaks = e.log.split('\n').filter((l) => l.startsWith('Unreleased reference'));
    return [`${e.code}: ${lastMeaningfulLine(e.log)}`, ...leaks].join(' | ');
  }
}

/** tally_packet over packets of several sizes: each run's retval, then what the runs summed in `result`. */
async function tallies(side: Side): Promise<unknown[]> {
  using obj = openObject(fixture('alloc_objects'), { engine: engineFor(side), programs: ['tally_packet'] });
  const program = obj.program('tally_packet');
  const out: unknown[] = [14, 64, 300, 1500].map((n) => program.run({ data: new Uint8Array(n), repeat: 3 }).retval);
  // Runs on several CPUs at once: each allocates, locks and drops its own objects.
  const parallel = await Promise.all([0, 1, 2, 3].map(() => program.runAsync({ data: new Uint8Array(100), repeat: 500 })));
  out.push(parallel.map((r) => r.retval));
  using result = obj.map('result');
  out.push(result.get(0)); // every run's value, added atomically: exact with runs in parallel

  return out;
}

/** tally_packet's retval for a packet of `len` bytes: bytes (len + packets) * 1000 + packets (2), low byte. */
const tally = (len: number): number => ((len + 2) * 1000 + 2) & 0xff;

const refused = ['leak', 'unlock_other', 'touch_lock', 'beyond', 'use_after_drop', 'unchecked', 'not_percpu', 'new_in_lock'];
const refusedWithResLocks = ['res_no_lock', 'res_cast'];

const objNewSkip = (): string | undefined =>
  features.kfunc('bpf_obj_new_impl') ? undefined : 'kfunc bpf_obj_new_impl is missing (needs Linux 6.2+ with kernel BTF)';

describeKernel('bpf_obj_new objects: the emulator answers as the kernel does', () => {
  const skip = objNewSkip();
  if (skip) console.log(`skipped: alloc objects: ${skip}`);

  test.skipIf(skip !== undefined)('an object with a lock, taken and dropped in each run, on one CPU and on several at once', async () => {
    const kernel = await tallies('kernel');
    // Not vacuous: each retval is the low byte of what the object held, and `result` sums every run's value.
    expect(kernel.slice(0, 4)).toEqual([14, 64, 300, 1500].map(tally));
    const value = (len: number): bigint => BigInt((len + 2) * 1000 + 2);
    expect(kernel[5]).toBe(3n * (value(14) + value(64) + value(300) + value(1500)) + 4n * 500n * value(100));
    for (const execution of EXECUTIONS) expect(await tallies(execution), execution).toEqual(kernel);
  });

  for (const program of refused) {
    test.skipIf(skip !== undefined)(`refused: ${program}`, () => {
      const kernel = verdict('kernel', program);
      expect(kernel).toMatch(/^E[A-Z]+: ./);
      for (const execution of EXECUTIONS) expect(verdict(execution, program), execution).toBe(kernel);
    });
  }

  const resSkip = skip ?? resLockSkipReason();
  if (resSkip && !skip) console.log(`skipped: alloc objects with res locks: ${resSkip}`);
  for (const program of refusedWithResLocks) {
    test.skipIf(resSkip !== undefined)(`refused: ${program}`, () => {
      const kernel = verdict('kernel', program);
      expect(kernel).toMatch(/^EINVAL: ./);
      for (const execution of EXECUTIONS) expect(verdict(execution, program), execution).toBe(kernel);
    });
  }
});

describe('objects and kfunc arguments on emulated kernels of other versions', () => {
  test('7.2 names a kfunc argument by its register (reg_arg_name), 6.18 as arg#N', () => {
    const reason = (kernelVersion: string) => {
      try {
        openObject(fixture('alloc_objects'), { engine: new Emulator({ kernelVersion }), programs: ['res_cast'] }).close();
        return 'loaded';
      } catch (e) {
        return e instanceof BpfVerifierError ? lastMeaningfulLine(e.log) : String(e);
      }
    };
    expect([reason('6.18'), reason('7.2')]).toEqual(["arg#0 doesn't point to map value or allocated object", "R1 doesn't point to map value or allocated object"]);
  });

  test('Linux 6.1 has no bpf_obj_new_impl: the emulator says so, as libbpf does not find it', () => {
    let error: unknown;
    try {
      openObject(fixture('alloc_objects'), { engine: new Emulator({ kernelVersion: '6.1' }), programs: ['tally_packet'] }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpfError);
    expect((error as BpfError).code).toBe('ENOTSUPP');
    expect((error as BpfError).message).toContain("kfunc 'bpf_obj_new_impl' is not in Linux 6.1");
    // 6.2 has it.
    using obj = openObject(fixture('alloc_objects'), { engine: new Emulator({ kernelVersion: '6.2' }), programs: ['tally_packet'] });
    expect(obj.program('tally_packet').run({ data: new Uint8Array(64) }).retval).toBe(tally(64));
  });
});
