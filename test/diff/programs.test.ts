// The kernel is the oracle for programs too: every runnable fixture program runs on the kernel and on
// the emulator with the same inputs, and the results must be identical: retval, packet out, ctx out,
// and every map of the object afterwards.
import { expect, test } from 'vitest';
import { bytes, Emulator, openObject, type BpfObject, type RunOptions } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

interface Case {
  object: string;
  program: string;
  runs: RunOptions[];
  /** Programs to load besides the default set (SEC("?...")). */
  programs?: string[];
}

const u32le = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const ipv4 = packet([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45]);

const cases: Case[] = [
  { object: 'unlocked', program: 'unlocked_inc', runs: [{ data: packet() }, { data: ipv4, repeat: 17 }] },
  { object: 'spin_lock', program: 'spin_hash', runs: [{ data: packet(), repeat: 5 }, { data: packet() }] },
  { object: 'spin_lock', program: 'spin_hash_noprealloc', runs: [{ data: packet(), repeat: 3 }] },
  { object: 'spin_lock', program: 'spin_array', runs: [{ data: packet(), repeat: 9 }] },
  { object: 'syscall_counter', program: 'add_to_total', runs: [{ ctx: u32le(3), repeat: 4 }, { ctx: u32le(0xffffffff) }] },
  { object: 'loader_features', program: 'first_tc', runs: [{ data: packet() }, { data: packet(), repeat: 3 }] },
  { object: 'loader_features', program: 'second_tc', runs: [{ data: packet(), repeat: 2 }] },
  { object: 'loader_features', program: 'sys_prog', runs: [{ ctx: new Uint8Array(8), repeat: 2 }] },
  { object: 'loader_features', program: 'optional_tc', programs: ['optional_tc'], runs: [{ data: packet() }] },
  { object: 'lru_touch', program: 'lru_touch', runs: [{ data: packet([1, 0, 0, 0]) }, { data: packet() }] },
];

/** Every map of the object as sorted [key, value] hex pairs. */
function dumpMaps(obj: BpfObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const info of Object.values(obj.maps)) {
    using map = obj.map(info.name, { key: bytes(info.keySize), value: bytes(info.valueSize) });
    const hex = (b: Uint8Array | Uint8Array[]) => (Array.isArray(b) ? b.map((x) => Buffer.from(x).toString('hex')).join('|') : Buffer.from(b).toString('hex'));
    out[info.name] = [...map.entries()].map(([k, v]) => `${hex(k)}=${hex(v as Uint8Array)}`).sort();
  }
  return out;
}

function runAll(engine: 'kernel' | 'emulator', c: Case) {
  using obj = openObject(fixture(c.object), {
    engine: engine === 'kernel' ? getKernelEngine() : new Emulator({ seed: 1 }),
    ...(c.programs ? { programs: c.programs } : {}),
  });
  const prog = obj.program(c.program);
  const results = c.runs.map((r) => {
    const { retval, data, ctx } = prog.run(r);
    return { retval, data: data && Buffer.from(data).toString('hex'), ctx: ctx && Buffer.from(ctx).toString('hex') };
  });
  return { results, maps: dumpMaps(obj) };
}

describeKernel('programs: the emulator answers as the kernel does', () => {
  for (const c of cases) {
    test(`${c.object}/${c.program}`, () => {
      const kernel = runAll('kernel', c);
      const emulator = runAll('emulator', c);
      expect(emulator.results).toEqual(kernel.results);
      expect(emulator.maps).toEqual(kernel.maps);
      // Not vacuous: each case runs the program at least once and the object has maps to compare.
      expect(kernel.results.length).toBeGreaterThan(0);
      expect(Object.keys(kernel.maps).length).toBeGreaterThan(0);
    });
  }
});
