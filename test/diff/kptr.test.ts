// bpf/kptr_stash.bpf.c on the kernel and on the emulator (both executions): an object a program allocates,
// kept in a map value's kptr field between runs with bpf_kptr_xchg, and the verifier's rules for kptr
// fields (kernel/bpf/verifier.c check_map_access, check_map_kptr_access, process_kptr_func,
// map_kptr_match_type), each refused program refused by the emulator in the kernel's words and errno.
// Objects outlive a run in the emulator's object heap, shared by its CPUs (src/emulator/object-heap.ts).
import { describe, expect, test } from 'vitest';
import { Emulator, features, openObject, struct, u32, u64, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { localKptrs } from '../../src/emulator/kernel-version.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { programVerdict } from '../helpers/program-verdict.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

const verdict = (side: Side, program: string): string => programVerdict(fixture('kptr_stash'), engineFor(side), program);

const refused = ['leak_taken', 'store_direct', 'read_half', 'xchg_not_kptr', 'xchg_untrusted', 'xchg_no_kptrs', 'xchg_wrong_type', 'helper_over_kptr', 'drop_unchecked'];

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

  test.skipIf(skip !== undefined)('objects kept between runs, taken, replaced, dropped by map updates and deletes; on 4 CPUs at once', async () => {
    const kernel = await stashes('kernel');
    // Not vacuous: a second put finds and drops the first object (3), a take gets the last one's length.
    expect(kernel.slice(0, 7)).toEqual([0, 3, 0, { tag: 0n, flow: 0n, seen: 0n }, 80, 100, 100]);
    for (const execution of EXECUTIONS) expect(await stashes(execution), execution).toEqual(kernel);
  });
});

/**
 * stash_put / stash_take / hash_put runs and what userspace sees: each retval, the element as a lookup
 * returns it, and the map operations that drop a kept object (arraymap.c, hashtab.c bpf_obj_free_fields).
 */
async function stashes(side: Side): Promise<unknown[]> {
  using obj = openObject(fixture('kptr_stash'), { engine: engineFor(side), programs: ['stash_put', 'stash_take', 'hash_put'] });
  const put = obj.program('stash_put');
  const take = obj.program('stash_take');
  const hashPut = obj.program('hash_put');
  const run = (p: typeof put, len: number, mark = 0): number => p.run({ data: new Uint8Array(len), ctx: skbMark(mark) }).retval;
  const slot = struct({ tag: u64, flow: u64, seen: u64 });
  using stash = obj.map('stash', { key: u32, value: slot, perCpu: false });
  using hstash = obj.map('hstash', { key: u32, value: slot, perCpu: false });
  const out: unknown[] = [run(put, 64), run(put, 80), run(put, 90, 1)];
  // A kptr field is never copied out to userspace: it reads as 0 while the slot holds an object.
  out.push(stash.get(0));
  out.push(run(take, 14), run(take, 14));
  // A userspace update of an element lets go of the object its kptr held (bpf_obj_free_fields), whatever the
  // update's bytes say of the field.
  stash.set(1, { tag: 7n, flow: 123n, seen: 0n });
  out.push(run(take, 14, 1), stash.get(1));
  // Hash elements: a delete, and a replacing update, drop the element's object; the new element's field is NULL.
  out.push(run(hashPut, 40, 2), run(hashPut, 41, 2));
  hstash.delete(2);
  out.push(run(hashPut, 42, 2), hstash.get(2));
  hstash.set(2, { tag: 1n, flow: 0n, seen: 0n });
  out.push(run(hashPut, 43, 2));
  // Four CPUs at once put into one slot: every object but the last is dropped by the put after it.
  await Promise.all([0, 1, 2, 3].map(() => put.runAsync({ data: new Uint8Array(50), ctx: skbMark(3), repeat: 1000 })));
  out.push(run(take, 14, 3), run(take, 14, 3));
  return out;
}

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
