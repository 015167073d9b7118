import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { expect, test } from 'vitest';
import { mapBtf } from '../../src/btf/encode.js';
import { BtfKind, Emulator, decodeBtf, features, spinLock, struct, u32, u64 } from '../../src/index.js';
import { describeKernel } from '../helpers/kernel.js';
import { testRequiring } from '../helpers/require-kernel.js';

describeKernel('feature probes', () => {
  test('kernelRelease is uname -r', () => {
    expect(features.kernelRelease()).toBe(release());
  });

  test('kernelVersion is uname -r as numbers; kernelAtLeast compares against it', () => {
    const [major, minor, patch] = features.kernelVersion();
    expect(release().startsWith(`${major}.${minor}.${patch}`) || release().startsWith(`${major}.${minor}-`)).toBe(true);
    expect(features.kernelAtLeast(`${major}.${minor}`)).toBe(true);
    expect(features.kernelAtLeast(`${major}.${minor + 1}`)).toBe(false);
    expect(features.kernelAtLeast(`${major - 1}.99.99`)).toBe(true);
    expect(() => features.kernelAtLeast('six')).toThrow(RangeError);
  });

  test('emulatorKernelVersion is MAJOR.MINOR of uname -r, and an Emulator accepts it', () => {
    const [major, minor] = features.kernelVersion();
    expect(features.emulatorKernelVersion()).toBe(`${major}.${minor}`);
    expect(new Emulator({ kernelVersion: features.emulatorKernelVersion() }).kernelVersion).toBe(`${major}.${minor}`);
  });

  test('map types: the six bpfkit types exist; a type number the kernel does not know does not', () => {
    for (const t of ['hash', 'array', 'percpu_hash', 'percpu_array', 'lru_hash', 'lru_percpu_hash', 'cgroup_storage', 'percpu_cgroup_storage', 'lpm_trie'] as const) {
      expect(features.mapType(t)).toBe(true);
    }
    expect(features.mapType(3)).toBe(true); // PROG_ARRAY, probed with its 4-byte values
    expect(features.mapType(9999)).toBe(false);
  });

  test('program types: tc, xdp and syscall load; an unknown type does not', () => {
    expect(features.programType('SchedCls')).toBe(true);
    expect(features.programType('Xdp')).toBe(true);
    expect(features.programType(9999)).toBe(false);
  });

  test('helper(): what a program of the type may call, by C name or id; a bad name or type is an error', () => {
    expect(features.helper('SchedCls', 'bpf_skb_store_bytes')).toBe(true);
    expect(features.helper('Xdp', 44)).toBe(true); // bpf_xdp_adjust_head
    // Offered to tc programs only (net/core/filter.c tc_cls_act_func_proto): the kernel's own refusal.
    expect(features.helper('Xdp', 'bpf_skb_store_bytes')).toBe(false);
    expect(features.helper('Syscall', 'skb_load_bytes')).toBe(false); // the bpf_ prefix is optional
    expect(() => features.helper('Xdp', 'bpf_no_such_helper')).toThrow(RangeError);
    expect(() => features.helper('NoSuchType' as never, 1)).toThrow(TypeError);
  });

  test('kfunc() reads vmlinux BTF and agrees with /proc/kallsyms', () => {
    expect(features.btf()).toBe(true);
    const kallsyms = readFileSync('/proc/kallsyms', 'utf8');
    for (const name of ['bpf_res_spin_lock', 'bpf_obj_new_impl', 'bpf_dynptr_from_skb']) {
      expect(features.kfunc(name)).toBe(new RegExp(`\\s${name}$`, 'm').test(kallsyms));
    }
    expect(features.kfunc('bpfkit_no_such_kfunc')).toBe(false);
  });

  test('the BTF decoder reads back what the encoder wrote for a lock-bearing value', () => {
    const { data, valueTypeId } = mapBtf(u32, struct({ lock: spinLock, count: u64 }, { name: 'counter' }));
    const types = decodeBtf(data);
    expect(types.find((t) => t.id === valueTypeId)).toEqual({ id: valueTypeId, kind: BtfKind.Struct, name: 'counter' });
    expect(types.filter((t) => t.kind === BtfKind.Struct).map((t) => t.name).sort()).toEqual(['bpf_spin_lock', 'counter']);
    expect(() => decodeBtf(new Uint8Array(30))).toThrow(/magic/);
  });
});

testRequiring('requireKernel runs a test only where the kfunc exists', { kfunc: 'bpf_res_spin_lock' }, () => {
  expect(features.kfunc('bpf_res_spin_lock')).toBe(true);
});
