// bpf_tail_call(ctx, prog_array, index) (kernel/bpf/core.c ___bpf_prog_run JMP_TAIL_CALL; the x86-64 JIT's
// emit_bpf_tail_call_indirect/_direct do the same): an index past max_entries falls through, then the run's
// tail_call_cnt is checked against MAX_TAIL_CALL_CNT and counted, then an empty slot falls through (the count
// taken). Otherwise the program in the slot runs in place of the frame that called: with the same ctx and a
// fresh stack, and its r0 is what that frame returns (a tail call from a subprogram returns to the
// subprogram's caller: verifier.c check_max_stack_depth_subprog, "tailcall will unwind the current stack
// frame"). A failed tail call leaves r0 unreadable (RET_VOID), so any value does.
import { MAX_TAIL_CALL_CNT } from '../../uapi/isa.js';
import type { ObjectFailure } from '../../seam/engine.js';
import { linkProgram } from '../link.js';
import { ProgArrayTable } from '../maps/prog-array.js';
import type { ProgramMap } from '../maps/program-map.js';
import type { ProgramSource } from '../program-state.js';
import { runnerOf, type Execution } from './compiler.js';
import type { ExecEnv, ExecProgram, Vm } from './interpreter.js';
import { ProgramFault, type Memory } from './memory.js';

/** The program a prog array's slot names by id, as this thread knows it (its maps this thread's views). */
export type TailCallTarget = (table: ProgArrayTable, id: number) => ProgramSource | undefined;

/** Programs linked into a caller's memory (the ctx and packet pointers are its regions), by source. */
const linkedInto = new WeakMap<Memory, Map<ProgramSource, ExecProgram | ObjectFailure>>();

function linkInto(memory: Memory, source: ProgramSource): ExecProgram | ObjectFailure {
  let bySource = linkedInto.get(memory);
  if (bySource === undefined) linkedInto.set(memory, (bySource = new Map()));
  let exec = bySource.get(source);
  if (exec === undefined) {
    const byName = new Map(source.maps.flatMap((m) => (m.name !== undefined ? [[m.name, m.map] as const] : [])));
    const byIndex = new Map(source.maps.flatMap((m) => (m.index !== undefined ? [[m.index, m.map] as const] : [])));
    const mapOf = (ref: { name?: string; index?: number }): ProgramMap | undefined => (ref.name !== undefined ? byName.get(ref.name) : byIndex.get(ref.index!));
    const linked = linkProgram(source, mapOf, memory);
    exec = 'exec' in linked ? linked.exec : linked;
    bySource.set(source, exec);
  }
  return exec;
}

/** One run environment's tail calls: the count of the run in progress, and a runner per nesting level. */
export class TailCalls {
  /** tail_call_cnt of the run in progress (reset by begin()). */
  #count = 0;
  /** Tail calls in progress, each nested in the one before (a target runs inside the call that chose it). */
  #depth = 0;
  /** A runner per target and nesting level: a runner (its Vm, its stacks) serves one run at a time. */
  readonly #runners = new Map<ExecProgram, ((r1: bigint) => bigint)[]>();
  #env: ExecEnv | undefined;

  constructor(private readonly target: TailCallTarget | undefined, private readonly execution: Execution | undefined) {}

  /** The environment targets run in (the caller's: same memory, helpers and tail-call count). */
  bind(env: ExecEnv): void {
    this.#env = env;
  }

  /** A new run of the program: tail_call_cnt starts at 0. */
  begin(): void {
    this.#count = 0;
  }

  /** bpf_tail_call from `vm` (r1 ctx, r2 the prog array, r3 the index): the target's r0, or 0 falling through. */
  call(vm: Vm): bigint {
    const env = this.#env!;
    const table = (env.memory.handleOf(vm.tags[2]!, vm.regs[2]!) as ProgramMap).table;
    if (!(table instanceof ProgArrayTable)) throw new ProgramFault('bpf_tail_call on a map that is not a prog array');
    const index = Number(vm.regs[3]! & 0xffffffffn);
    if (index >= table.shape.maxEntries) return 0n;
    if (this.#count >= MAX_TAIL_CALL_CNT) return 0n;
    this.#count++;
    const id = table.slot(index);
    if (id === 0) return 0n;
    const source = this.target?.(table, id);
    if (source === undefined) throw new ProgramFault(`bpf_tail_call: program #${id} in slot ${index} is not known on this thread`);
    const exec = linkInto(env.memory, source);
    if (!('insns' in exec)) throw new ProgramFault(`bpf_tail_call: program '${source.name}' did not link: ${exec.detail ?? exec.errno}`);
    let levels = this.#runners.get(exec);
    if (levels === undefined) this.#runners.set(exec, (levels = []));
    const run = (levels[this.#depth] ??= runnerOf(this.execution, exec, env));
    const ctx = vm.regs[1]!;
    this.#depth++;
    try {
      const r0 = vm.nested(() => run(ctx));
      vm.tailReturn = true;
      return r0;
    } catch (e) {
      if (!(e instanceof ProgramFault)) throw e;
      throw new ProgramFault(`${e.reason}${e.insn >= 0 ? ` at insn ${e.insn}` : ''} of tail-called program '${source.name}'`);
    } finally {
      this.#depth--;
    }
  }
}
