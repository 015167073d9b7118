// CO-RE relocations (src/emulator/programs/core.ts) on both engines: libbpf resolves them against the
// kernel's BTF, the emulator against its own context types (contexts.ts ctxStructs). The same object
// must read the same fields and see the same answers to existence/size/offset questions, and a read of a
// field nobody has must be refused the way libbpf's poisoning makes the verifier refuse it.
import { expect, test } from 'vitest';
import { BpfVerifierError, bytes, Emulator, openObject, u32 } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const fields = ['len', 'mark', 'cb2', 'protocol', 'missing_field_exists', 'len_exists', 'cb_size', 'cb_offset', 'skb_type_exists',
  'missing_type_exists', 'xdp_md_size', 'missing_read', 'loop_exists', 'loop_id', 'cgrp_storage_exists', 'missing_helper_exists',
  'func_id_size'] as const;

/** What core_skb leaves in .bss, by field. */
function coreSeen(obj: ReturnType<typeof openObject>): Record<string, number | undefined> {
  const bss = Object.values(obj.maps).find((m) => m.name.endsWith('.bss'))!;
  using map = obj.map(bss.name, { key: u32, value: bytes(bss.valueSize) });
  const words = new Uint32Array((map.get(0) as Uint8Array).slice().buffer);
  return Object.fromEntries(fields.map((f, i) => [f, words[i]]));
}

describeEngines('CO-RE against __sk_buff', (engine) => {
  test('fields are read at the target\'s offsets; existence, sizes and offsets are the target\'s', () => {
    using obj = openObject(fixture('core_skb'), { engine: engine() });
    const ctx = new Uint8Array(192);
    ctx[8] = 0x2a; // mark
    // An IPv4 frame: protocol is ETH_P_IP (htons(0x0800) as the skb stores it).
    const frame = packet([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45]);
    const run = obj.program('core_skb').run({ data: frame, ctx });
    expect(run.retval).toBe(1);
    const seen = coreSeen(obj);
    expect(seen).toMatchObject({
      len: 64, mark: 0x2a, cb2: 1064, protocol: 0x0008, missing_field_exists: 0, len_exists: 1, cb_size: 20,
      cb_offset: 52, skb_type_exists: 1, missing_type_exists: 0, xdp_md_size: 24, missing_read: 0,
      loop_exists: 1, loop_id: 181, missing_helper_exists: 0, func_id_size: 4,
    });
    // The writes went to the real fields: cb[2] at 56 and priority at 32 come back in ctx_out.
    const out = new DataView(run.ctx!.buffer, run.ctx!.byteOffset);
    expect(out.getUint32(56, true)).toBe(1064);
    expect(out.getUint32(32, true)).toBe(7);
  });

  test('an unguarded read of a missing field is poisoned, and the load fails as libbpf reports it', () => {
    try {
      openObject(fixture('core_poison'), { engine: engine() }).close();
      expect.unreachable('core_poison loaded');
    } catch (e) {
      expect(e).toBeInstanceOf(BpfVerifierError);
      expect((e as BpfVerifierError).code).toBe('EINVAL');
      // The verifier says "invalid func unknown#195896080"; libbpf rewrites that line of the log.
      expect((e as BpfVerifierError).message).toMatch(/: failed to resolve CO-RE relocation <byte_off> \[\d+\] struct __sk_buff___local.bpfkit_no_such_field \(0:0 @ offset 0\) — core_poison\.bpf\.c:13: /);
    }
  });
});

// The emulator has no struct iphdr (it knows the context structs only): a bitfield read of one is poisoned
// as libbpf poisons a relocation it cannot resolve, so only the program that reaches it cannot load, and
// as ENOTSUPP, not as a verdict — the kernel resolves it against its own BTF and loads the program.
test('a bitfield relocation against a type the emulator lacks stops that program only, with ENOTSUPP', () => {
  const emulator = new Emulator();
  using obj = openObject(fixture('core_bitfields'), { engine: emulator });
  expect(obj.programs.core_bits!.loaded).toBe(true);
  expect(() => openObject(fixture('core_bitfields'), { engine: emulator, programs: ['core_iphdr_bits'] })).toThrow(
    expect.objectContaining({ name: 'BpfError', code: 'ENOTSUPP', message: expect.stringMatching(/the emulator has no BTF for struct iphdr \(a CO-RE relocation/) }),
  );
});

test('enum relocations follow the emulated kernel: bpf_cgrp_storage_get (helper 210) is in enum bpf_func_id from 6.2', () => {
  const exists = (kernelVersion: string) => {
    using obj = openObject(fixture('core_skb'), { engine: new Emulator({ kernelVersion }) });
    obj.program('core_skb').run({ data: packet() });
    return coreSeen(obj).cgrp_storage_exists;
  };
  expect([exists('6.1'), exists('6.2'), exists('6.18')]).toEqual([0, 1, 1]);
});
