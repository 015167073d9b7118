// lcov tracefiles (src/coverage/lcov.ts) and `bpfkit coverage`: reading anyone's lcov, merging as `lcov -a`
// does (checked against lcov itself where it is installed), the summary, --output and --html through genhtml.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLcov, mergeCoverage, parseLcov, type FileCoverage } from '../../src/coverage/lcov.js';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../helpers/captured-output.js';
import { testUnless } from '../helpers/skip.js';

const a: FileCoverage = {
  file: '/src/a.bpf.c',
  lines: [{ line: 3, count: 2 }, { line: 4, count: 0 }],
  functions: [{ name: 'prog', line: 3, count: 2 }],
  branches: [{ line: 3, block: 0, branch: 0, taken: 1 }, { line: 3, block: 0, branch: 1, taken: 1 }, { line: 4, block: 0, branch: 0, taken: undefined }, { line: 4, block: 0, branch: 1, taken: undefined }],
};
const b: FileCoverage = {
  file: '/src/a.bpf.c',
  lines: [{ line: 4, count: 5 }, { line: 9, count: 1 }],
  functions: [{ name: 'prog', line: 3, count: 5 }, { name: 'helper', line: 9, count: 1 }],
  branches: [{ line: 4, block: 0, branch: 0, taken: 5 }, { line: 4, block: 0, branch: 1, taken: 0 }],
};

describe('lcov tracefiles', () => {
  it('writes the records geninfo writes, and reads them back', () => {
    const text = formatLcov([a], 't');
    expect(text).toBe([
      'TN:t', 'SF:/src/a.bpf.c', 'FN:3,prog', 'FNDA:2,prog', 'FNF:1', 'FNH:1',
      'BRDA:3,0,0,1', 'BRDA:3,0,1,1', 'BRDA:4,0,0,-', 'BRDA:4,0,1,-', 'BRF:4', 'BRH:2',
      'DA:3,2', 'DA:4,0', 'LF:2', 'LH:1', 'end_of_record', '',
    ].join('\n'));
    expect(parseLcov(text)).toEqual([a]);
    expect(formatLcov([])).toBe('');
  });

  it('adds up the same line, function and branch; a branch never reached (-) plus a count is the count', () => {
    const [m] = mergeCoverage([[a], [b]]);
    expect(m!.lines).toEqual([{ line: 3, count: 2 }, { line: 4, count: 5 }, { line: 9, count: 1 }]);
    expect(m!.functions).toEqual([{ name: 'prog', line: 3, count: 7 }, { name: 'helper', line: 9, count: 1 }]);
    expect(m!.branches.filter((x) => x.line === 4).map((x) => x.taken)).toEqual([5, 0]);
    expect(mergeCoverage([[{ ...a, file: '/src/z.c' }], [b]]).map((f) => f.file)).toEqual(['/src/a.bpf.c', '/src/z.c']);
  });

  it("reads other tools' lcov: lcov 2's FN with an end line, FNDA before FN, summaries and unknown tags skipped, records of a file merged", () => {
    const text = [
      'VER:2', 'TN:vitest', 'SF:/src/x.ts', 'FNDA:4,f', 'FN:10,12,f', 'FNL:0,10,12', 'FNA:0,4,f', 'DA:10,4', 'DA:11,0,abcdef', 'LF:2', 'LH:1', 'end_of_record',
      'SF:/src/x.ts', 'DA:11,3', 'BRDA:11,0,0,3', 'end_of_record',
    ].join('\r\n');
    expect(parseLcov(text)).toEqual([{
      file: '/src/x.ts', lines: [{ line: 10, count: 4 }, { line: 11, count: 3 }], functions: [{ name: 'f', line: 0, count: 4 }],
      branches: [{ line: 11, block: 0, branch: 0, taken: 3 }],
    }]);
  });

  it('refuses what is not lcov with the file and line', () => {
    expect(() => parseLcov('SF:/a\nDA:x,1\nend_of_record\n', 'a.info')).toThrow(new SyntaxError('a.info:2: expected a number: "DA:x,1"'));
    expect(() => parseLcov('DA:1,1\n', 'b.info')).toThrow(/^b\.info:1: DA outside a record/);
    expect(() => parseLcov('SF:/a\nDA:1,1\n', 'c.info')).toThrow('c.info: the last record (SF:/a) has no end_of_record');
    expect(() => parseLcov('SF:/a\nSF:/b\n', 'd.info')).toThrow(/d\.info:2: SF inside a record/);
    expect(() => parseLcov('SF:/a\nBRDA:1,0\nend_of_record\n', 'e.info')).toThrow(/e\.info:2: BRDA needs/);
  });
});

describe('bpfkit coverage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-lcov-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const output = captureOutput();
  const text = (stream: 'out' | 'err'): string => output[stream]();
  writeFileSync(join(dir, 'p1.info'), formatLcov([a]));
  writeFileSync(join(dir, 'p2.info'), formatLcov([b]));
  writeFileSync(join(dir, 'notes.txt'), 'not a tracefile');

  it("merges a directory's .info files and prints each file's and function's coverage", async () => {
    const merged = join(dir, 'merged.out');
    expect(await main(['coverage', dir, '--output', merged])).toBe(0);
    expect(text('out')).toBe([
      'file          lines         functions     branches',
      '------------  ------------  ------------  -----------',
      '/src/a.bpf.c  100.0% (3/3)  100.0% (2/2)  75.0% (3/4)',
      'total         100.0% (3/3)  100.0% (2/2)  75.0% (3/4)',
      '',
      'function  at              entered',
      '--------  --------------  -------',
      'prog      /src/a.bpf.c:3  7',
      'helper    /src/a.bpf.c:9  1',
      '',
    ].join('\n'));
    expect(parseLcov(readFileSync(merged, 'utf8'))).toEqual(mergeCoverage([[a], [b]]));
  });

  it('exits 2 on bad usage and 1 on files it cannot read', async () => {
    expect(await main(['coverage'])).toBe(2);
    expect(await main(['coverage', dir, '--html'])).toBe(2);
    expect(await main(['coverage', dir, '--frob'])).toBe(2);
    expect(text('err')).toContain('usage: bpfkit coverage DIR|FILE.info...');
    expect(await main(['coverage', join(dir, 'missing.info')])).toBe(1);
    expect(await main(['coverage', join(dir, 'notes.txt')])).toBe(1);
    expect(text('err')).toMatch(/notes\.txt:1: TN|notes\.txt:1: not/);
  });

  const lcov = spawnSync('lcov', ['--version'], { encoding: 'utf8' });
  testUnless(lcov.status === 0 ? undefined : 'lcov is not installed (make setup installs it)', 'merges as lcov -a does (lcov itself the oracle)', () => {
    const theirs = join(dir, 'lcov-a.info');
    const r = spawnSync('lcov', ['--rc', 'lcov_branch_coverage=1', '-q', '-a', join(dir, 'p1.info'), '-a', join(dir, 'p2.info'), '-o', theirs], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(parseLcov(readFileSync(theirs, 'utf8'))).toEqual(mergeCoverage([[a], [b]]));
  });

  testUnless(spawnSync('genhtml', ['--version']).status === 0 ? undefined : 'genhtml is not installed (make setup installs lcov)', '--html renders through genhtml', async () => {
    // genhtml reads the sources: give it real ones.
    const src = join(dir, 'a.bpf.c');
    writeFileSync(src, Array.from({ length: 12 }, (_, i) => `/* line ${i + 1} */`).join('\n'));
    writeFileSync(join(dir, 'html-in.info'), formatLcov(mergeCoverage([[a], [b]]).map((f) => ({ ...f, file: src }))));
    const html = join(dir, 'html');
    expect(await main(['coverage', join(dir, 'html-in.info'), '--html', html])).toBe(0);
    expect(existsSync(join(html, 'index.html'))).toBe(true);
    expect(text('out')).toContain(`html: ${join(html, 'index.html')}`);
    expect(text('err')).toBe('');
  });
});
