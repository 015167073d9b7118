// The C source line of one instruction as a refusal's log shows it (kernel/bpf/log.c verbose_linfo): the
// BTF line_info record that covers the instruction — the last one at or before it.
import { formatLineInfo } from '../../errors/verifier-log.js';
import type { CheckInput } from './types.js';
import { linfoFileLine } from '../kernel-version.js';

/** "; text @ file:line" for the instruction at `pc`, or undefined without line info. */
export function coveringLineInfo(lines: CheckInput['lines'], pc: number, version: string): string | undefined {
  for (let i = pc; i >= 0 && lines; i--) {
    const l = lines.get(i);
    if (l) return formatLineInfo(l, linfoFileLine(version));
  }
  return undefined;
}
