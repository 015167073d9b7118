// BPF_PROG_TEST_RUN on one emulated CPU: the context as net/bpf/test_run.c builds it, `repeat` runs, the
// packet and context written back (bpf_test_finish / bpf_ctx_finish). The main thread's synchronous runs
// and the worker CPUs' asynchronous ones (cpus/cpus.ts) both come through here.
import type { TestRunArgs } from '../../seam/engine.js';
import { KernelProgramType } from '../../uapi/program-type.js';
import { EFAULT, EINTR, ENOSPC } from '../../uapi/errno.js';
import type { CpuLocks } from '../cpus/spin-locks.js';
import { prepareContext, type PreparedContext, type TestRunInput } from './contexts.js';
import { callHelper, helperArity, mapLookup, type HelperContext } from './helpers.js';
import { runnerOf, type Execution } from './compiler.js';
import type { ExecEnv, ExecProgram, Vm } from './interpreter.js';
import { TailCalls } from './tail-call.js';
import { HelperId } from '../../uapi/helpers.js';
import type { Insn } from '../../uapi/isa.js';
import { callKfunc } from './kfuncs.js';
import { adjustRoomDecapL3, tunnelKeyNoKeyFlag, csumDiffFolds, fibLookupFlagMask, xdpMetaMax } from '../kernel-version.js';
import { ProgramFault, type Memory } from './memory.js';
import type { ParsedProgram } from '../../elf/spec.js';
import type { PacketRun } from './packet-helpers.js';
import type { RunPacket } from './packet.js';


/** A program linked to its maps on one thread. */
export interface LinkedProgram {
  exec: ExecProgram;
  memory: Memory;
  lines: ParsedProgram['lines'];
  type: number;
  /** The Emulator's kernelVersion: where test_run's rules changed, its answer. */
  kernelVersion: string;
  /** prog->aux->max_ctx_offset: the shortest ctx_in a run of a raw tracepoint or syscall program takes. */
  maxCtxOffset: number;
  /** enum bpf_attach_type it was loaded with (a tracing program's test run depends on it). */
  expectedAttachType: number;
}

export interface RunOutcome {
  /** 0 or -errno, as BPF_PROG_TEST_RUN returns. */
  rc: number;
  /** The last run's full r0. */
  r0: bigint;
  /** Where a faulting run stopped: the reason, the instruction and its C source line. */
  fault?: string;
}

/** The environment a program's helpers and kfuncs run in on this CPU, and its tail calls (begin() per run). */
export function execEnv(memory: Memory, helpers: HelperContext, execution?: Execution): ExecEnv & { tailCalls: TailCalls } {
  const tailCalls = new TailCalls(helpers.tailCallTarget, execution);
  const env = {
    memory,
    tailCalls,
    callHelper: (id: number, vm: Vm) => (id === HelperId.TailCall ? tailCalls.call(vm) : callHelper(id, vm, helpers)),
    callKfunc: (insn: Insn, vm: Vm) => callKfunc(insn, vm, helpers),
    helperArity,
    mapLookup: (mapTag: number, mapHi: number, mapLo: number, keyTag: number, keyHi: number, keyLo: number) =>
      mapLookup(memory, helpers.cpu, mapTag, mapHi, mapLo, keyTag, keyHi, keyLo, helpers.innerMap),
  };
  tailCalls.bind(env);
  return env;
}

/** What a run needs besides the program: the helpers' context and how to execute (compiled by default). */
export type RunContext = Omit<HelperContext, 'packetRun'> & {
  execution?: Execution;
  /** nr_cpu_ids: the CPUs a run may be asked to execute on (BPF_F_TEST_RUN_ON_CPU). */
  possibleCpus: number;
};

/**
 * What the test runs of one linked program on one thread reuse, call after call: the helpers' context (the
 * thread's, copied once; each run sets its own fields), the environment with its tail calls, and the runner
 * (its Vm, stacks and register arrays). A thread runs one test run at a time, so one is enough.
 */
export class ProgramRunner {
  readonly helpers: HelperContext;
  readonly env: ExecEnv & { tailCalls: TailCalls };
  readonly run: (r1: bigint) => bigint;
  /** The run's packet for the packet helpers, with the version's rules (decided once). */
  readonly #packetRun: PacketRun;

  constructor(readonly program: LinkedProgram, base: RunContext) {
    this.helpers = { ...base, localStorage: new Map() };
    this.env = execEnv(program.memory, this.helpers, base.execution);
    this.run = runnerOf(base.execution, program.exec, this.env);
    const version = program.kernelVersion;
    this.#packetRun = {
      packet: undefined as unknown as RunPacket, xdpMetaMax: xdpMetaMax(version), csumDiffFolds: csumDiffFolds(version),
      adjustRoomDecapL3: adjustRoomDecapL3(version), tunnelKeyNoKeyFlag: tunnelKeyNoKeyFlag(version),
      fibLookupFlagMask: fibLookupFlagMask(version),
    };
  }

  /** A new test run's context: the thread's current cpu (or the one the run names), its storage and packet. */
  begin(base: RunContext, prepared: PreparedContext): void {
    const h = this.helpers;
    h.cpu = prepared.cpu ?? base.cpu;
    h.task = base.task;
    h.localStorage!.clear();
    if (prepared.packet) this.#packetRun.packet = prepared.packet;
    h.packetRun = prepared.packet ? this.#packetRun : undefined;
    h.flowPacket = prepared.flowPacket;
  }
}

/**
 * Runs `runner`'s program as BPF_PROG_TEST_RUN does, filling `a.out` (retval, duration, data size, ctx size)
 * and the out buffers. `cancelled` is asked between repeats: closing an object stops its runs with EINTR.
 */
export function runTest(
  runner: ProgramRunner, helpers: RunContext, locks: CpuLocks, a: TestRunArgs, cancelled?: () => boolean,
): RunOutcome {
  const program = runner.program;
  const syscall = program.type === KernelProgramType.Syscall;
  const memory = program.memory;
  const mark = memory.mark();
  let r0 = 0n;
  try {
    const input: TestRunInput = {
      // A zero-length buffer is none (the addon passes NULL for it, as libbpf's callers do).
      data: a.data, ctx: a.ctx && a.ctx.length > 0 ? a.ctx : null, flags: a.flags, cpu: a.cpu, repeat: a.repeat,
      dataOut: (a.dataOut?.length ?? 0) > 0, ctxOut: (a.ctxOut?.length ?? 0) > 0,
      maxCtxOffset: program.maxCtxOffset, possibleCpus: helpers.possibleCpus, attachType: program.expectedAttachType,
    };
    const prepared = prepareContext(program.type, input, memory, program.kernelVersion);
    if (typeof prepared === 'number') return { rc: prepared, r0 };
    const runs = Math.max(1, a.repeat);
    // The packet stays for all the runs: what a helper moved in one, the next sees (bpf_test_run's loop
    // runs the program on the same xdp_buff / skb).
    runner.begin(helpers, prepared);
    const { env, run } = runner;
    const r1 = prepared.r1;
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) {
      if (cancelled?.()) return { rc: EINTR, r0 };
      env.tailCalls.begin();
      prepared.beforeRun?.();
      r0 = run(r1);
      prepared.afterRun?.();
      // The verifier refuses programs that can exit holding a lock; one that got here anyway faults.
      if (locks.held > 0) throw new ProgramFault('the program exited holding a lock');
    }
    const duration = Number((process.hrtime.bigint() - start) / BigInt(runs));
    a.out[0] = prepared.retval ? prepared.retval(r0) : Number(r0 & 0xffffffffn);
    a.out[1] = prepared.untimed ? 0 : Math.min(duration, 0xffffffff);
    let rc = 0;
    const data = prepared.dataOut();
    if (data && a.dataOut) {
      // bpf_test_finish: copy what fits, report the full size, ENOSPC when it did not fit.
      a.dataOut.set(data.subarray(0, a.dataOut.length));
      a.out[2] = data.length;
      if (data.length > a.dataOut.length) rc = ENOSPC;
    }
    const ctx = prepared.ctxOut();
    if (ctx && a.ctxOut) {
      // bpf_ctx_finish: as for data, what fits is copied and a shorter buffer is ENOSPC (a syscall
      // program's context is written back whole, to where it came from).
      a.ctxOut.set(ctx.subarray(0, a.ctxOut.length));
      a.out[3] = ctx.length;
      if (!syscall && ctx.length > a.ctxOut.length) rc = ENOSPC;
    }
    return { rc, r0 };
  } catch (e) {
    if (!(e instanceof ProgramFault)) throw e;
    // Whatever the faulting run held is released, so the other CPUs are not left spinning.
    locks.releaseAll();
    const line = program.lines.get(e.insn);
    return { rc: EFAULT, r0, fault: `${e.reason}${e.insn >= 0 ? ` at insn ${e.insn}` : ''}${line ? ` (${line.file}:${line.line}: ${line.text.trim()})` : ''}` };
  } finally {
    memory.release(mark);
  }
}
