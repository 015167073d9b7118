// `bpfkit disasm`: the instruction numbering and opcodes against llvm-objdump's (the loaded order: the main
// function, then the subprograms it calls), every source comment against the C file itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/package-root.js';
import { captureOutput } from '../helpers/captured-output.js';
import { testUnless } from '../helpers/skip.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const output = captureOutput();

/** The opcode byte of each instruction llvm-objdump prints in `section` (ld_imm64 once, as it prints it). */
function objdumpOpcodes(object: string, section: string): number[] {
  const text = execFileSync('llvm-objdump-19', ['-d', '-j', section, object], { encoding: 'utf8' });
  return [...text.matchAll(/^\s+\d+:\t([0-9a-f]{2}) /gm)].map((m) => parseInt(m[1]!, 16));
}

describe('bpfkit disasm', () => {
  const objdump = spawnSync('llvm-objdump-19', ['--version']).status === 0;
  testUnless(objdump ? undefined : 'llvm-objdump-19 is not installed (make setup installs llvm-19)', 'numbers and opcodes as llvm-objdump, functions in the loaded order', async () => {
    expect(await main(['disasm', fixture('coverage_demo')])).toBe(0);
    const text = output.out();
    expect(text).toMatch(/^count_bytes \(Xdp, section xdp, \d+ instructions\)\ncount_bytes:\n/);
    const insnLines = [...text.matchAll(/^(\d+): \(([0-9a-f]{2})\) /gm)].map((m) => [Number(m[1]), parseInt(m[2]!, 16)] as const);
    // The globals' addresses, which the loader patches in: named after the instruction.
    expect(text).toMatch(/^\d+: \(18\) r0 = 0x\w+ +; map '[\w.]+\.bss' value \+ \d+$/m);
    const verdictAt = text.split('\n').indexOf('verdict:');
    expect(verdictAt).toBeGreaterThan(0);
    const verdictPc = Number(/^(\d+):/m.exec(text.split('\n').slice(verdictAt + 1).join('\n'))![1]);
    const expected = [...objdumpOpcodes(fixture('coverage_demo'), 'xdp'), ...objdumpOpcodes(fixture('coverage_demo'), '.text')];
    expect(insnLines.map(([, op]) => op)).toEqual(expected);
    expect(insnLines.filter(([pc]) => pc < verdictPc)).toHaveLength(objdumpOpcodes(fixture('coverage_demo'), 'xdp').length);
    // Numbered as loaded: an ld_imm64 takes two numbers.
    for (let i = 1; i < insnLines.length; i++) expect(insnLines[i]![0] - insnLines[i - 1]![0]).toBe(insnLines[i - 1]![1] === 0x18 ? 2 : 1);
  });

  it('writes each C line before the instructions it starts, as the source file has it', async () => {
    expect(await main(['disasm', fixture('coverage_demo'), '--program', 'count_bytes'])).toBe(0);
    const sources: Record<string, string[]> = {
      'coverage_demo.bpf.c': readFileSync(join(packageRoot(), 'bpf', 'coverage_demo.bpf.c'), 'utf8').split('\n'),
      'coverage_demo.h': readFileSync(join(packageRoot(), 'bpf', 'include', 'coverage_demo.h'), 'utf8').split('\n'),
    };
    const comments = [...output.out().matchAll(/^; (.*) @ ([\w.]+):(\d+)$/gm)];
    expect(comments.length).toBeGreaterThan(5);
    expect(comments.some((m) => m[2] === 'coverage_demo.h')).toBe(true);
    for (const [, text, file, line] of comments) expect(sources[file!]![Number(line) - 1]!.trim()).toBe(text);
  });

  it('exits 1 naming the programs there are, 2 on bad usage', async () => {
    expect(await main(['disasm', fixture('coverage_demo'), '--program', 'nope'])).toBe(1);
    expect(output.err()).toContain("has no program 'nope' (it has: count_bytes)");
    expect(await main(['disasm', fixture('coverage_demo'), '--kernel-version', 'six'])).toBe(1);
    expect(output.err()).toContain("kernelVersion must look like '6.18', got 'six'");
    expect(await main(['disasm', join(packageRoot(), 'README.md')])).toBe(1);
    expect(await main(['disasm'])).toBe(2);
    expect(await main(['disasm', 'a.o', 'b.o'])).toBe(2);
    expect(await main(['disasm', 'a.o', '--program'])).toBe(2);
    expect(output.err()).toContain('usage: bpfkit disasm OBJECT.bpf.o');
  });
});
