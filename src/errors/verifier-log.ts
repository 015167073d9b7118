// Reading a verifier log (kernel/bpf/verifier.c, kernel/bpf/log.c): the reason a program was refused, the C
// source line it names, and the closing statistics. Every log a BpfVerifierError holds is read here, the
// kernel's (6.1 … 7.3) and the emulator's, so both engines' errors say the same thing.

/** The closing lines print_verification_stats writes after the reason; never the reason themselves. */
const STATS_LINE = /^(processed \d+ insns|verification time|stack depth|-- END PROG LOAD LOG --|libbpf:)/;

/**
 * Kernel 7.3's error report ("Verification failed: <category>: <summary>", then Reason:, At:, Source
 * context:, Causal path:, Suggestion: sections) follows the classic one-line reason: the classic part is
 * what every kernel writes, so the report is set aside for the reason and the source line.
 */
function classicPart(lines: readonly string[]): readonly string[] {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.startsWith('Verification failed: ')) return lines.slice(0, i);
  }
  return lines;
}

/**
 * The verifier ends its log with statistics ("processed N insns ..."); the reason is just above them. A
 * reason may span lines: kernel/bpf/verifier.c check_func_call prints "global function calls are not
 * allowed while holding a lock,\nuse static function instead", so a line ending in ',' is joined with the
 * line after it.
 */
export function lastMeaningfulLine(log: string): string {
  const lines = classicPart(log.split('\n').map((l) => l.trim())).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (STATS_LINE.test(l)) continue;
    let reason = l;
    for (let j = i - 1; j >= 0 && lines[j]!.endsWith(','); j--) reason = `${lines[j]} ${reason}`;
    return reason;
  }
  return 'no verifier log';
}

/** A C source line as the log names it. */
export interface SourceLine {
  file: string;
  line: number;
  text: string;
}

/** verbose_linfo's line: "; text @ file:line", the file without its directories ("; text" before 6.4). */
export function formatLineInfo(l: SourceLine, withFile = true): string {
  return withFile ? `; ${l.text.trim()} @ ${l.file.slice(l.file.lastIndexOf('/') + 1)}:${l.line}` : `; ${l.text.trim()}`;
}

/**
 * The C line of the instruction the verifier stopped at: the last "; text @ file:line" the log wrote
 * (verbose_linfo, at log level 1 and up, before each instruction whose line changes); before 6.4 the log
 * wrote "; text" alone, and `file` is then '' and `line` 0.
 */
export function verifierSourceLine(log: string): SourceLine | undefined {
  const lines = classicPart(log.split('\n'));
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^; (.*) @ (\S+):(\d+)$/.exec(lines[i]!);
    if (m) return { file: m[2]!, line: Number(m[3]), text: m[1]!.trim() };
    const bare = /^; (.+)$/.exec(lines[i]!);
    if (bare) return { file: '', line: 0, text: bare[1]!.trim() };
  }
  return undefined;
}

/** What the verifier counted (print_verification_stats), as veristat reports it. */
export interface VerifierStats {
  /** Instructions the verifier processed (the 1,000,000 limit counts these). */
  processedInsns: number;
  /** States kept for pruning: in all, at peak, and the most at one instruction. */
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
}

/** The statistics line of a log (any level writes it), or undefined when the log has none. */
export function verifierStats(log: string): VerifierStats | undefined {
  const m = /^processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)/m.exec(log);
  if (!m) return undefined;
  return { processedInsns: Number(m[1]), maxStatesPerInsn: Number(m[2]), totalStates: Number(m[3]), peakStates: Number(m[4]) };
}
