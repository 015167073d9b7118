// Which helpers each program type may call, as this kernel's verifier answers it: the per-type
// get_func_proto of net/core/filter.c (sk_filter_func_proto, tc_cls_act_func_proto, xdp_func_proto,
// cg_skb_func_proto), kernel/bpf/syscall.c (syscall_prog_func_proto) and their fallbacks
// (bpf_sk_base_func_proto, bpf_base_func_proto in kernel/bpf/helpers.c, tracing_prog_func_proto in
// kernel/trace/bpf_trace.c). Those functions depend on the kernel's config and capabilities, so the
// table was read off Linux 6.18 (root, the config of this project's test machine) by loading
// `call N; r0 = 0; exit` for every N and type; test/emulator/structure-checks.test.ts re-checks every
// entry against the running kernel. Names are uapi/helpers.ts's.
import { KernelProgramType as ProgType } from '../../uapi/program-type.js';

/** Ids as space-separated values and ranges ("1-3 5"), to keep the table readable. */
function ids(spec: string): ReadonlySet<number> {
  const out = new Set<number>();
  for (const part of spec.split(' ')) {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    for (let id = from; id <= (to ?? from); id++) out.add(id);
  }
  return out;
}

/**
 * Per enum bpf_prog_type: the helpers whose get_func_proto is non-NULL (else "program of this type
 * cannot use helper"), and the ones check_helper_call then refuses by a fixed rule before looking at
 * arguments: fn->allowed ("helper call is not allowed in probe") and fn->might_sleep in a program loaded
 * without BPF_F_SLEEPABLE ("helper call might sleep in a non-sleepable prog").
 */
export interface HelperAvailability {
  available: ReadonlySet<number>;
  refused: ReadonlyMap<number, string>;
}

const MIGHT_SLEEP = 'helper call might sleep in a non-sleepable prog';
const NOT_IN_PROBE = 'helper call is not allowed in probe';

export const helperAvailability: ReadonlyMap<number, HelperAvailability> = new Map([
  [ProgType.SocketFilter, {
    available: ids(
      '1-3 5-8 12 14-17 22 25-26 35 37 42 46-47 55 68 80 87-89 93-94 105-106 109 112-115 117-118 ' +
      '120 122-123 125 130-134 136-141 148-149 153-154 156-158 160 164-165 169-172 175-178 ' +
      '180-182 191 194-203 208-211'
    ),
    refused: new Map([[148, MIGHT_SLEEP], [191, MIGHT_SLEEP]]),
  }],
  [ProgType.SchedCls, {
    available: ids(
      '1-3 5-26 28-35 37-43 46-48 50 55 66 68-69 79-80 83-89 93-100 105-110 112-115 117-118 120 ' +
      '122-125 130-141 148-149 151-158 160 163-165 169-172 175-178 180-182 191-192 194-211'
    ),
    refused: new Map([[148, MIGHT_SLEEP], [191, MIGHT_SLEEP]]),
  }],
  [ProgType.SchedAct, {
    available: ids(
      '1-3 5-26 28-35 37-43 46-48 50 55 66 68-69 79-80 83-89 93-100 105-110 112-115 117-118 120 ' +
      '122-125 130-141 148-149 151-158 160 163-165 169-172 175-178 180-182 191-192 194-211'
    ),
    refused: new Map([[148, MIGHT_SLEEP], [191, MIGHT_SLEEP]]),
  }],
  [ProgType.Xdp, {
    available: ids(
      '1-3 5-8 12 14-17 22-23 25 28 35 37 42 44 51 54-55 65 69 80 84-89 93-94 99-100 105-106 ' +
      '109-110 112-115 117-118 120 123 125 130-134 136-141 148-149 153-154 156-158 160 163-165 ' +
      '169-172 175-178 180-182 188-191 194-211'
    ),
    refused: new Map([[148, MIGHT_SLEEP], [191, MIGHT_SLEEP]]),
  }],
  [ProgType.CgroupSkb, {
    available: ids(
      '1-3 5-8 12 14-17 22 25-26 35 37 42 46-47 55 68 79-81 83-89 93-99 105-109 112-115 117-118 ' +
      '120 122-123 125 128-134 136-141 148-149 153-154 156-158 160 164-165 169-172 175-178 ' +
      '180-182 191 194-203 208-211'
    ),
    refused: new Map([[148, MIGHT_SLEEP], [191, MIGHT_SLEEP]]),
  }],
  [ProgType.Syscall, {
    available: ids(
      '1-8 12 14-17 22 25 27 35 37 42 45-46 55 67 80 87-89 93-94 105-109 111-115 117-118 120-121 ' +
      '123 125 130-134 136-141 147-149 153-154 156-158 162 164-173 175-182 188 191 194-203 ' +
      '208-211'
    ),
    refused: new Map([[107, NOT_IN_PROBE], [108, NOT_IN_PROBE], [147, NOT_IN_PROBE]]),
  }],
]);
