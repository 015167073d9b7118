// DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP on the kernel and on the emulator (both executions): BPF_MAP_CREATE's
// checks (kernel/bpf/devmap.c dev_map_alloc_check, cpumap.c cpu_map_alloc, net/xdp/xskmap.c xsk_map_alloc)
// and the flags a map keeps; each map's update, lookup, delete and get_next_key errnos and values over a
// trace of operations (an ifindex the namespace has not, a program fd that names nothing, a hash's bucket
// order); and bpf/xdp_redirect_map.bpf.c's bpf_redirect_map in XDP test runs (the flags' action on a
// missing key, BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS, the key's low 32 bits) and a program's devmap
// lookup. Only ifindex 1 (lo) is used as a device: the kernel's namespace may hold others the emulator's
// does not.
import { expect, test } from 'vitest';
import { BpfError, openObject, struct, u32, type MapHandle, type MapInfo } from '../../src/index.js';
import { KernelMapType } from '../../src/uapi/bpf.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';
import { engineFor, type Side } from './program-sides.js';

const { Devmap, DevmapHash, Cpumap, Xskmap } = KernelMapType;
/** An ifindex and a program fd nothing in the test's namespace or process has. */
const NO_DEVICE = 0x7fff0000;
const NO_FD = 0x7ffffff0;

function creates(side: Side): string[] {
  const engine = engineFor(side);
  const out: string[] = [];
  for (const type of [Devmap, DevmapHash, Cpumap, Xskmap]) {
    // [key size, value size, max entries, flags]: RDONLY, WRONLY, NUMA_NODE, RDONLY_PROG and an unknown flag.
    for (const [keySize, valueSize, maxEntries, flags] of [[4, 4, 4, 0], [4, 8, 4, 0], [4, 12, 4, 0], [8, 4, 4, 0], [4, 4, 0, 0], [4, 4, 4, 0x8],
      [4, 4, 4, 0x10], [4, 4, 4, 0x4], [4, 4, 4, 0x80], [4, 4, 4, 0x400], [4, 4, 256, 0], [4, 4, 257, 0], [4, 4, 2 ** 31 + 1, 0]] as const) {
      if (type !== DevmapHash && maxEntries > 2 ** 31) continue; // allocated up front: the host's memory decides
      const h = engine.createMap({ type, keySize, valueSize, maxEntries, flags, name: 'm', numaNode: 0 });
      out.push(`${type} ${keySize}/${valueSize}/${maxEntries}/${flags}: ${typeof h === 'number' ? h : `flags ${(h.queryInfo() as MapInfo).flags}`}`);
      if (typeof h !== 'number') h.close();
    }
  }
  return out;
}

type Op = ['u', number, number[], number?] | ['l' | 'd' | 'ld', number] | ['n', number | null];
const u32s = (...words: number[]): Uint8Array => new Uint8Array(new Uint32Array(words).buffer);

function trace(h: MapHandle, valueSize: number, ops: Op[]): string {
  return ops.map((op) => {
    const key = u32s(op[1] ?? 0);
    const value = new Uint8Array(valueSize);
    switch (op[0]) {
      case 'u': return `u${op[1]}=${h.update(key, u32s(...op[2]), op[3] ?? 0)}`;
      case 'd': return `d${op[1]}=${h.delete(key)}`;
      case 'ld': return `ld${op[1]}=${h.lookupAndDelete(key, value, 0)}`;
      case 'l': {
        const rc = h.lookup(key, value, 0);
        return `l${op[1]}=${rc}${rc === 0 ? `:${Buffer.from(value).toString('hex')}` : ''}`;
      }
      default: {
        const next = new Uint8Array(4);
        const rc = h.getNextKey(op[1] === null ? null : key, next);
        return `n${op[1]}=${rc}${rc === 0 ? `:${new DataView(next.buffer).getUint32(0, true)}` : ''}`;
      }
    }
  }).join(' ');
}

const traces: [type: number, valueSize: number, maxEntries: number, ops: Op[]][] = [
  [Devmap, 8, 4, [['l', 0], ['u', 0, [1, 0]], ['l', 0], ['u', 1, [1, 0], 1], ['u', 1, [1, 0], 2], ['u', 4, [1, 0]], ['u', 2, [NO_DEVICE, 0]],
    ['u', 2, [0, 5]], ['u', 2, [0, 0]], ['u', 2, [1, NO_FD]], ['u', 3, [1, -1]], ['u', 2, [1, 0], 4], ['l', 4], ['d', 0], ['d', 0], ['d', 4],
    ['n', null], ['n', 3], ['n', 9], ['ld', 3]]],
  [Devmap, 4, 2, [['u', 0, [1]], ['l', 0], ['u', 0, [0]], ['l', 0]]],
  [DevmapHash, 8, 3, [['l', 0], ['u', 5, [1, 0]], ['u', 5, [1, 0], 1], ['u', 6, [1, 0], 2], ['u', 7, [0, 0]], ['u', 8, [NO_DEVICE, 0]],
    ['u', 8, [1, NO_FD]], ['u', 9, [1, 0]], ['u', 13, [1, 0]], ['u', 6, [1, 0], 2], ['l', 5], ['n', null], ['n', 13], ['n', 5], ['n', 9],
    ['n', 6], ['d', 5], ['d', 5], ['u', 5, [1, 0], 4], ['u', 100, [1, 0]], ['ld', 6]]],
  [DevmapHash, 4, 8, [['u', 1, [1]], ['u', 9, [1]], ['u', 17, [1]], ['u', 2, [1]], ['u', 10, [1]], ['u', 1, [1]], ['n', null], ['n', 1],
    ['n', 17], ['n', 9], ['n', 10], ['n', 2]]],
  [Cpumap, 8, 4, [['l', 0], ['u', 0, [16, 0]], ['l', 0], ['u', 0, [16385, 0]], ['u', 0, [16384, 0]], ['u', 1, [8, 0], 1], ['u', 1, [8, 0], 2],
    ['u', 2, [8, 0]], ['u', 4, [8, 0]], ['u', 0, [0, 0]], ['l', 0], ['u', 1, [8, -1]], ['d', 1], ['d', 1], ['d', 4], ['n', null], ['n', 3], ['ld', 1]]],
  [Cpumap, 4, 2, [['u', 0, [1]], ['l', 0], ['u', 1, [3]], ['l', 1]]],
  [Xskmap, 4, 4, [['l', 0], ['l', 9], ['u', 0, [NO_FD]], ['u', 0, [NO_FD], 1], ['u', 0, [NO_FD], 4], ['u', 4, [NO_FD]], ['d', 0], ['d', 4],
    ['n', null], ['n', 3], ['ld', 0]]],
];

function elementTraces(side: Side): string[] {
  const engine = engineFor(side);
  return traces.map(([type, valueSize, maxEntries, ops]) => {
    const h = engine.createMap({ type, keySize: 4, valueSize, maxEntries, flags: 0, name: 'm', numaNode: 0 }) as MapHandle;
    try {
      return `${type}/${valueSize}: ${trace(h, valueSize, ops)}`;
    } finally {
      h.close();
    }
  });
}

/** A CPUMAP entry naming a program fd that names nothing: its errno differs by version (kernel-version.ts cpumapEntryErrno). */
function cpumapBadProgram(side: Side): number {
  const h = engineFor(side).createMap({ type: Cpumap, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, name: 'm', numaNode: 0 }) as MapHandle;
  try {
    return h.update(u32s(1), u32s(8, NO_FD), 0);
  } finally {
    h.close();
  }
}

/** [map (0 devs, 1 dev_hash, 2 cpus, 3 xsks), key, flags] */
const redirects: [number, bigint, bigint][] = [
  ...[0n, 1n, 2n, 3n, 4n, 8n, 16n, 24n, 32n, 1n << 40n].map((flags): [number, bigint, bigint] => [0, 0n, flags]),
  [0, 1n, 0n], [0, (1n << 32n) | 1n, 2n], [0, 1n, 2n | 16n], [0, 5n, 2n], [0, 2n, 8n | 2n],
  [1, 7n, 0n], [1, 8n, 2n], [1, 8n, 8n], [1, 7n, 4n],
  [2, 1n, 0n], [2, 0n, 2n], [2, 0n, 8n], [2, 5n, 1n],
  [3, 0n, 2n], [3, 0n, 3n], [3, 1n, 8n], [3, 1n, 0n],
];
const BROADCAST = 8n;

function programRuns(side: Side): string[] {
  using obj = openObject(fixture('xdp_redirect_map'), { engine: engineFor(side) });
  const g = obj.globals as Record<string, unknown>;
  obj.map('devs', { key: u32, value: devVal, perCpu: false }).set(1, { ifindex: 1, prog: 0 });
  obj.map('dev_hash', { key: u32, value: u32, perCpu: false }).set(7, 1);
  obj.map('cpus', { key: u32, value: cpuVal, perCpu: false }).set(1, { qsize: 8, prog: 0 });
  const out = redirects.map(([which, key, flags]) => {
    Object.assign(g, { which, key, flags });
    return `redirect ${which} ${key} ${flags}: ${obj.program('redirect').run({ data: packet() }).retval}`;
  });
  for (const key of [1n, 0n, 7n]) {
    g.key = key;
    const { retval } = obj.program('lookup_dev').run({ data: packet() });
    out.push(`lookup ${key}: ${retval} ${g.seen_ifindex} ${g.seen_prog}`);
  }
  return out;
}

/**
 * Entries naming programs (by fd on the kernel, by id on the emulator: handle.progArrayValue()): a devmap
 * takes a BPF_XDP_DEVMAP program and shows its id, and refuses another (EINVAL); a cpumap likewise with
 * BPF_XDP_CPUMAP (its refusal's errno is the version's: cpumapEntryErrno).
 */
/** struct dev_val and struct cpu_val as codecs. */
const devVal = struct({ ifindex: u32, prog: u32 }, { name: 'dev_val' });
const cpuVal = struct({ qsize: u32, prog: u32 }, { name: 'cpu_val' });

function programEntries(side: Side): string[] {
  using obj = openObject(fixture('xdp_redirect_map'), { engine: engineFor(side) });
  const value = (name: string): number => obj.program(name).handle.progArrayValue();
  const id = (name: string): number => obj.program(name).id;
  const out: string[] = [];
  const entries = (map: string, set: (prog: number) => void, prog: () => number | undefined): void => {
    for (const name of ['on_device', 'on_cpu', 'redirect']) {
      let rc = 0;
      try {
        set(value(name));
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        rc = e.errno;
      }
      out.push(`${map} ${name}: ${rc}${prog() === id(name) ? ' (its id)' : ''}`);
    }
  };
  using devs = obj.map('devs', { key: u32, value: devVal, perCpu: false });
  entries('devs', (prog) => devs.set(1, { ifindex: 1, prog }), () => devs.get(1)?.prog);
  using cpus = obj.map('cpus', { key: u32, value: cpuVal, perCpu: false });
  entries('cpus', (prog) => cpus.set(1, { qsize: 8, prog }), () => cpus.get(1)?.prog);
  return out;
}

describeKernel('redirect maps: the emulator answers as the kernel does', () => {
  test('BPF_MAP_CREATE and the flags the maps keep', () => {
    const kernel = creates('kernel');
    // Not vacuous: a devmap keeps BPF_F_RDONLY_PROG; a cpumap past NR_CPUS is E2BIG.
    expect(kernel[0]).toBe(`${Devmap} 4/4/4/0: flags 128`);
    expect(kernel).toContain(`${Cpumap} 4/4/257/0: -7`);
    // Map operations do not depend on how programs execute: one emulator side serves.
    expect(creates('interpreter')).toEqual(kernel);
  });

  test('update, lookup, delete and get_next_key of each map', () => {
    const kernel = elementTraces('kernel');
    expect(kernel[0]).toContain('l0=0:0100000000000000');
    expect(elementTraces('interpreter')).toEqual(kernel);
    // Before the version that propagates it, the program's errno was ENOMEM.
    expect(cpumapBadProgram('interpreter')).toBe(cpumapBadProgram('kernel'));
    expect([-12, -9]).toContain(cpumapBadProgram('kernel'));
  });

  test('entries naming programs', () => {
    const kernel = programEntries('kernel');
    expect(kernel).toContain('devs on_device: 0 (its id)');
    expect(kernel).toContain('devs redirect: -22');
    expect(programEntries('interpreter')).toEqual(kernel);
  });

  test('bpf_redirect_map in XDP test runs, and a devmap lookup', () => {
    const kernel = programRuns('kernel');
    expect(kernel).toContain('redirect 0 0 2: 2');
    expect(kernel).toContain(`redirect 0 2 ${BROADCAST | 2n}: 4`);
    for (const execution of EXECUTIONS) expect(programRuns(execution), execution).toEqual(kernel);
  });
});
