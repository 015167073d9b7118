// bpf/bits_iter.bpf.c on the kernel and on the emulator (both executions, and a worker CPU): the bits
// iterator (kernel/bpf/helpers.c bpf_iter_bits_new/_next/_destroy, 6.11+) over random words of a global,
// and its answers for no words, more than BITS_ITER_NR_WORDS_MAX (511) and a NULL pointer.
import { describe, expect, test } from 'vitest';
import { BpfError, Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { programVerdict } from '../helpers/program-verdict.js';

type Side = 'kernel' | Execution;
const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

interface Case { words: bigint[]; nrWords: number; nullPtr?: boolean }

/** Seeded words: sparse, dense, single bits at the ends of words, and the edge cases. */
function cases(): Case[] {
  let seed = 0x2545f491;
  const next = (): bigint => {
    let x = 0n;
    for (let i = 0; i < 2; i++) {
      seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
      x = (x << 32n) | BigInt(seed);
    }
    return x;
  };
  const out: Case[] = [
    { words: [5n, 1n << 63n], nrWords: 1 }, { words: [5n, 1n << 63n, 3n], nrWords: 3 }, { words: [0n], nrWords: 1 },
    { words: [1n << 63n, 0n, 0n, 0n, 0n, 0n, 0n, 1n], nrWords: 8 },
    { words: [1n], nrWords: 0 }, { words: [1n], nrWords: 512 }, { words: [1n], nrWords: 1, nullPtr: true },
  ];
  for (let n = 1; n <= 8; n++) out.push({ words: Array.from({ length: 8 }, (_, i) => (i % 3 === 2 ? next() & next() : next())), nrWords: n });
  return out;
}

async function runs(side: Side): Promise<unknown[]> {
  using obj = openObject(fixture('bits_iter'), { engine: engineFor(side) });
  const g = obj.globals as Record<string, unknown>;
  const prog = obj.program('bits_sum');
  const out: unknown[] = [];
  for (const c of cases()) {
    g.words = [...c.words, ...new Array<bigint>(8 - c.words.length).fill(0n)];
    g.nr_words = c.nrWords;
    g.null_ptr = c.nullPtr ? 1 : 0;
    g.last = -7;
    prog.run({ data: new Uint8Array(64) });
    out.push([g.rc_new, g.sum, g.count, g.last]);
  }
  // The same iterator on another thread (an emulated CPU of its own).
  await prog.runAsync({ data: new Uint8Array(64) });
  out.push([g.rc_new, g.sum, g.count, g.last]);
  return out;
}

const skip = (): string | undefined => (features.kfunc('bpf_iter_bits_new') ? undefined : 'kfunc bpf_iter_bits_new is missing (needs Linux 6.11+ with kernel BTF)');

describeKernel('the bits iterator: the emulator answers as the kernel does', () => {
  const reason = skip();
  if (reason) console.log(`skipped: bits iterator: ${reason}`);
  test.skipIf(reason !== undefined)('set bits of random words, no words, too many, NULL', async () => {
    const kernel = await runs('kernel');
    // Not vacuous: the first case's bits 0 and 2 (sum 2, count 2, last 2); bits 63 and 448 of 8 words; 512 words
    // is E2BIG, NULL EINVAL.
    expect(kernel.slice(0, 7)).toEqual([[0n, 2n, 2, 2], [0n, 386n, 5, 129], [0n, 0n, 0, -7], [0n, 63n + 448n, 2, 448], [-22n, 0n, 0, -7], [-7n, 0n, 0, -7], [-22n, 0n, 0, -7]]);
    for (const execution of EXECUTIONS) expect(await runs(execution), execution).toEqual(kernel);
  });

  for (const program of ['next_before_new', 'destroy_before_new']) {
    test.skipIf(reason !== undefined)(`refused: ${program}`, () => {
      const kernel = verdict('kernel', program);
      expect(kernel).toBe('EINVAL: expected an initialized iter_bits as arg #0');
      for (const execution of EXECUTIONS) expect(verdict(execution, program), execution).toBe(kernel);
    });
  }
});

const verdict = (side: Side, program: string): string => programVerdict(fixture('bits_iter'), engineFor(side), program);

describe('the bits iterator on emulated kernels of other versions', () => {
  test('Linux 6.10 has no bpf_iter_bits_new: the emulator says so, as libbpf does not find it', () => {
    const failure = (() => {
      try {
        openObject(fixture('bits_iter'), { engine: new Emulator({ kernelVersion: '6.10' }) }).close();
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(failure).toBeInstanceOf(BpfError);
    expect((failure as BpfError).message).toContain("kfunc 'bpf_iter_bits_new' is not in Linux 6.10");
    expect(() => openObject(fixture('bits_iter'), { engine: new Emulator({ kernelVersion: '6.11' }) }).close()).not.toThrow();
  });
});
