// `bpfkit verify OBJECT.bpf.o [--program NAME] [--kernel-version V]`: each program loaded alone on the
// emulator's verifier model and, where the kernel engine works, on the kernel, side by side — what a macOS
// user runs before pushing. Exit 1 when any engine refuses a program.
import { readFileSync } from 'node:fs';
import { parseObject } from '../elf/object.js';
import { engineStatus } from '../engine-select.js';
import { BpfError, BpfVerifierError, lastMeaningfulLine } from '../errors/errors.js';
import { Emulator } from '../emulator/emulator.js';
import { getKernelEngine } from '../kernel/engine.js';
import { features } from '../kernel/features.js';
import { openObject } from '../object/object.js';
import type { Engine } from '../seam/engine.js';
import { formatTable } from './table.js';

const usage = 'usage: bpfkit verify OBJECT.bpf.o [--program NAME] [--kernel-version V]\n';

/** One program's verdict on one engine: 'loaded', or the refusal's reason. */
function verdict(path: string, program: string, engine: Engine): { ok: boolean; text: string } {
  try {
    openObject(path, { programs: [program], engine }).close();
    return { ok: true, text: 'loaded' };
  } catch (e) {
    if (e instanceof BpfVerifierError) {
      const where = sourceLine(e.log);
      return { ok: false, text: `refused (${e.code}): ${lastMeaningfulLine(e.log)}${where ? ` — ${where}` : ''}` };
    }
    if (e instanceof BpfError) return { ok: false, text: `${e.code}: ${e.message}` };
    throw e;
  }
}

/** The C line the log names last (verbose_linfo's "; text @ file:line"), as "file:line: text". */
function sourceLine(log: string): string | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^; (.*) @ (\S+:\d+)$/.exec(lines[i]!);
    if (m) return `${m[2]}: ${m[1]!.trim()}`;
  }
  return undefined;
}

export function verifyMain(args: readonly string[]): number {
  let path: string | undefined;
  let only: string | undefined;
  let kernelVersion: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--program' && args[i + 1] !== undefined) only = args[++i];
    else if (a === '--kernel-version' && args[i + 1] !== undefined) kernelVersion = args[++i];
    else if (!a.startsWith('-') && path === undefined) path = a;
    else {
      process.stderr.write(usage);
      return 2;
    }
  }
  if (path === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  let names: string[];
  try {
    names = parseObject(new Uint8Array(readFileSync(path)), path).programs.map((p) => p.name);
  } catch (e) {
    process.stderr.write(`bpfkit verify: ${(e as Error).message}\n`);
    return 1;
  }
  if (only !== undefined) {
    if (!names.includes(only)) {
      process.stderr.write(`bpfkit verify: no program '${only}' in ${path} (it has: ${names.join(', ')})\n`);
      return 1;
    }
    names = [only];
  }
  // Side by side with the kernel, the emulator answers as the running kernel's version by default.
  const kernel = engineStatus().kernel;
  const version = kernelVersion ?? (kernel.available ? features.emulatorKernelVersion() : undefined);
  const emulator = new Emulator(version === undefined ? {} : { kernelVersion: version });
  const engines: [string, Engine][] = [[`emulator ${emulator.kernelVersion}`, emulator]];
  if (kernel.available) engines.push(['kernel', getKernelEngine()]);
  else process.stdout.write(`the kernel engine is unavailable here (${kernel.reasons.join('; ')}): the emulator's verdicts only\n`);
  let refused = false;
  const rows = names.map((name) => [name, ...engines.map(([, engine]) => {
    const v = verdict(path!, name, engine);
    refused ||= !v.ok;
    return v.text;
  })]);
  process.stdout.write(formatTable(['program', ...engines.map(([label]) => label)], rows));
  return refused ? 1 : 0;
}
