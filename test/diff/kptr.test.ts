// bpf/kptr_stash.bpf.c on the kernel and on the emulator (both executions): an object a program allocates,
// kept in a map value's kptr field between runs with bpf_kptr_xchg, and the verifier's rules for kptr
// fields (kernel/bpf/verifier.c check_map_access, check_map_kptr_access, process_kptr_func,
// map_kptr_match_type), each refused program refused by the emulator in the kernel's words and errno.
// Keeping objects between runs is not emulated yet: the emulator says so by name, not as a verdict.
import { describe, expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, struct, u32, u64, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { localKptrs } from '../../src/emulator/kernel-version.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

/** A load's verdict: 'loaded', or the error's code and the verifier's reason. */
function verdict(side: Side, program: string): string {
  try {
    openObject(fixture('kptr_stash'), { engine: engineFor(side), programs: [program] }).close();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfVerifierError)) throw e;
    return `${e.code}: ${lastMeaningfulLine(e.log)}`;
  }
}

const refused = ['leak_taken', 'store_direct', 'read_half', 'xchg_not_kptr', 'xchg_untrusted', 'xchg_no_kptrs', 'xchg_wrong_type', 'helper_over_kptr'];

function skipReason(): string | undefined {
  if (!features.kfunc('bpf_obj_new_impl')) return 'kfunc bpf_obj_new_impl is missing (needs Linux 6.2+ with kernel BTF)';
  if (!localKptrs(features.emulatorKernelVersion())) return 'kptrs to program types need Linux 6.4+';
  return undefined;
}

describeKernel('kptr fields: the emulator answers as the kernel does', () => {
  const skip = skipReason();
  if (skip) console.log(`skipped: kptr fields: ${skip}`);

  for (const program of refused) {
    test.skipIf(skip !== undefined)(`refused: ${program}`, () => {
      const kernel = verdict('kernel', program);
      expect(kernel).toMatch(/^E[A-Z]+: ./);
      for (const execution of EXECUTIONS) expect(verdict(execution, program), execution).toBe(kernel);
    });
  }

  test.skipIf(skip !== undefined)('the kernel keeps an object between runs; the emulator says bpf_kptr_xchg is not emulated', () => {
    {
      using obj = openObject(fixture('kptr_stash'), { engine: getKernelEngine(), programs: ['stash_put', 'stash_take'] });
      const put = obj.program('stash_put');
      const take = obj.program('stash_take');
      const packet = (len: number, mark = 0): { data: Uint8Array; ctx: Uint8Array } => ({ data: new Uint8Array(len), ctx: skbMark(mark) });
      expect(put.run(packet(64)).retval).toBe(0);
      expect(put.run(packet(80)).retval).toBe(3); // the slot held the first object: dropped
      expect(put.run(packet(90, 1)).retval).toBe(0);
      using stash = obj.map('stash', { key: u32, value: struct({ tag: u64, flow: u64, seen: u64 }), perCpu: false });
      // A kptr field is never copied out to userspace: it reads as 0 while the slot holds an object.
      expect(stash.get(0)).toEqual({ tag: 0n, flow: 0n, seen: 0n });
      expect(take.run(packet(14)).retval).toBe(80);
      expect(take.run(packet(14)).retval).toBe(100); // empty now
      // A userspace update of an element releases the object its kptr held (arraymap.c bpf_obj_free_fields).
      stash.set(1, { tag: 7n, flow: 0n, seen: 0n });
      expect(take.run(packet(14, 1)).retval).toBe(100);
      expect(stash.get(1)).toEqual({ tag: 7n, flow: 0n, seen: 0n });
    }
    for (const execution of EXECUTIONS) {
      const failure = (() => {
        try {
          openObject(fixture('kptr_stash'), { engine: engineFor(execution), programs: ['stash_put'] }).close();
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(failure, execution).toBeInstanceOf(BpfError);
      expect(failure, execution).not.toBeInstanceOf(BpfVerifierError);
      expect((failure as BpfError).code).toBe('ENOTSUPP');
      expect((failure as BpfError).message).toMatch(/helper bpf_kptr_xchg \(#194\) is not emulated/);
    }
  });
});

/** A __sk_buff ctx_in with only `mark` set (offset 8). */
function skbMark(mark: number): Uint8Array {
  const ctx = new Uint8Array(192);
  new DataView(ctx.buffer).setUint32(8, mark, true);
  return ctx;
}

describe('kptr fields on any host', () => {
  test('the emulator refuses a direct store to a referenced kptr, as the kernel does (measured on 6.18)', () => {
    expect(() => openObject(fixture('kptr_stash'), { engine: new Emulator({ kernelVersion: '6.18' }), programs: ['store_direct'] }))
      .toThrow(/the verifier refused program 'store_direct': store to referenced kptr disallowed/);
  });
});
