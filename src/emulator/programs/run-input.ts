// What a test run gives a context builder (contexts.ts and the runners of their own: flow-dissector.ts,
// raw-tracepoint.ts, sk-lookup.ts, netfilter.ts) and what a builder gives back: a file of its own, which the
// builders import without importing contexts.ts, the table that imports them.
import type { RunPacket } from './packet.js';

export interface TestRunInput {
  data: Uint8Array | null;
  ctx: Uint8Array | null;
  /** test.flags and test.cpu: the runners that read them are in ownCpuAndFlags; the others refuse any. */
  flags: number;
  cpu: number;
  repeat: number;
  /** Whether data_out and ctx_out were given (a raw tracepoint's run refuses them). */
  dataOut: boolean;
  ctxOut: boolean;
  /** prog->aux->max_ctx_offset: the shortest ctx_in a raw tracepoint or syscall program's run takes. */
  maxCtxOffset: number;
  /** nr_cpu_ids: a run asked for a CPU past them is ENXIO. */
  possibleCpus: number;
  /** The program's expected_attach_type (a tracing program's run depends on it). */
  attachType: number;
}

/** A run's input with only a packet and a context: no cpu, flags or repeat, output buffers for both. */
export function plainRunInput(data: Uint8Array | null, ctx: Uint8Array | null): TestRunInput {
  return { data, ctx, flags: 0, cpu: 0, repeat: 0, dataOut: data !== null, ctxOut: ctx !== null, maxCtxOffset: 0, possibleCpus: 1, attachType: 0 };
}

/** One prepared run: r1 for the program, and how to read the results back once it returned. */
export interface PreparedContext {
  r1: bigint;
  /** The packet after the run (what data_out receives), or null. */
  dataOut(): Uint8Array | null;
  /** The context after the run (what ctx_out receives), or null. */
  ctxOut(): Uint8Array | null;
  /** The packet the packet helpers move (packet-helpers.ts). */
  packet?: RunPacket;
  /** A flow dissector's packet, which its bpf_skb_load_bytes reads (flow-dissector.ts). */
  flowPacket?: Uint8Array;
  /** Called before and after each of the run's repeats (a flow dissector's keys: bpf_flow_dissect). */
  beforeRun?(): void;
  afterRun?(): void;
  /** The CPU the run executes on where it is not the caller's (BPF_F_TEST_RUN_ON_CPU). */
  cpu?: number;
  /** The runner reports no duration (test.duration stays 0). */
  untimed?: boolean;
  /** The retval the runner reports for the last run's r0, where it is not r0's low 32 bits. */
  retval?(r0: bigint): number;
}
