// bpf/fib_lookup.bpf.c on the kernel and on the emulator (both executions): bpf_fib_lookup from XDP and tc
// test runs. The test run's namespace is the test process's; on the kernel side only what does not read the
// host's routes is compared: the loopback device (ifindex 1) with forwarding off, as a fresh namespace has it
// and the emulator's is, an ifindex no device has, IPv6 addresses never forwarded, the flags, the family.
// Each run's return code and the params after it must be the kernel's.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { openObject } from '../../src/index.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { testUnless } from '../helpers/skip.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { engineFor, type Side } from './program-sides.js';

const NO_DEVICE = 0x7fff0000;
const v4 = (a: number, b: number, c: number, d: number): number[] => [(a | (b << 8) | (c << 16) | (d << 24)) >>> 0, 0, 0, 0];
/** An IPv6 address from its 16 bytes' first two and last one. */
const v6 = (b0: number, b1: number, last: number): number[] => [b0 | (b1 << 8), 0, 0, (last << 24) >>> 0];
// [family, ifindex, flags, src, dst]
const cases: [number, number, number, number[], number[]][] = [
  [2, 1, 0, v4(10, 0, 0, 1), v4(8, 8, 8, 8)], [2, NO_DEVICE, 0, v4(10, 0, 0, 1), v4(8, 8, 8, 8)],
  ...[1, 2, 4, 8, 16, 32, 63, 64, 2 ** 31].map((flags): [number, number, number, number[], number[]] => [2, 1, flags, v4(10, 0, 0, 1), v4(8, 8, 8, 8)]),
  [10, 1, 0, v6(0x20, 0x01, 1), v6(0x20, 0x01, 2)], [10, NO_DEVICE, 0, v6(0x20, 0x01, 1), v6(0x20, 0x01, 2)],
  // Link-local, multicast and loopback destinations or sources: never forwarded, whatever the device.
  [10, NO_DEVICE, 0, v6(0x20, 0x01, 1), v6(0xfe, 0x80, 1)], [10, NO_DEVICE, 0, v6(0xfe, 0xbf, 1), v6(0x20, 0x01, 2)],
  [10, NO_DEVICE, 0, v6(0x20, 0x01, 1), v6(0xfe, 0xc0, 1)], [10, NO_DEVICE, 0, v6(0x20, 0x01, 1), v6(0xff, 0x02, 1)],
  [10, NO_DEVICE, 0, v6(0, 0, 1), v6(0x20, 0x01, 2)], [10, 1, 64, v6(0, 0, 1), v6(0x20, 0x01, 2)],
  [0, 1, 0, v4(1, 1, 1, 1), v4(2, 2, 2, 2)], [3, 1, 0, v4(1, 1, 1, 1), v4(2, 2, 2, 2)],
];

function answers(side: Side): string[] {
  using obj = openObject(fixture('fib_lookup'), { engine: engineFor(side) });
  const g = obj.globals as Record<string, unknown>;
  const data = new Uint8Array(64);
  data.set([8, 0, 0x45], 12);
  return cases.flatMap(([family, ifindex, flags, src, dst]) => {
    Object.assign(g, { family, ifindex, flags, src, dst });
    return ['xdp_fib', 'tc_fib'].map((p) => {
      const { retval } = obj.program(p).run({ data });
      return `${p} ${family} ${ifindex} ${flags} ${JSON.stringify(dst)}: ${g.rc} retval ${retval} params ${Buffer.from(g.after as Uint8Array).toString('hex')}`;
    });
  });
}

/** Why the kernel's answers would depend on this host's routes: no kernel, or lo forwarding. */
function skipReason(): string | undefined {
  const kernel = kernelSkipReason();
  if (kernel) return kernel;
  for (const family of ['ipv4', 'ipv6']) {
    const path = `/proc/sys/net/${family}/conf/lo/forwarding`;
    if (readFileSync(path, 'utf8').trim() !== '0') return `${path} is on: the kernel would read this host's routes`;
  }
  return undefined;
}

testUnless(skipReason(), 'bpf_fib_lookup in test runs: the emulator answers as the kernel does', () => {
  const kernel = answers('kernel');
  // Not vacuous: lo with forwarding off, a missing device, a link-local destination.
  expect(kernel[0]).toMatch(/^xdp_fib 2 1 0 .*: 5 /);
  expect(kernel[2]).toMatch(/: -19 /);
  expect(kernel.some((line) => /^tc_fib 10 2147418112 0 .*: 4 /.test(line))).toBe(true);
  for (const execution of EXECUTIONS) expect(answers(execution), execution).toEqual(kernel);
});
