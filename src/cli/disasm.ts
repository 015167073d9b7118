// `bpfkit disasm OBJECT.bpf.o [--program NAME] [--kernel-version V]`: each program's instructions as the
// verifier log prints them ("12: (bf) r1 = r6", kernel/bpf/disasm.c through checker/disasm.ts), as loaded
// (subprograms after the main function, each under its name), with the C source line before the
// instructions it starts (verbose_linfo's "; text @ file:line"). Instruction numbers are those coverage
// (emulator.coverage().programs) and faults ("at insn N") use.
import { readFileSync } from 'node:fs';
import { parseObject } from '../elf/object.js';
import type { ParsedProgram, Reloc } from '../elf/spec.js';
import { formatProgramInsnLine, LineInfoLog, type LineRecord } from '../emulator/checker/disasm.js';
import { parseKernelVersion } from '../emulator/kernel-version.js';
import { LD_IMM64 } from '../uapi/isa.js';
import { programTypeName } from '../uapi/program-type.js';

const usage = 'usage: bpfkit disasm OBJECT.bpf.o [--program NAME] [--kernel-version V]\n';

/** The listing of one program; `kernelVersion` picks the printer's version (kernel-version.ts disasm*). */
export function disassembleProgram(p: ParsedProgram, kernelVersion?: string): string {
  const records: LineRecord[] = [...p.lines].sort((a, b) => a[0] - b[0]).map(([insn, l]) => ({ insn, ...l }));
  const lines = new LineInfoLog(records);
  const starts = new Map(p.functions.map((f) => [f.start, f.name]));
  const relocs = new Map(p.relocs.map((r) => [r.insn, r]));
  if (!starts.has(0)) starts.set(0, p.name);
  const out = [`${p.name} (${programTypeName(p.type)}, section ${p.section}, ${p.insns.length} instructions)`];
  for (let pc = 0; pc < p.insns.length; pc++) {
    const fn = starts.get(pc);
    if (fn !== undefined) {
      out.push(`${fn}:`);
      lines.reset();
    }
    const comment = lines.before(pc);
    if (comment !== undefined) out.push(comment);
    const reloc = relocs.get(pc);
    const text = formatProgramInsnLine(p.insns, pc, kernelVersion === undefined ? {} : { kernelVersion });
    out.push(reloc === undefined ? text : `${text}  ; ${relocText(reloc)}`);
    // The second slot of an ld_imm64 is part of the first: printed with it, as the log does.
    if (p.insns[pc]!.code === LD_IMM64) pc++;
  }
  return `${out.join('\n')}\n`;
}

/** What the loader patches into an instruction (a map, a global's address, a kfunc, an extern), named. */
function relocText(r: Reloc): string {
  switch (r.kind) {
    case 'map': return `map '${r.map}'`;
    case 'mapValue': return `map '${r.map}' value + ${r.offset}`;
    case 'kfunc': return `kfunc ${r.name}`;
    case 'extern': return `extern ${r.name}`;
  }
}

export function disasmMain(args: readonly string[]): number {
  let file: string | undefined;
  let program: string | undefined;
  let kernelVersion: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--program' || a === '--kernel-version') {
      const value = args[++i];
      if (value === undefined || value === '') {
        process.stderr.write(`bpfkit disasm: ${a} needs a value\n${usage}`);
        return 2;
      }
      if (a === '--program') program = value;
      else kernelVersion = value;
    } else if (a.startsWith('-') || file !== undefined) {
      process.stderr.write(`bpfkit disasm: unexpected argument '${a}'\n${usage}`);
      return 2;
    } else file = a;
  }
  if (file === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  try {
    if (kernelVersion !== undefined) parseKernelVersion(kernelVersion);
    const parsed = parseObject(readFileSync(file), file);
    const programs = program === undefined ? parsed.programs : parsed.programs.filter((p) => p.name === program);
    if (programs.length === 0) {
      throw new Error(program === undefined ? `${file} has no programs` : `${file} has no program '${program}' (it has: ${parsed.programs.map((p) => p.name).join(', ')})`);
    }
    process.stdout.write(programs.map((p) => disassembleProgram(p, kernelVersion)).join('\n'));
    return 0;
  } catch (e) {
    process.stderr.write(`bpfkit disasm: ${(e as Error).message}\n`);
    return 1;
  }
}
