// packet.parse on what programs give back, on each engine: bpf/tc_rewrite.bpf.c rewrites a packet built
// with `packet` (destination address and port, with bpf_l3_csum_replace and bpf_l4_csum_replace), and the
// parsed result has the new fields and every checksum right — on the kernel, its incremental checksum
// updates agreeing with bpfkit's RFC 1071 check; on the emulator, its port of them.
import { expect, test } from 'vitest';
import { openObject, packet } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const frame = (l4: 'tcp' | 'udp', udpChecksum?: number): Uint8Array => {
  const ip = packet.ethernet().ipv4({ src: '10.0.0.1', dst: '10.0.0.2', id: 0x1234 });
  const seg = l4 === 'tcp'
    ? ip.tcp({ sport: 40000, dport: 80, seq: 1, flags: ['psh', 'ack'], options: ['nop', 'nop', { timestamp: [7, 9] }] })
    : ip.udp({ sport: 40000, dport: 53, checksum: udpChecksum });
  return seg.payload('a payload of odd length').build();
};

describeEngines('packet.parse of a rewritten packet', (engine) => {
  for (const [name, l4, zero] of [['TCP', 'tcp', false], ['UDP', 'udp', false], ['UDP without a checksum', 'udp', true]] as const) {
    test(`${name}: new destination and port, checksums right`, () => {
      using obj = openObject(fixture('tc_rewrite'), { engine: engine() });
      Object.assign(obj.globals, { new_daddr: 0x07080a0a, new_dport: 0x901f }); // 10.10.8.7 and 8080, network order
      const input = frame(l4, zero ? 0 : undefined);
      const { retval, data } = obj.program('tc_rewrite').run({ data: input });
      expect(retval).toBe(0); // TC_ACT_OK
      const before = packet.parse(input);
      const after = packet.parse(data!);
      expect(after.layers).toEqual(['ethernet', 'ipv4', l4]);
      expect(after.ipv4).toMatchObject({ src: '10.0.0.1', dst: '10.10.8.7', id: 0x1234, checksumValid: true });
      expect(after.ipv4!.checksum).not.toBe(before.ipv4!.checksum);
      expect(after[l4]).toMatchObject({ sport: 40000, dport: 8080, checksumValid: true });
      // BPF_F_MARK_MANGLED_0: a UDP datagram without a checksum keeps none.
      if (zero) expect(after.udp!.checksum).toBe(0);
      else expect(after[l4]!.checksum).not.toBe(before[l4]!.checksum);
      expect(after.payload).toEqual(before.payload);
      expect(after.checksumsValid).toBe(true);
    });
  }
});
