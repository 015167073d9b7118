// The kernel is the oracle for programs too: every runnable fixture program runs on the kernel and on
// the emulator with the same inputs, and the results must be identical: retval, packet out, ctx out,
// and every map of the object afterwards.
import { expect, test } from 'vitest';
import { BpfError, bytes, Emulator, features, openObject, type BpfObject, type RunOptions } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
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
const u32pair = (a: number, b: number) => new Uint8Array(new Uint32Array([a, b]).buffer);
/** A __sk_buff ctx_in with mark 0x2a (offset 8), the only field core_skb reads that a ctx may set. */
const skbCtx = () => {
  const c = new Uint8Array(192);
  c[8] = 0x2a;
  return c;
};
const ipv4 = packet([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45]);
/** An xdp_md ctx_in: data (the metadata's size), data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex. */
const xdpMd = (data: number, dataEnd: number, { meta = 0, ingress = 0, rxq = 0, egress = 0 } = {}) => new Uint8Array(new Uint32Array([data, dataEnd, meta, ingress, rxq, egress]).buffer);
/** Four bytes of XDP metadata, then the packet. */
const withMeta = new Uint8Array([0xde, 0xad, 0xbe, 0xef, ...packet()]);
/** An __sk_buff ctx_in with ingress_ifindex (offset 36) 7; with `dataEnd`, data_end (offset 80) too (7.2 takes it, 6.18 does not). */
const skbIngressCtx = (dataEnd = 0) => {
  const c = new Uint8Array(192);
  new DataView(c.buffer).setUint32(36, 7, true);
  new DataView(c.buffer).setUint32(80, dataEnd, true);
  return c;
};
/** loop_results.bpf.c struct args: u64 nr_loops, u64 flags, u32 stop_at, u32 use_zero. */
const loopArgs = (nrLoops: bigint, stopAt = 0, flags = 0n, useZero = 0) => {
  const view = new DataView(new ArrayBuffer(24));
  view.setBigUint64(0, nrLoops, true);
  view.setBigUint64(8, flags, true);
  view.setUint32(16, stopAt, true);
  view.setUint32(20, useZero, true);
  return new Uint8Array(view.buffer);
};
/**
 * nr_loops around BPF_MAX_LOOPS (2^23) and with bits above 32 set, which an inlined bpf_loop and the helper
 * answer differently (bpf/loop_results.bpf.c). The callback stops after 5 calls where the loop would be long.
 */
const loopRuns = (flags = 0n, useZero = 0): RunOptions[] => [
  { ctx: loopArgs(3n, 0, flags, useZero) },
  { ctx: loopArgs(0x80_0000n, 5, flags, useZero) },
  { ctx: loopArgs(0x80_0001n, 5, flags, useZero) },
  { ctx: loopArgs(0x1_0000_0003n, 0, flags, useZero) },
  { ctx: loopArgs(0x1_0080_0001n, 5, flags, useZero) },
];

const cases: Case[] = [
  { object: 'unlocked', program: 'unlocked_inc', runs: [{ data: packet() }, { data: ipv4, repeat: 17 }] },
  { object: 'spin_lock', program: 'spin_hash', runs: [{ data: packet(), repeat: 5 }, { data: packet() }] },
  { object: 'spin_lock', program: 'spin_hash_noprealloc', runs: [{ data: packet(), repeat: 3 }] },
  { object: 'spin_lock', program: 'spin_array', runs: [{ data: packet(), repeat: 9 }] },
  // bpf_prog_test_run_syscall: a ctx_in shorter than the program reads (max_ctx_offset) is EINVAL, flags too;
  // cpu is not looked at.
  {
    object: 'syscall_counter', program: 'add_to_total',
    runs: [{ ctx: u32le(3), repeat: 4 }, { ctx: u32le(0xffffffff) }, { ctx: new Uint8Array(3) }, {}, { ctx: u32le(1), cpu: 1 }, { ctx: u32le(1), flags: 1 }],
  },
  { object: 'loader_features', program: 'first_tc', runs: [{ data: packet() }, { data: packet(), repeat: 3 }] },
  { object: 'loader_features', program: 'second_tc', runs: [{ data: packet(), repeat: 2 }] },
  { object: 'loader_features', program: 'sys_prog', runs: [{ ctx: new Uint8Array(8), repeat: 2 }] },
  { object: 'loader_features', program: 'optional_tc', programs: ['optional_tc'], runs: [{ data: packet() }] },
  { object: 'lru_touch', program: 'lru_touch', runs: [{ data: packet([1, 0, 0, 0]) }, { data: packet() }] },
  // bpf_for_each_map_elem: hash order (ZERO_SEED), stopping early, arrays, per-CPU values, flags != 0.
  { object: 'for_each', program: 'walk_maps', runs: [{ ctx: u32pair(9, 0) }, { ctx: u32pair(20, 5) }, { ctx: u32pair(3, 2) }] },
  // ... and an LRU walked mid-fill: the walk sets no ref bits, which the later inserts' evictions show.
  { object: 'for_each', program: 'walk_lru', runs: [{ ctx: u32pair(16, 8) }] },
  // bpf_loop inlined by the verifier (flags a known 0: full 64-bit nr_loops, E2BIG zero-extended) or called
  // as the helper (flags unknown, or 0 on only some paths: u32 nr_loops, E2BIG sign-extended); flags 1: EINVAL.
  { object: 'loop_results', program: 'loop_inlined', runs: loopRuns() },
  { object: 'loop_results', program: 'loop_helper', runs: [...loopRuns(), { ctx: loopArgs(3n, 0, 1n) }] },
  { object: 'loop_results', program: 'loop_mixed', runs: [...loopRuns(0n, 1).slice(0, 4), { ctx: loopArgs(0x1_0000_0003n, 0, 0n, 0) }] },
  // Test-run contexts: XDP metadata and the loopback device's queue from an xdp_md ctx_in, and what
  // bpf_prog_test_run_xdp refuses of one; an __sk_buff ctx_in's ingress_ifindex.
  {
    object: 'xdp_meta', program: 'xdp_meta_read', runs: [
      { data: packet() }, { data: withMeta, ctx: xdpMd(4, withMeta.length) }, { data: packet(), ctx: xdpMd(0, 64, { ingress: 1 }) },
      { data: withMeta, ctx: xdpMd(4, withMeta.length, { meta: 4 }) }, { data: withMeta, ctx: xdpMd(3, withMeta.length) },
      { data: packet(), ctx: xdpMd(0, 64, { rxq: 1 }) }, { data: packet(), ctx: xdpMd(0, 64, { ingress: 1, rxq: 1 }) },
      { data: packet(), ctx: xdpMd(0, 64, { egress: 1 }) }, { data: packet(), ctx: xdpMd(0, 65) },
    ],
  },
  { object: 'xdp_meta', program: 'tc_ingress_read', runs: [{ data: packet() }, { data: packet(), ctx: skbIngressCtx() }, { data: packet(), ctx: skbIngressCtx(64) }] },
  // CO-RE: __sk_buff read through a reordered local flavor; existence, size, offset and type relocations.
  { object: 'core_skb', program: 'core_skb', runs: [{ data: packet() }, { data: ipv4, ctx: skbCtx() }] },
  // CO-RE bitfield reads (byte offset, byte size, shifts, signedness) of whole target fields.
  { object: 'core_bitfields', program: 'core_bits', runs: [{ data: packet(), ctx: skbCtx() }] },
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

function runAll(engine: 'kernel' | Execution, c: Case) {
  using obj = openObject(fixture(c.object), {
    engine: engine === 'kernel' ? getKernelEngine() : new Emulator({ seed: 1, execution: engine, kernelVersion: features.emulatorKernelVersion() }),
    ...(c.programs ? { programs: c.programs } : {}),
  });
  const prog = obj.program(c.program);
  const results = c.runs.map((r) => {
    try {
      const { retval, data, ctx } = prog.run(r);
      return { retval, data: data && Buffer.from(data).toString('hex'), ctx: ctx && Buffer.from(ctx).toString('hex') };
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      return { refused: e.code }; // input the kernel refuses: the same errno on both engines
    }
  });
  return { results, maps: dumpMaps(obj) };
}

describeKernel('programs: the emulator answers as the kernel does', () => {
  for (const c of cases) {
    test(`${c.object}/${c.program}`, () => {
      const kernel = runAll('kernel', c);
      // Both of the emulator's executions: the reference interpreter and the compiler.
      for (const execution of EXECUTIONS) {
        const emulator = runAll(execution, c);
        expect(emulator.results, execution).toEqual(kernel.results);
        expect(emulator.maps, execution).toEqual(kernel.maps);
      }
      // Not vacuous: each case runs the program at least once and the object has maps to compare.
      expect(kernel.results.length).toBeGreaterThan(0);
      expect(Object.keys(kernel.maps).length).toBeGreaterThan(0);
    });
  }
});
