// Programs the verifier walks at length. bpf/parser.bpf.c, a packet parser at a real one's size (~2,000
// instructions, unrolled loops over VLAN tags, IPv4 options, IPv6 extension headers and TCP options, a
// VXLAN inner packet): both engines accept it, and on the same packets both return the same verdicts and
// leave the same maps. bpf/bounded_loop.bpf.c, a loop the kernel walks for ~850,000 instructions: both
// accept it and compute the same. The verifiers' work (processed instructions, total and peak states: what
// precision-aware pruning, stack liveness and the checkpoint heuristics decide) is the kernel's exactly on
// the versions the model follows (kernel-version.ts verifierWorkExact); on 7.2, which prunes by precision
// with its own liveness analysis, within 5%; on the older ones the model prunes conservatively (every
// scalar precise) and walks at least as much as the kernel.
import { expect, test } from 'vitest';
import { bytes, Emulator, features, openObject, type BpfObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { precisionPruning, verifierWorkExact } from '../../src/emulator/kernel-version.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { parserPackets } from './parser-packets.js';

/** The per-CPU scratch value is left out: which CPU a run lands on is the host's choice. */
const COMPARED_MAPS = ['parser_flows', 'parser_classes', 'parser_blocked'];
/** A blocked destination port (parser_blocked), which one packet of parserPackets goes to. */
const BLOCKED_PORT = 53;

function open(engine: 'kernel' | Execution, object = 'parser'): BpfObject {
  return openObject(fixture(object), {
    engine: engine === 'kernel' ? getKernelEngine() : new Emulator({ seed: 1, execution: engine, kernelVersion: features.emulatorKernelVersion() }),
  });
}

/** A map's entries as sorted key=value hex pairs. */
function dumpMap(obj: BpfObject, name: string): string[] {
  const info = obj.maps[name]!;
  using map = obj.map(name, { key: bytes(info.keySize), value: bytes(info.valueSize), perCpu: false });
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return [...map.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
}

const dumpMaps = (obj: BpfObject): Record<string, string[]> => Object.fromEntries(COMPARED_MAPS.map((name) => [name, dumpMap(obj, name)]));

function runAll(engine: 'kernel' | Execution) {
  using obj = open(engine);
  const port = new Uint8Array(new Uint16Array([BLOCKED_PORT]).buffer);
  {
    using blocked = obj.map('parser_blocked', { key: bytes(2), value: bytes(1), perCpu: false });
    blocked.set(port, Uint8Array.of(1));
  }
  const prog = obj.program('xdp_parser');
  const retvals = parserPackets().map(({ name, data }) => [name, prog.run({ data }).retval] as const);
  return { retvals, maps: dumpMaps(obj) };
}

test('the emulator accepts the parser', () => {
  using obj = open('interpreter');
  expect(obj.program('xdp_parser').name).toBe('xdp_parser');
});

describeKernel('parser: the emulator answers as the kernel does', () => {
  test('both accept it; the same packets give the same verdicts and maps', () => {
    const kernel = runAll('kernel');
    for (const execution of EXECUTIONS) {
      const emulator = runAll(execution);
      expect(emulator.retvals, execution).toEqual(kernel.retvals);
      expect(emulator.maps, execution).toEqual(kernel.maps);
    }
    // Not vacuous: the packets reach every verdict and most classes, and record flows.
    const verdicts = new Set(kernel.retvals.map(([, retval]) => retval));
    expect([...verdicts].sort()).toEqual([1, 2]); // XDP_DROP, XDP_PASS
    expect(kernel.retvals.find(([name]) => name === 'udp4 to a blocked port')?.[1]).toBe(1);
    expect(kernel.maps.parser_flows!.length).toBeGreaterThanOrEqual(6);
    const counted = kernel.maps.parser_classes!.filter((e) => !e.endsWith(`=${'0'.repeat(32)}`));
    expect(counted.length).toBeGreaterThanOrEqual(7);
  });
});

describeKernel('bounded_loop: the emulator answers as the kernel does', () => {
  test('both accept it; a run leaves the same map', () => {
    const run = (engine: 'kernel' | Execution) => {
      using obj = open(engine, 'bounded_loop');
      const { retval } = obj.program('bounded_loop').run({ data: new Uint8Array(64) });
      return { retval, maps: dumpMap(obj, 'loop_states') };
    };
    const kernel = run('kernel');
    expect(run('compiled')).toEqual(kernel);
    expect(kernel.retval).toBe(2); // XDP_PASS
  }, 600_000); // 850,000 instructions a side: minutes under QEMU's TCG (make matrix)
});

describeKernel('the verifier\'s work: the emulator prunes as the kernel does', () => {
  test.each([['parser', 'xdp_parser'], ['bounded_loop', 'bounded_loop']])('%s', (object, program) => {
    const version = features.emulatorKernelVersion();
    const stats = (engine: Engine) => {
      using obj = openObject(fixture(object), { engine, programs: [program], logLevel: 4 });
      return obj.program(program).verifierStats!;
    };
    const kernel = stats(getKernelEngine());
    const emulator = stats(new Emulator({ kernelVersion: version }));
    console.log(`${program} on ${version}: kernel ${JSON.stringify(kernel)}, emulator ${JSON.stringify(emulator)}`);
    expect(kernel.processedInsns).toBeGreaterThan(20_000); // pruning has real work to do here
    if (verifierWorkExact(version)) {
      expect(emulator).toEqual(kernel);
    } else if (precisionPruning(version)) {
      // The kernel prunes by precision as the model does, with its own liveness analysis (7.2's liveness.c):
      // the same order of work, not the same count.
      console.log(`${program}: kernel ${version} prunes by precision with its own liveness; the model's work is within 5%`);
      expect(Math.abs(emulator.processedInsns - kernel.processedInsns)).toBeLessThanOrEqual(kernel.processedInsns * 0.05);
    } else {
      console.log(`${program}: kernel ${version} prunes by rules other than the model's, which prunes less there`);
      expect(emulator.processedInsns).toBeGreaterThanOrEqual(kernel.processedInsns);
    }
  }, 600_000);
});
