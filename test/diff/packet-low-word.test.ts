// bpf/packet_low_word.bpf.c on the kernel and on the emulator (both executions): a packet pointer's low word
// tested for 0. The kernel's never is (its packet sits past the test run's headroom, at a kernel address), so
// each program returns 2; an emulated packet pointer whose low word were its offset from the packet's start
// would return 1. XDP runs with and without metadata from a ctx_in, tc before and after its headroom grows.
import { expect, test } from 'vitest';
import { openObject } from '../../src/index.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';
import { engineFor, type Side } from './program-sides.js';

const xdpMeta = (meta: number): Uint8Array => new Uint8Array(new Uint32Array([meta, 64, 0, 0, 0, 0]).buffer);

function retvals(side: Side): number[] {
  using obj = openObject(fixture('packet_low_word'), { engine: engineFor(side) });
  const data = packet([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
  return [
    obj.program('tc_data_low_word').run({ data }).retval,
    obj.program('tc_pushed_low_word').run({ data }).retval,
    obj.program('xdp_data_low_word').run({ data }).retval,
    obj.program('xdp_data_low_word').run({ data, ctx: xdpMeta(8) }).retval,
  ];
}

describeKernel('a packet pointer\'s low word is never 0', () => {
  test('tc and XDP data pointers tested on their low word', () => {
    const kernel = retvals('kernel');
    expect(kernel).toEqual([2, 2, 2, 2]);
    for (const execution of EXECUTIONS) expect(retvals(execution), execution).toEqual(kernel);
  });
});
