// The helper model (src/emulator/checker/helper-protos.ts) without a kernel: its tables hang together for every
// version kernel-version.ts knows, and the answers that differ between versions are the ones the kernels' sources
// (6.12, 7.2) and this project's 6.18 machine give. test/diff/helper-protos.test.ts compares it with a kernel.
import { describe, expect, test } from 'vitest';
import { sectionDefs } from '../../src/elf/sections.js';
import { BPF_FUNC_MAX_ID, HelperId } from '../../src/uapi/helpers.js';
import { AttachType as AT, KernelProgramType as PT } from '../../src/uapi/program-type.js';
import {
  ArgType, RegType, RetType, TypeFlag, expectedRegTypes, helperProto, helperProtoTable, helperRefusal, helperRefusalAfterArgs,
  modelledProgramTypes, regTypeStr,
} from '../../src/emulator/checker/helper-protos.js';

const versions = ['6.1', '6.12', '6.18', '7.2'];

test('every get_func_proto answer is a defined prototype of that helper, in every version and attach type', () => {
  const attachTypes = new Map<number, Set<number>>();
  for (const d of sectionDefs()) attachTypes.set(d.progType, (attachTypes.get(d.progType) ?? new Set([0])).add(d.attachType));
  let answers = 0;
  const wrong: string[] = [];
  for (const version of versions) {
    for (const type of modelledProgramTypes) {
      for (const attach of attachTypes.get(type) ?? [0]) {
        for (const sleepable of [false, true]) {
          for (let id = 1; id < BPF_FUNC_MAX_ID; id++) {
            const proto = helperProto(id, type, attach, version, { sleepable });
            if (!proto) continue;
            answers++;
            if (proto.id !== id) wrong.push(`${version} type ${type} attach ${attach}: helper ${id} gets ${proto.name}`);
          }
        }
      }
    }
  }
  expect(wrong).toEqual([]);
  expect(answers).toBeGreaterThan(50_000);
  for (const proto of helperProtoTable.values()) {
    expect(proto.id).toBeGreaterThan(0);
    expect(proto.id).toBeLessThan(BPF_FUNC_MAX_ID);
    expect(proto.args.length).toBeLessThanOrEqual(5);
  }
});

test('StructOps and Ext are not modelled: only the id range is answered', () => {
  expect(modelledProgramTypes).not.toContain(PT.StructOps);
  expect(modelledProgramTypes).not.toContain(PT.Ext);
  expect(helperProto(HelperId.MapLookupElem, PT.StructOps, 0)).toBeUndefined();
  expect(helperRefusal(HelperId.MapLookupElem, PT.StructOps, 0, true)).toBeUndefined();
  expect(helperRefusal(BPF_FUNC_MAX_ID, PT.Ext, 0, true)).toEqual({ log: `invalid func unknown#${BPF_FUNC_MAX_ID}`, errno: -22 });
});

describe('prototypes', () => {
  test('bpf_map_lookup_elem, bpf_ringbuf_reserve, bpf_sk_lookup_tcp as the kernel declares them', () => {
    const lookup = helperProto(HelperId.MapLookupElem, PT.SocketFilter, 0)!;
    expect(lookup).toMatchObject({ name: 'bpf_map_lookup_elem_proto', ret: RetType.RET_PTR_TO_MAP_VALUE_OR_NULL, gplOnly: false, pktAccess: true });
    expect(lookup.args).toEqual([ArgType.ARG_CONST_MAP_PTR, ArgType.ARG_PTR_TO_MAP_KEY]);
    const reserve = helperProto(131, PT.Xdp, AT.Xdp)!;
    expect(reserve.ret).toBe(TypeFlag.PTR_MAYBE_NULL | TypeFlag.MEM_RINGBUF | RetType.RET_PTR_TO_MEM);
    // tc and XDP get their own sk_lookup protos (net/core/filter.c bpf_tc_sk_lookup_tcp_proto, bpf_xdp_sk_lookup_tcp_proto).
    expect(helperProto(84, PT.SchedCls, 0)?.name).toBe('bpf_tc_sk_lookup_tcp_proto');
    expect(helperProto(84, PT.Xdp, AT.Xdp)?.name).toBe('bpf_xdp_sk_lookup_tcp_proto');
    expect(helperProto(84, PT.SchedCls, 0)?.ret).toBe(RetType.RET_PTR_TO_SOCKET_OR_NULL);
  });

  test('flags that came with 6.13: MEM_RDONLY on bpf_kallsyms_lookup_name\'s name, MEM_WRITE on bpf_snprintf\'s buffer', () => {
    expect(helperProto(179, PT.Syscall, 0, '6.12', { sleepable: true })?.args[0]).toBe(ArgType.ARG_PTR_TO_MEM);
    expect(helperProto(179, PT.Syscall, 0, '7.2', { sleepable: true })?.args[0]).toBe(ArgType.ARG_PTR_TO_MEM | TypeFlag.MEM_RDONLY);
    expect(helperProto(165, PT.SocketFilter, 0, '6.12')?.args[0]).toBe(ArgType.ARG_PTR_TO_MEM_OR_NULL);
    expect(helperProto(165, PT.SocketFilter, 0, '7.2')?.args[0]).toBe(ArgType.ARG_PTR_TO_MEM_OR_NULL | TypeFlag.MEM_WRITE);
  });

  test('bpf_loop\'s count: ARG_SCALAR in 6.12 and 7.2, ARG_ANYTHING on 6.18.44', () => {
    expect(helperProto(HelperId.Loop, PT.Xdp, AT.Xdp, '6.12')?.args[0]).toBe(ArgType.ARG_SCALAR);
    expect(helperProto(HelperId.Loop, PT.Xdp, AT.Xdp, '6.18')?.args[0]).toBe(ArgType.ARG_ANYTHING);
    expect(helperProto(HelperId.Loop, PT.Xdp, AT.Xdp, '7.2')?.args[0]).toBe(ArgType.ARG_SCALAR);
  });
});

describe('availability by version', () => {
  test('bpf_base_func_proto took the tracing helpers in 6.16: bpf_get_current_comm in a socket filter', () => {
    expect(helperRefusal(HelperId.GetCurrentComm, PT.SocketFilter, 0, true, '6.12')).toEqual({
      log: 'program of this type cannot use helper bpf_get_current_comm#16', errno: -22,
    });
    expect(helperRefusal(HelperId.GetCurrentComm, PT.SocketFilter, 0, true, '6.18')).toBeUndefined();
  });

  test('bpf_setsockopt in BPF_CGROUP_INET_SOCK_CREATE programs from 6.19, not in other sock programs', () => {
    expect(helperProto(49, PT.CgroupSock, AT.CgroupInetSockCreate, '6.18')).toBeUndefined();
    expect(helperProto(49, PT.CgroupSock, AT.CgroupInetSockCreate, '7.2')?.name).toBe('bpf_sock_create_setsockopt_proto');
    expect(helperProto(49, PT.CgroupSock, AT.CgroupInet4PostBind, '7.2')).toBeUndefined();
  });

  test('refusals in check_helper_call\'s order: GPL, allowed, might sleep', () => {
    expect(helperRefusal(6, PT.Kprobe, 0, false)?.log).toBe('cannot call GPL-restricted function from non-GPL compatible program');
    expect(helperRefusal(6, PT.Kprobe, 0, true)).toBeUndefined();
    // bpf_d_path: only the allowlisted functions, iterators and sleepable LSM hooks (bpf_d_path_allowed).
    expect(helperRefusal(147, PT.Tracing, AT.TraceFentry, true, '6.18', { attachBtfName: 'bpf_fentry_test1' })?.log).toBe('helper call is not allowed in probe');
    expect(helperRefusal(147, PT.Tracing, AT.TraceFentry, true, '6.18', { attachBtfName: 'vfs_truncate' })).toBeUndefined();
    // bpf_copy_from_user: before the arguments through 6.18, after them (and naming the helper) in 7.2.
    expect(helperRefusal(148, PT.SchedCls, 0, true, '6.18')?.log).toBe('helper call might sleep in a non-sleepable prog');
    expect(helperRefusal(148, PT.SchedCls, 0, true, '7.2')).toBeUndefined();
    expect(helperRefusalAfterArgs(148, PT.SchedCls, 0, '7.2')?.log).toBe('sleepable helper bpf_copy_from_user#148 in non-sleepable prog');
  });

  test('bpf_get_func_ip: kprobes and trampolines only (check_get_func_ip, ENOTSUPP)', () => {
    expect(helperRefusalAfterArgs(HelperId.GetFuncIp, PT.Kprobe, 0)).toBeUndefined();
    expect(helperRefusalAfterArgs(HelperId.GetFuncIp, PT.Tracing, AT.TraceFentry)).toBeUndefined();
    expect(helperRefusalAfterArgs(HelperId.GetFuncIp, PT.Tracing, AT.TraceRawTp, '6.18')).toEqual({
      log: 'func bpf_get_func_ip#173 supported only for fentry/fexit/fmod_ret programs', errno: -524,
    });
    expect(helperRefusalAfterArgs(HelperId.GetFuncIp, PT.Tracing, AT.TraceRawTp, '7.2')?.log)
      .toBe('func bpf_get_func_ip#173 supported only for fentry/fexit/fsession/fmod_ret programs');
  });
});

test('register types and the lists check_reg_type prints (as 6.18 printed them)', () => {
  expect(regTypeStr(RegType.PTR_TO_MAP_VALUE | TypeFlag.PTR_MAYBE_NULL)).toBe('map_value_or_null');
  expect(regTypeStr(RegType.PTR_TO_BTF_ID | TypeFlag.PTR_MAYBE_NULL)).toBe('ptr_or_null_');
  expect(regTypeStr(RegType.PTR_TO_MEM | TypeFlag.MEM_RINGBUF | TypeFlag.PTR_MAYBE_NULL)).toBe('ringbuf_mem_or_null');
  expect(expectedRegTypes(ArgType.ARG_PTR_TO_MEM, '6.18')).toBe('fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
  expect(expectedRegTypes(ArgType.ARG_PTR_TO_MEM, '7.2')).toBe('fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_, ctx');
  expect(expectedRegTypes(ArgType.ARG_CONST_MAP_PTR, '6.18')).toBe('map_ptr');
  expect(expectedRegTypes(ArgType.ARG_PTR_TO_BTF_ID_SOCK_COMMON, '6.18')).toBe('sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
  expect(expectedRegTypes(ArgType.ARG_PTR_TO_PERCPU_BTF_ID, '6.18')).toBe('percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_');
  expect(expectedRegTypes(ArgType.ARG_KPTR_XCHG_DEST, '6.18')).toBe('map_value, ptr_');
  expect(expectedRegTypes(ArgType.ARG_PTR_TO_DYNPTR, '6.18')).toBe('fp, dynptr_ptr');
});
