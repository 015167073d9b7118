// BPF_PROG_TEST_RUN of a raw tracepoint program (net/bpf/test_run.c bpf_prog_test_run_raw_tp): the context is
// the tracepoint's u64 arguments, the caller's ctx_in as given, read-only. No packet, no ctx_out, no repeat;
// the run happens once, on the caller's CPU or (BPF_F_TEST_RUN_ON_CPU) on the one it names, and only its
// retval comes back (test.duration is left 0).
import { EINVAL, ENXIO } from '../../uapi/errno.js';
import { TestRunFlags } from '../../uapi/bpf.js';
import { MAX_BPF_FUNC_ARGS } from '../checker/ctx/layouts.js';
import { fixedBytes, type Memory } from './memory.js';
import type { PreparedContext, TestRunInput } from './run-input.js';

const MAX_CTX_SIZE = MAX_BPF_FUNC_ARGS * 8;

export function rawTracepointContext(input: TestRunInput, memory: Memory): PreparedContext | number {
  // "doesn't support data_in/out, ctx_out, duration, or repeat"
  if ((input.data && input.data.length > 0) || input.dataOut || input.ctxOut || input.repeat !== 0) return EINVAL;
  // At least what the program reads (max_ctx_offset), at most the arguments a tracepoint has; any length
  // between, not only whole u64s.
  const ctxSize = input.ctx?.length ?? 0;
  if (ctxSize < input.maxCtxOffset || ctxSize > MAX_CTX_SIZE) return EINVAL;
  const onCpu = (input.flags & TestRunFlags.RunOnCpu) !== 0;
  // Only this flag is looked at; a cpu without it is refused, one past nr_cpu_ids is ENXIO.
  if (!onCpu && input.cpu !== 0) return EINVAL;
  if (onCpu && input.cpu >= input.possibleCpus) return ENXIO;
  // memdup_user of ctx_size_in bytes, or a NULL context when there is none.
  const r1 = ctxSize > 0 ? memory.addRegion(fixedBytes('ctx (raw tracepoint arguments)', input.ctx!.slice(), false), 'run') : 0n;
  const prepared: PreparedContext = { r1, dataOut: () => null, ctxOut: () => null, untimed: true };
  if (onCpu) prepared.cpu = input.cpu;
  return prepared;
}
