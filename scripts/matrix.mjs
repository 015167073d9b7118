#!/usr/bin/env node
// make matrix: bpfkit's kernel suites in VMs of other kernels (bpfkit vm), then a table of
// kernel x suite: passed/failed/skipped and wall time. The host row runs the suites on the host's own
// kernel: in a VM when the host has a bootable image of it, else directly (it is the same kernel).
// Narrow a run with BPFKIT_MATRIX_KERNELS=6.1,7.2 and BPFKIT_MATRIX_SUITES=test/kernel.
// Logs and results go to build/matrix/ (one log per cell, results.json, results.md).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveKernel } from '../dist/vm/kernels.js';
import { runInVm } from '../dist/vm/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const list = (v, d) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : d);
const KERNELS = list(process.env.BPFKIT_MATRIX_KERNELS, ['6.1', '6.12', 'host', '7.2', '7.3']);
const SUITES = list(process.env.BPFKIT_MATRIX_SUITES, ['test/kernel', 'test/conformance', 'test/reliability', 'test/diff']);
// Kernels whose verifier the emulator's model does not follow yet: their row runs the kernel engine's suites,
// and test/diff (the emulator against this kernel) is listed as not run, with the reason.
const UNMODELLED = {
  '7.3': "7.3 redesigned the verifier's messages and instruction printer; the emulator's model follows 6.1 to 7.2",
};
const TIMEOUT = Number(process.env.BPFKIT_MATRIX_TIMEOUT ?? 3600);
const MARK = '@@BPFKIT-MATRIX-JSON@@';
const outDir = join(root, 'build', 'matrix');
mkdirSync(outDir, { recursive: true });

/** vitest's own entry (npx costs seconds per run under TCG), with a JSON report appended after MARK. */
function suiteCommand(suite, jsonPath) {
  const vitest = `node node_modules/vitest/vitest.mjs run ${suite} --reporter=default --reporter=json --outputFile.json=${jsonPath}`;
  return ['sh', '-c', `${vitest}; rc=$?; echo; echo ${MARK}; cat ${jsonPath} 2>/dev/null; rm -f ${jsonPath}; exit $rc`];
}

function runNative(command, log) {
  return new Promise((res) => {
    const out = [];
    const err = [];
    const child = spawn(command[0], command.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b) => (out.push(b), appendFileSync(log, b)));
    child.stderr.on('data', (b) => (err.push(b), appendFileSync(log, b)));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT * 1000);
    abort.signal.addEventListener('abort', () => child.kill('SIGKILL'));
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ exitCode: code ?? 124, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), console: '' });
    });
  });
}

function summarize(r) {
  const at = r.stdout.lastIndexOf(MARK);
  let report;
  try {
    report = at >= 0 ? JSON.parse(r.stdout.slice(at + MARK.length)) : undefined;
  } catch {
    report = undefined;
  }
  if (!report) return { passed: 0, failed: 0, skipped: 0, error: r.failure ?? `no report (exit ${r.exitCode})`, failures: [] };
  const failures = [];
  let fileErrors = 0; // a file that failed with no failed test: it did not load or a hook threw
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) {
      fileErrors++;
      failures.push(`${file.name.replace(`${root}/`, '')}: ${(file.message ?? '').split('\n')[0]}`);
    }
    for (const a of file.assertionResults ?? []) {
      if (a.status === 'failed') failures.push(`${a.fullName}: ${(a.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300)}`);
    }
  }
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + fileErrors,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    failures,
  };
}

// Ctrl-C or kill: stop the running guest (runInVm kills QEMU and removes its run directory), then stop.
const abort = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => abort.abort());

const rows = [];
for (const spec of KERNELS) {
  if (abort.signal.aborted) break;
  let label = spec;
  let native = false;
  if (spec === 'host') {
    try {
      resolveKernel('host');
      label = `host ${release()}`;
    } catch {
      native = true;
      label = `host ${release()} (no VM: no image of it to boot)`;
    }
  }
  for (const suite of SUITES) {
    if (abort.signal.aborted) break;
    if (suite === 'test/diff' && UNMODELLED[spec] && !process.env.BPFKIT_MATRIX_SUITES) {
      rows.push({ kernel: label, release: '', suite, seconds: 0, passed: 0, failed: 0, skipped: 0, failures: [], notRun: UNMODELLED[spec] });
      console.log(`${label.padEnd(12)} ${suite.padEnd(18)} not run: ${UNMODELLED[spec]}`);
      continue;
    }
    const json = `/tmp/bpfkit-matrix-${process.pid}.json`;
    const command = suiteCommand(suite, json);
    const log = join(outDir, `${spec}-${suite.replace(/\//g, '_')}.log`);
    writeFileSync(log, ''); // followed live (tail -f) while the suite runs; rewritten without the JSON at the end
    // test/helpers/build-dist.ts compiles dist/ when src/ is newer: do it here on the host (seconds), not in
    // the guest under TCG (minutes); the guest then finds dist/ up to date. Type errors still write dist/.
    spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
    const t0 = Date.now();
    let r;
    try {
      r = native
        ? await runNative(command, log)
        : await runInVm({ kernel: spec, command, cwd: root, cpus: 2, memory: '2G', timeoutSeconds: TIMEOUT, signal: abort.signal, onStdout: (b) => appendFileSync(log, b), onStderr: (b) => appendFileSync(log, b) });
    } catch (e) {
      r = { exitCode: 125, stdout: '', stderr: String(e?.message ?? e), console: '', failure: 'runner error' };
    }
    const seconds = (Date.now() - t0) / 1000;
    const release_ = r.kernelRelease ?? release();
    const s = summarize(r);
    // test/diff prints "differential: N ops over M configurations, K divergence(s)" (kernel vs emulator maps).
    const div = /differential: \d+ ops over \d+ configurations, (\d+) divergence/.exec(r.stdout);
    const cell = { kernel: label, release: release_, suite, seconds, exitCode: r.exitCode, ...s, divergences: div ? Number(div[1]) : undefined };
    rows.push(cell);
    const at = r.stdout.lastIndexOf(MARK);
    writeFileSync(log, `${at >= 0 ? r.stdout.slice(0, at) : r.stdout}\n--- stderr\n${r.stderr}\n--- console\n${r.console}\n`);
    console.log(
      `${label.padEnd(12)} ${suite.padEnd(18)} ${release_.padEnd(18)} passed ${String(s.passed).padStart(4)}  failed ${String(s.failed).padStart(3)}  skipped ${String(s.skipped).padStart(3)}  ${seconds.toFixed(0).padStart(5)} s${cell.divergences !== undefined ? `  divergences ${cell.divergences}` : ''}${s.error ? `  (${s.error})` : ''}  log: ${log}`,
    );
    for (const f of s.failures) console.log(`    FAIL ${f}`);
  }
}

const table = [
  '| kernel | release | suite | passed | failed | skipped | wall time | diff divergences |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((c) => (c.notRun
    ? `| ${c.kernel} | | ${c.suite} | not run: ${c.notRun} | | | | |`
    : `| ${c.kernel} | ${c.release} | ${c.suite} | ${c.passed} | ${c.failed}${c.error ? ` (${c.error})` : ''} | ${c.skipped} | ${c.seconds.toFixed(0)} s | ${c.divergences ?? '–'} |`)),
].join('\n');
writeFileSync(join(outDir, 'results.json'), JSON.stringify(rows, null, 2) + '\n');
writeFileSync(join(outDir, 'results.md'), table + '\n');
console.log(`\n${table}\n`);
rmSync(`/tmp/bpfkit-matrix-${process.pid}.json`, { force: true });
process.exitCode = rows.every((c) => c.failed === 0 && !c.error) ? 0 : 1;
