// The verifier's log (kernel/bpf/log.c, verifier.c do_check's verbose calls): at level 1 each instruction
// the walk checks, as "N: (code) text", and the reason it stops; at level 2 also the registers after each
// instruction and the state of each branch taken up. Kept as the kernel keeps a rotating log: the tail.
import type { Insn } from '../../../uapi/isa.js';
import type { CheckFailure } from '../types.js';
import type { VerifierRefusal } from './errors.js';
import type { VerifierState } from './state.js';
import { formatProgramInsnLine } from '../disasm.js';
import { formatLineInfo } from '../../../errors/verifier-log.js';
import { formatFrame, type MapNames } from './state-format.js';
import { linfoFileLine, verificationStatsForm } from '../../kernel-version.js';

/** Lines kept (the kernel keeps the last bytes of its buffer; a failure's reason is at the end). */
const MAX_LINES = 4096;

interface LogHost extends MapNames {
  readonly processed: number;
  readonly usec: number;
  readonly version: string;
  readonly stackDepth: readonly number[];
  readonly stackMax: number;
  readonly subprogStats: readonly { name: string; kind: string; self: number; total: number; stack: number }[];
  readonly maxStatesPerInsn: number;
  readonly totalStates: number;
  readonly peakStates: number;
  /** The program's line_info record for an instruction, if it has one. */
  lineOf(pc: number): { file: string; line: number; text: string } | undefined;
}

export class VerifierLog {
  /** Lines, or an instruction's pc: its line (and line_info) is written only if the log is read. */
  readonly #lines: (string | number)[] = [];
  /** Lines dropped from the front (the rotating log's lost head). */
  #dropped = 0;
  #insns: readonly Insn[] = [];
  #version = '';

  constructor(readonly level: number, readonly host: LogHost) {}

  /** A line of the walk (BPF_LOG_LEVEL1 or 2; BPF_LOG_STATS alone writes only the reason and statistics). */
  line(text: string | number): void {
    if ((this.level & 3) === 0) return;
    this.#lines.push(text);
    if (this.#lines.length > MAX_LINES * 2) {
      const drop = this.#lines.length - MAX_LINES;
      this.#lines.splice(0, drop);
      this.#dropped += drop;
    }
  }

  /** How many lines were written so far (a push_stack remembers it). */
  get position(): number {
    return this.#dropped + this.#lines.length;
  }

  /** A branch just taken up (do_check's do_print_state): its first line says where it comes from. */
  #popped: { from: number; to: number; state: VerifierState } | undefined;

  /**
   * A branch taken up again (pop_stack). Below level 2 the log goes back to where the branch was pushed
   * (bpf_vlog_reset), so a level-1 log is the path that failed; level 2 keeps every path, and says which
   * branch it takes up with its state, once the branch is not pruned at once.
   */
  popped(from: number, to: number, state: VerifierState, pushedAt: number): void {
    if (!(this.level & 2)) this.#lines.length = Math.max(0, pushedAt - this.#dropped);
    this.#popped = { from, to, state };
  }

  /** The path is pruned at `to`: "from N to M: safe" for a branch just taken up, else "M: safe". */
  safe(to: number): void {
    const popped = this.#popped;
    this.#popped = undefined;
    if (this.level >= 1) this.line(popped ? `from ${popped.from} to ${to}: safe` : `${to}: safe`);
  }

  insn(insns: readonly Insn[], pc: number, version: string): void {
    const popped = this.#popped;
    if (popped) {
      this.#popped = undefined;
      if (this.level & 2) this.line(`from ${popped.from} to ${popped.to}:${this.stateLine(popped.state)}`);
    }
    this.#insns = insns;
    this.#version = version;
    this.line(pc);
  }

  /** verbose_linfo: the source line of `pc` when the program has line info for it. */
  lineInfo(pc: number): string[] {
    const l = this.host.lineOf(pc);
    return l ? [formatLineInfo(l, linfoFileLine(this.host.version))] : [];
  }

  /** print_verifier_state, one line (level 2's form). */
  stateLine(state: VerifierState): string {
    const refs = state.refs.length > 0 ? ` refs=${state.refs.map((r) => r.id).join(',')}` : '';
    return formatFrame(state.cur, this.host) + refs;
  }

  /** The log of a refused program, the reason last but for the kernel's closing statistics. */
  failure(e: VerifierRefusal): CheckFailure {
    const lines = [...this.#written(), ...e.before, e.reason, ...e.after, ...this.#stats()];
    return { errno: e.errno, log: `${lines.join('\n')}\n` };
  }

  /**
   * The log of a program that verified: below level 2 just the statistics (do_check_common resets the log
   * of a successful walk), at level 2 every path.
   */
  success(): string {
    return `${[...(this.level & 2 ? this.#written() : []), ...this.#stats()].join('\n')}\n`;
  }

  #written(): string[] {
    return this.#lines.slice(-MAX_LINES).flatMap((l) =>
      typeof l === 'string' ? [l] : [...this.lineInfo(l), formatProgramInsnLine(this.#insns, l, { kernelVersion: this.#version })]);
  }

  /** The stack depth lines of BPF_LOG_STATS, in the form of the kernel version (kernel-version.ts). */
  #depthLines(): string[] {
    const h = this.host;
    switch (verificationStatsForm(h.version)) {
      case '6.1': return [`stack depth ${h.stackDepth.join('+')}`];
      case '7.2': return [`stack depth ${h.stackDepth.join('+')} max ${h.stackMax}`, `insns processed ${h.processed}`];
      case '7.3': return [`stack depth max ${h.stackMax}`,
        ...h.subprogStats.map((s, i) => `subprog ${i} (${s.name}) ${s.kind} insns_self ${s.self} insns_total ${s.total} stack ${s.stack}`)];
    }
  }

  /** print_verification_stats: with BPF_LOG_STATS also the time taken and each subprogram's stack depth. */
  #stats(): string[] {
    const h = this.host;
    const lines = this.level & 4 ? [`verification time ${h.usec} usec`, ...this.#depthLines()] : [];
    lines.push(`processed ${h.processed} insns (limit 1000000) max_states_per_insn ${h.maxStatesPerInsn} total_states ${h.totalStates} peak_states ${h.peakStates} mark_read 0`);
    return lines;
  }
}
