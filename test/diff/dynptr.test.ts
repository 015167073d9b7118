// bpf/dynptr_packets.bpf.c on the kernel and on the emulator (both executions): skb and xdp dynptrs
// (net/core/filter.c bpf_dynptr_from_skb/_xdp, kernel/bpf/helpers.c bpf_dynptr_slice(_rdwr),
// bpf_dynptr_read/_write/_data), each call's answer, the packet afterwards and the retval, byte for byte.
import { describe, expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { EXECUTIONS, type Execution } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture } from '../kernel/bpf-fixtures.js';

type Side = 'kernel' | Execution;

const engineFor = (side: Side): Engine =>
  side === 'kernel' ? getKernelEngine() : new Emulator({ execution: side, kernelVersion: features.emulatorKernelVersion() });

/** Ethernet + IPv4 (TTL 64, TCP) padded to `size` bytes. */
function ipv4(size: number): Uint8Array {
  const p = new Uint8Array(size);
  p.set([0x08, 0x00, 0x45, 0, 0, 60], 12);
  p[22] = 64;
  p[23] = 6;
  return p;
}

const text = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));

/** Each program run on each packet: retval, packet out, and what its calls answered. */
function runs(side: Side, programs: string[], globals: string[]): string[] {
  using obj = openObject(fixture('dynptr_packets'), { engine: engineFor(side), programs });
  const seen = obj.globals as Record<string, unknown>;
  return programs.flatMap((p) => [74, 40].map((size) => {
    const { retval, data } = obj.program(p).run({ data: ipv4(size) });
    return text({ p, size, retval, data, seen: globals.map((g) => seen[g]) });
  }));
}

const RDWR_POLICY = /^bpf_dynptr_slice_rdwr\(\) is not allowed$/;

describeKernel('skb and xdp dynptrs: the emulator answers as the kernel does', () => {
  const skip = features.kfunc('bpf_dynptr_from_skb') ? undefined : 'kfunc bpf_dynptr_from_skb is missing (needs Linux 6.4+ with kernel BTF)';
  if (skip) console.log(`skipped: dynptrs: ${skip}`);

  test.skipIf(skip !== undefined)('read, write, data and slices; bad flags, past the end, a read-only skb dynptr', () => {
    const programs = ['skb_dynptr', 'xdp_dynptr', 'skb_dynptr_ro'];
    const kernel = runs('kernel', programs, ['skb_seen', 'xdp_seen', 'ro_seen']);
    // Not vacuous: the TTL write went into the tc packet, and the protocol byte was read.
    expect(kernel[0]).toContain('"write_ttl":"0n"');
    expect(kernel[0]).toContain('"proto":6');
    for (const execution of EXECUTIONS) expect(runs(execution, programs, ['skb_seen', 'xdp_seen', 'ro_seen']), execution).toEqual(kernel);
  });

  test.skipIf(skip !== undefined)('writable slices: the packet rewritten through one; refused where the program may not write packets', () => {
    const programs = ['skb_rdwr', 'xdp_rdwr'];
    const emulated = EXECUTIONS.map((execution) => runs(execution, programs, ['rdwr_skb', 'rdwr_xdp']));
    // tc and xdp got a slice and the source MAC is 02:00:00:00:00:01.
    expect(emulated[0]![0]).toContain('"data":"000000000000020000000001');
    expect(emulated[0]!.at(-1)).toContain('"seen":["1n","1n"]');
    expect(emulated[1]).toEqual(emulated[0]);
    // cgroup_skb may not write packets: check_kfunc_call refuses bpf_dynptr_slice_rdwr there (as 7.2 does).
    const refusal = (side: Side) => {
      try {
        openObject(fixture('dynptr_packets'), { engine: engineFor(side), programs: ['ro_rdwr'] }).close();
        return 'loaded';
      } catch (e) {
        if (!(e instanceof BpfVerifierError)) throw e;
        return `${e.code}: ${lastMeaningfulLine(e.log)}`;
      }
    };
    for (const execution of EXECUTIONS) expect(refusal(execution)).toBe('EINVAL: the prog does not allow writes to packet data');
    let kernel: string[] | undefined;
    try {
      kernel = runs('kernel', programs, ['rdwr_skb', 'rdwr_xdp']);
    } catch (e) {
      // A hardened kernel (this machine's 6.18 build) refuses the kfunc itself, EPERM: nothing to compare.
      if (!(e instanceof BpfVerifierError && e.code === 'EPERM' && RDWR_POLICY.test(lastMeaningfulLine(e.log)))) throw e;
      console.log(`skipped: writable dynptr slices on the kernel: this kernel refuses bpf_dynptr_slice_rdwr (${lastMeaningfulLine(e.log)})`);
    }
    if (kernel) {
      expect(emulated[0]).toEqual(kernel);
      expect(refusal('kernel')).toBe(refusal(EXECUTIONS[0]!));
    }
  });
});

describe('dynptr kfuncs on an emulated kernel older than them', () => {
  test('Linux 6.3 has no bpf_dynptr_from_skb: the load says so', () => {
    let error: unknown;
    try {
      openObject(fixture('dynptr_packets'), { engine: new Emulator({ kernelVersion: '6.3' }), programs: ['skb_dynptr'] }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BpfError);
    expect((error as BpfError).message).toContain("kfunc 'bpf_dynptr_from_skb' is not in Linux 6.3");
  });
});
