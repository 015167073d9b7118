// Coverage of BPF C code on the emulator (issue 25): counts that follow from what the programs were given
// (bpf/coverage_demo.bpf.c: bytes by parity; tail_dispatch's own entry counters), the same counts on both
// executions, exact totals over the worker CPUs, lcov that genhtml takes, BPFKIT_COVERAGE's file per process.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Emulator, type EmulatorCoverage } from '../../src/emulator/index.js';
import { BpfVerifierError, loadProgram, openObject, parseLcov, type FileCoverage } from '../../src/index.js';
import { encodeInsns } from '../../src/uapi/isa.js';
import { Prng, createProgramMaps, generateProgram, type GeneratedProgram } from '../diff/random-programs.js';
import { parseObject } from '../../src/elf/object.js';
import { MAX_TAIL_CALL_CNT } from '../../src/uapi/isa.js';
import { packageRoot } from '../../src/package-root.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';
import { testUnless } from '../helpers/skip.js';

const EXECUTIONS = ['interpreter', 'compiled'] as const;
const source = join(packageRoot(), 'bpf', 'coverage_demo.bpf.c');
const header = join(packageRoot(), 'bpf', 'include', 'coverage_demo.h');
/** bpf/include/coverage_demo.h: the bytes count_bytes reads; a shorter packet (14 bytes, XDP's least) is dropped. */
const DEMO_BYTES = 16;

/** The line of `file` holding `text` (once), so the tests follow the fixture's source, not line numbers. */
function lineOf(file: string, text: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (at.length !== 1) throw new Error(`${text} is on ${at.length} lines of ${file}`);
  return at[0]!;
}

const fileOf = (files: FileCoverage[], name: string): FileCoverage => {
  const f = files.find((x) => x.file === name);
  if (!f) throw new Error(`no coverage of ${name}: ${files.map((x) => x.file).join(', ')}`);
  return f;
};
const da = (f: FileCoverage, line: number): number | undefined => f.lines.find((l) => l.line === line)?.count;
const fnda = (f: FileCoverage, name: string): number | undefined => f.functions.find((fn) => fn.name === name)?.count;
/** Each conditional jump on `line` as [jumped, fell through]. */
const jumpsOn = (f: FileCoverage, line: number): [number, number][] => {
  const blocks = new Map<number, [number, number]>();
  for (const b of f.branches.filter((x) => x.line === line)) {
    const pair = blocks.get(b.block) ?? [0, 0];
    pair[b.branch] = b.taken ?? 0;
    blocks.set(b.block, pair);
  }
  return [...blocks.values()];
};

/** Packets of 64 bytes, their first DEMO_BYTES as given: 9 even, 15 even, 1 even. */
const packets = [
  [2, 4, 6, 8, 1, 3, 10, 12, 1, 1, 1, 1, 1, 0, 0, 0],
  [1, 1, 1, 2, 3, 5, 7, 9, 0, 0, 0, 0, 0, 0, 0, 0].map((b, i) => (i === 0 ? b : b === 0 ? 2 : 4)),
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2],
];
const evensIn = (bytes: number[]): number => bytes.slice(0, DEMO_BYTES).filter((b) => b % 2 === 0).length;

function runDemo(emulator: Emulator, repeat = 1): EmulatorCoverage {
  using obj = openObject(fixture('coverage_demo'), { engine: emulator });
  const prog = obj.program('count_bytes');
  for (const bytes of packets) prog.run({ data: packet(bytes), repeat });
  prog.run({ data: new Uint8Array(14), repeat }); // too short for the loop: XDP_DROP
  return emulator.coverage();
}

describe.each(EXECUTIONS)('coverage of bpf/coverage_demo.bpf.c (%s)', (execution) => {
  const cov = runDemo(new Emulator({ coverage: true, execution, possibleCpus: 2 }), 3);
  const c = fileOf(cov.files, source);
  const h = fileOf(cov.files, header);
  const evens = packets.map(evensIn).reduce((a, b) => a + b) * 3;
  const odds = packets.length * DEMO_BYTES * 3 - evens;
  const long = packets.length * 3;

  it('counts function entries from func_info: the program per run, the subprogram per long packet', () => {
    expect(fnda(c, 'count_bytes')).toBe(long + 3);
    expect(fnda(c, 'verdict')).toBe(long);
    expect(cov.programs.map((p) => p.name)).toEqual(['count_bytes']);
    expect(cov.programs[0]!.functions.map((f) => [f.name, f.count])).toEqual([['count_bytes', long + 3], ['verdict', long]]);
  });

  it('counts lines as the packets make them run, inlined code on its own lines in the header', () => {
    expect(da(c, lineOf(source, '__sync_fetch_and_add(&short_packets, 1);'))).toBe(3);
    expect(da(c, lineOf(source, 'if (p + DEMO_BYTES > end)'))).toBe(long + 3);
    expect(da(c, lineOf(source, 'return verdict(evens, odds);'))).toBe(long);
    // demo_tally is inlined into both arms of the parity test: its one line counts every byte.
    expect(h.lines).toEqual([{ line: lineOf(header, '__sync_fetch_and_add(counter, 1);'), count: evens + odds }]);
    expect(h.functions).toEqual([]); // inlined: no func_info, no function
  });

  it('has a DA line exactly where line_info has a line: none for comments or code the compiler dropped', () => {
    const parsed = parseObject(readFileSync(fixture('coverage_demo')), 'coverage_demo.bpf.o');
    const expected = new Set(parsed.programs.flatMap((p) => [...p.lines.values()]).filter((l) => l.file === source && l.line > 0).map((l) => l.line));
    expect(new Set(c.lines.map((l) => l.line))).toEqual(expected);
    expect(da(c, 1)).toBeUndefined();
    expect(da(c, lineOf(source, 'char _license[]'))).toBeUndefined();
  });

  it('counts each conditional jump both ways on its line', () => {
    // The parity test: one way per even byte, the other per odd one (which is which is the compiler's).
    const parity = jumpsOn(c, lineOf(source, 'if ((p[i] & 1) == 0)'));
    expect(parity).toHaveLength(1);
    expect([...parity[0]!].sort((a, b) => a - b)).toEqual([odds, evens].sort((a, b) => a - b));
    // The bounds check: short packets one way, long ones the other.
    const bounds = jumpsOn(c, lineOf(source, 'if (p + DEMO_BYTES > end)'));
    expect(bounds.map((p) => [...p].sort((a, b) => a - b))).toEqual([[3, long]]);
    // verdict: more evens than odds in the first two packets.
    // Per program, by instruction: verdict (the last function) has one conditional jump.
    expect(packets.map((p) => evensIn(p) > DEMO_BYTES / 2)).toEqual([true, true, false]);
    const prog = cov.programs[0]!;
    const start = prog.functions.find((f) => f.name === 'verdict')!.start;
    const jumps = [...prog.executed.keys()].filter((i) => i >= start && prog.taken[i]! + prog.notTaken[i]! > 0);
    expect(jumps).toHaveLength(1);
    expect([prog.taken[jumps[0]!], prog.notTaken[jumps[0]!]].sort((a, b) => a! - b!)).toEqual([3, 6]);
  });
});

describe('coverage across executions and CPUs', () => {
  it('is the same on the interpreter and the compiler, instruction by instruction', () => {
    const cases: [string, (emulator: Emulator) => void][] = [
      ['coverage_demo', (e) => runDemo(e)],
      ['for_each', (e) => {
        using obj = openObject(fixture('for_each'), { engine: e });
        for (const [n, stop] of [[9, 0], [20, 5], [3, 2]] as const) obj.program('walk_maps').run({ ctx: new Uint8Array(new Uint32Array([n, stop]).buffer) });
      }],
      ['parser', (e) => {
        using obj = openObject(fixture('parser'), { engine: e });
        obj.program('xdp_parser').run({ data: packet([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45]), repeat: 2 });
      }],
    ];
    for (const [name, run] of cases) {
      const [interpreted, compiled] = EXECUTIONS.map((execution) => {
        const emulator = new Emulator({ coverage: true, execution, seed: 1 });
        run(emulator);
        return emulator.coverage();
      });
      expect(compiled!.programs.length, name).toBeGreaterThan(0);
      expect(compiled, name).toEqual(interpreted);
      expect(compiled!.programs.some((p) => p.executed.some((n) => n > 0)), name).toBe(true);
    }
  });

  it('is the same on both executions for seeded random programs, and changes no outcome', () => {
    const rng = new Prng(25);
    /** The run's outcome and the maps after it, on one Emulator. */
    const runOn = (p: GeneratedProgram, engine: Emulator): string | undefined => {
      const maps = createProgramMaps(p, engine);
      try {
        let prog;
        try {
          prog = loadProgram({ type: p.type, insns: encodeInsns(p.insns), name: 'rnd', maps, engine });
        } catch (e) {
          if (e instanceof BpfVerifierError) return undefined;
          throw e;
        }
        using _ = prog;
        let run: string;
        try {
          const r = prog.run({ ...(p.data ? { data: p.data } : {}), ...(p.ctx ? { ctx: p.ctx } : {}), repeat: p.repeat });
          run = JSON.stringify([r.retval, r.data && Buffer.from(r.data).toString('hex'), r.ctx && Buffer.from(r.ctx).toString('hex')]);
        } catch (e) {
          run = String((e as { code?: string }).code ?? e);
        }
        return run + maps.map((m) => [...m.entries()].map(([k, v]) => `${k}=${Buffer.from(v as Uint8Array).toString('hex')}`).join(',')).join('|');
      } finally {
        for (const m of maps) m.close();
      }
    };
    let ran = 0;
    let branches = 0;
    for (let i = 0; i < 300; i++) {
      const p = generateProgram(rng);
      const plain = runOn(p, new Emulator({ seed: i + 1 }));
      if (plain === undefined) continue;
      ran++;
      const covered = EXECUTIONS.map((execution) => {
        const emulator = new Emulator({ seed: i + 1, execution, coverage: true });
        return { outcome: runOn(p, emulator), programs: emulator.coverage().programs };
      });
      expect(covered[0]!.outcome, `program ${i}`).toBe(plain);
      expect(covered[1]!.outcome, `program ${i}`).toBe(plain);
      expect(covered[1]!.programs, `program ${i}`).toEqual(covered[0]!.programs);
      branches += covered[0]!.programs[0]!.taken.filter((n) => n > 0).length;
    }
    console.log(`coverage of random programs: ${ran} of 300 ran, ${branches} branches taken`);
    // Not vacuous: most programs load and run, and their jumps are taken.
    expect(ran).toBeGreaterThan(150);
    expect(branches).toBeGreaterThan(100);
  });

  it('adds up every worker CPU exactly under parallel runAsync, with the calling thread', async () => {
    const emulator = new Emulator({ coverage: true, possibleCpus: 2 });
    using obj = openObject(fixture('coverage_demo'), { engine: emulator });
    const prog = obj.program('count_bytes');
    const data = packet(packets[0]);
    const runs = Array.from({ length: 400 }, () => prog.runAsync({ data, repeat: 25 }));
    prog.run({ data, repeat: 7 });
    await Promise.all(runs);
    const [p] = emulator.coverage().programs;
    expect(p!.functions.map((f) => f.count)).toEqual([400 * 25 + 7, 400 * 25 + 7]);
    expect(p!.executed[0]).toBe(400 * 25 + 7);
  });

  it('counts a tail call target in its own program, each time it is entered', () => {
    for (const execution of EXECUTIONS) {
      const emulator = new Emulator({ coverage: true, execution });
      using obj = openObject(fixture('tail_dispatch'), { engine: emulator });
      obj.program('chain').run({ data: packet() });
      const entered = (obj.globals as { entered: number[] }).entered;
      expect(entered[3]).toBe(MAX_TAIL_CALL_CNT + 1);
      const chain = emulator.coverage().programs.find((p) => p.name === 'chain')!;
      expect(chain.functions[0]!.count, execution).toBe(entered[3]);
      expect(emulator.coverage().programs.find((p) => p.name === 'dispatch')!.executed.every((n) => n === 0)).toBe(true);
    }
  });

  it('keeps a closed program, and never reports one that failed to load', () => {
    const emulator = new Emulator({ coverage: true });
    runDemo(emulator); // closes its object
    expect(emulator.coverage().programs.map((p) => p.name)).toEqual(['count_bytes']);
    expect(() => openObject(fixture('reject_exit_locked'), { engine: emulator })).toThrow();
    expect(emulator.coverage().programs.map((p) => p.name)).toEqual(['count_bytes']);
  });

  it('is refused clearly where it was not asked for, and the option must be a boolean', () => {
    const saved = process.env.BPFKIT_COVERAGE;
    delete process.env.BPFKIT_COVERAGE;
    try {
      const off = new Emulator();
      expect(() => off.coverage()).toThrow(new TypeError('coverage(): this Emulator records no coverage; make it with new Emulator({ coverage: true }) or set BPFKIT_COVERAGE'));
      expect(() => off.writeLcov('/tmp/x.info')).toThrow(/^writeLcov\(\): this Emulator records no coverage/);
      expect(() => new Emulator({ coverage: 'yes' as never })).toThrow(new TypeError('coverage must be a boolean, got "yes"'));
      expect(() => new Emulator({ coverage: true }).writeLcov('')).toThrow(TypeError);
    } finally {
      if (saved !== undefined) process.env.BPFKIT_COVERAGE = saved;
    }
  });
});

describe('lcov out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-coverage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes what coverage() reports, and reads back the same', () => {
    const emulator = new Emulator({ coverage: true });
    const cov = runDemo(emulator);
    const path = join(dir, 'demo.info');
    emulator.writeLcov(path);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(new RegExp(`^TN:\\nSF:${source}\\nFN:\\d+,verdict\\nFN:\\d+,count_bytes\\n`));
    expect(text).toContain(`\nFNDA:${packets.length + 1},count_bytes\n`);
    expect(parseLcov(text)).toEqual(cov.files);
  });

  const genhtml = spawnSync('genhtml', ['--version'], { encoding: 'utf8' });
  testUnless(genhtml.status === 0 ? undefined : 'genhtml is not installed (Debian package lcov; make setup installs it)', 'genhtml takes it without a warning', () => {
    const emulator = new Emulator({ coverage: true });
    runDemo(emulator);
    const path = join(dir, 'for-genhtml.info');
    emulator.writeLcov(path);
    const out = execFileSync('genhtml', ['--branch-coverage', '-o', join(dir, 'html'), path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/functions\.\.: 100\.0% \(2 of 2 functions\)/);
    const r = spawnSync('genhtml', ['--branch-coverage', '-q', '-o', join(dir, 'html2'), path], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/warning|error/i);
    expect(readdirSync(join(dir, 'html2'))).toContain('index.html');
  });

  it('BPFKIT_COVERAGE=<dir>: every Emulator of a process, coverage on by default, one file per process at exit', () => {
    const out = join(dir, 'run');
    // A file, not `node -e`: runAsync's workers never start under `--input-type=module -e` (main too).
    const script = join(dir, 'child.mjs');
    writeFileSync(script, `
      import { Emulator, openObject } from ${JSON.stringify(join(packageRoot(), 'dist', 'index.js'))};
      for (const execution of ['interpreter', 'compiled']) {
        const emulator = new Emulator({ execution, possibleCpus: 2 });
        const obj = openObject(${JSON.stringify(fixture('coverage_demo'))}, { engine: emulator });
        const data = new Uint8Array(64);
        obj.program('count_bytes').run({ data });
        await Promise.all([1, 2, 3].map(() => obj.program('count_bytes').runAsync({ data, repeat: 2 })));
        obj.close();
      }
      process.exit(0);
    `);
    const r = spawnSync(process.execPath, [script], {
      cwd: packageRoot(), encoding: 'utf8', env: { ...process.env, BPFKIT_COVERAGE: out }, timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const files = readdirSync(out);
    expect(files).toEqual([`bpfkit-${r.pid}-0.info`]);
    const c = fileOf(parseLcov(readFileSync(join(out, files[0]!), 'utf8')), source);
    // Two Emulators, each 1 + 3 × 2 runs of an all-zero packet.
    expect(fnda(c, 'count_bytes')).toBe(14);
    expect(fnda(c, 'verdict')).toBe(14);
  });

  it('BPFKIT_COVERAGE: a process ended by SIGTERM (as vitest stops its forks) writes its file, and still ends by the signal', async () => {
    const out = join(dir, 'sigterm');
    const script = join(dir, 'child-sigterm.mjs');
    writeFileSync(script, `
      import { Emulator, openObject } from ${JSON.stringify(join(packageRoot(), 'dist', 'index.js'))};
      const obj = openObject(${JSON.stringify(fixture('coverage_demo'))}, { engine: new Emulator() });
      obj.program('count_bytes').run({ data: new Uint8Array(64), repeat: 5 });
      console.log('ready');
      setInterval(() => {}, 1000);
    `);
    const child = spawn(process.execPath, [script], { cwd: packageRoot(), env: { ...process.env, BPFKIT_COVERAGE: out }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); }));
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    child.kill('SIGTERM');
    expect(await ended).toEqual([null, 'SIGTERM']);
    const files = readdirSync(out);
    expect(files).toEqual([`bpfkit-${child.pid}-0.info`]);
    expect(fnda(fileOf(parseLcov(readFileSync(join(out, files[0]!), 'utf8')), source), 'count_bytes')).toBe(5);
  });
});
