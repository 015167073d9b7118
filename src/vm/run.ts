// runInVm: boot a kernel in QEMU, run one command as root in the guest (same cwd, the host's root
// read-only with a tmpfs overlay), stream its output, and return its exit status.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stderrProgress, type Progress } from './cache-dir.js';
import { installHint } from './exec.js';
import { guestInitramfs } from './initramfs.js';
import { resolveKernel } from './kernels.js';
import { qemuArgs, qemuBinary, type Accel } from './qemu.js';

/** The command timed out (the guest is killed), as coreutils' timeout(1) says. */
export const EXIT_TIMEOUT = 124;
/** The guest died before reporting the command's status: a panic, a failed boot, QEMU killed. */
export const EXIT_GUEST_DIED = 125;

export interface VmRunOptions {
  /** 6.1, 6.12, 7.2 (Debian kernels, fetched and cached), `host`, or a path to a kernel image or unpacked kernel package. */
  kernel: string;
  command: readonly string[];
  /** The guest's working directory (the same path as on the host); default process.cwd(). */
  cwd?: string;
  cpus?: number;
  /** QEMU's -m syntax; default 2G. */
  memory?: string;
  /** Kill the guest after this many seconds (exit 124); 0 means never. Default 600. */
  timeoutSeconds?: number;
  /** Extra environment for the command (it gets PATH, HOME=/root, TERM and these; nothing else leaks in). */
  env?: Record<string, string>;
  /** tcg (default; works everywhere) or kvm; BPFKIT_VM_ACCEL sets the default. */
  accel?: Accel;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Keep stdout/stderr in the result (default true; a streaming caller may turn it off). */
  collect?: boolean;
  progress?: Progress;
  /** Never download: fail if the kernel is not cached. */
  offline?: boolean;
  signal?: AbortSignal;
}

export interface VmRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The guest's serial console (kernel messages, init diagnostics): what to read when exitCode is 125. */
  console: string;
  kernelRelease: string;
  /**
   * Why the command's own status is not the exit code. 'kvm-unusable': QEMU's KVM accelerator failed under
   * this kernel (seen on hosts whose KVM cannot set the guest's MSRs); TCG boots it.
   */
  failure?: 'timeout' | 'guest-died' | 'aborted' | 'kvm-unusable';
  wallSeconds: number;
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The script the guest runs (chroot'ed into the overlay root): enter cwd, then exec COMMAND in a clean environment. */
export function runScript(command: readonly string[], cwd: string, env: Record<string, string>): string {
  const vars = Object.entries(env).map(([k, v]) => shQuote(`${k}=${v}`));
  return [
    '#!/bin/sh',
    `cd ${shQuote(cwd)} || { echo "bpfkit vm: cannot enter ${cwd.replace(/["$`\\]/g, '')} in the guest" >&2; exit ${EXIT_GUEST_DIED}; }`,
    `exec /usr/bin/env -i ${vars.join(' ')} ${command.map(shQuote).join(' ')}`,
    '',
  ].join('\n');
}

/** A one-connection unix socket server feeding `onData`; `done` resolves when the peer closes (or never connected). */
function portServer(path: string, onData: (b: Buffer) => void): { server: Server; done: Promise<void>; ready: Promise<void> } {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let connected = false;
  const server = createServer((s: Socket) => {
    connected = true;
    s.on('data', onData);
    s.on('close', finish);
    s.on('error', finish);
  });
  server.on('close', () => !connected && finish());
  const ready = new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
  return { server, done, ready };
}

/**
 * A guest that dies while booting, before the command starts, is booted again, up to this many boots in all
 * (seen in make matrix: Debian's 6.12 under TCG hit an int3 in early boot while the kernel patched its own
 * text). The command itself never runs twice: the guest says "started" on the status port just before it.
 */
const MAX_BOOTS = 3;
const STARTED = 'started';

export async function runInVm(o: VmRunOptions): Promise<VmRunResult> {
  if (o.command.length === 0) throw new TypeError('runInVm: command is empty');
  const cpus = o.cpus ?? 2;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) throw new RangeError(`runInVm: cpus must be an integer in 1..64, got ${cpus}`);
  const memory = o.memory ?? '2G';
  if (!/^\d+[MG]?$/i.test(memory)) throw new RangeError(`runInVm: memory must look like 2G or 1536M, got '${memory}'`);
  const timeoutSeconds = o.timeoutSeconds ?? 600;
  if (!(timeoutSeconds >= 0)) throw new RangeError(`runInVm: timeoutSeconds must be >= 0, got ${timeoutSeconds}`);
  const accel = o.accel ?? (process.env.BPFKIT_VM_ACCEL === 'kvm' ? 'kvm' : 'tcg');
  const progress = o.progress ?? stderrProgress;
  const qemu = qemuBinary();
  if (!qemu) throw new Error(`bpfkit vm: qemu-system-x86_64 not found: ${installHint()}`);
  if (!existsSync('/usr/bin/env')) throw new Error('bpfkit vm: the host has no /usr/bin/env for the guest to use');

  const kernel = resolveKernel(o.kernel, { progress, offline: o.offline });
  const initramfs = guestInitramfs(kernel, progress);
  const started = Date.now();
  for (let boot = 1; ; boot++) {
    const r = await bootOnce(o, { kernel, initramfs, qemu, cpus, memory, accel, timeoutSeconds });
    // KVM refusing the guest fails every boot the same way: say so on the first, without booting again.
    if (accel === 'kvm' && r.failure === 'guest-died' && !r.commandStarted && kvmFailure(r.console)) {
      const { commandStarted: _, ...result } = r;
      return { ...result, failure: 'kvm-unusable', wallSeconds: (Date.now() - started) / 1000 };
    }
    if (r.failure !== 'guest-died' || r.commandStarted || boot >= MAX_BOOTS) {
      const { commandStarted: _, ...result } = r;
      return { ...result, wallSeconds: (Date.now() - started) / 1000 };
    }
    const panic = /Kernel panic[^\n]*|Oops[^\n]*/.exec(r.console)?.[0] ?? 'no kernel message';
    progress(`the guest died while booting, before the command started (${panic.trim()}); booting again (${boot + 1} of ${MAX_BOOTS})`);
  }
}

/**
 * QEMU's own words when its KVM accelerator cannot run the guest (target/i386/kvm/kvm.c: "failed to set MSR",
 * the kvm_buf_set_msrs assertion; "failed to initialize kvm"; KVM_RUN errors), or undefined.
 */
export function kvmFailure(console: string): string | undefined {
  return /^qemu-system-[^:]*: (?:error: )?(failed to set MSR[^\n]*|failed to initialize kvm[^\n]*|.*kvm[^\n]*(?:Assertion|failed)[^\n]*)$/im.exec(console)?.[1];
}

interface Boot {
  kernel: ReturnType<typeof resolveKernel>;
  initramfs: string;
  qemu: string;
  cpus: number;
  memory: string;
  accel: Accel;
  timeoutSeconds: number;
}

/** One guest: boot, run the command, collect; `commandStarted` says whether the command began. */
async function bootOnce(o: VmRunOptions, b: Boot): Promise<Omit<VmRunResult, 'wallSeconds'> & { commandStarted: boolean }> {
  const { kernel, initramfs, qemu, cpus, memory, accel, timeoutSeconds } = b;
  const runDir = mkdtempSync(join(tmpdir(), 'bpfkit-vm-'));
  const collect = o.collect ?? true;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const status: Buffer[] = [];
  let consoleText = '';
  const servers: ReturnType<typeof portServer>[] = [];
  try {
    const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: '/root', TERM: process.env.TERM ?? 'dumb', ...o.env };
    writeFileSync(join(runDir, 'run.sh'), runScript(o.command, o.cwd ?? process.cwd(), env));
    const sockets = { stdout: join(runDir, 'out.sock'), stderr: join(runDir, 'err.sock'), status: join(runDir, 'status.sock') };
    servers.push(
      portServer(sockets.stdout, (b) => (o.onStdout?.(b), collect && out.push(b))),
      portServer(sockets.stderr, (b) => (o.onStderr?.(b), collect && err.push(b))),
      portServer(sockets.status, (b) => status.push(b)),
    );
    await Promise.all(servers.map((s) => s.ready));

    const child = spawn(qemu, qemuArgs({ vmlinux: kernel.vmlinux, initramfs, cpus, memory, accel, runDir, sockets }), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onConsole = (b: Buffer) => {
      consoleText = (consoleText + b.toString('latin1')).slice(-64 * 1024);
      if (process.env.BPFKIT_VM_DEBUG) process.stderr.write(b);
    };
    child.stdout.on('data', onConsole);
    child.stderr.on('data', onConsole);
    let failure: VmRunResult['failure'];
    const kill = (why: NonNullable<VmRunResult['failure']>) => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = timeoutSeconds > 0 ? setTimeout(() => kill('timeout'), timeoutSeconds * 1000) : undefined;
    const onAbort = () => kill('aborted');
    o.signal?.addEventListener('abort', onAbort);
    if (o.signal?.aborted) onAbort();
    const exited = await new Promise<{ code: number | null; error?: Error }>((res) => {
      child.on('error', (error) => res({ code: null, error }));
      child.on('exit', (code) => res({ code }));
    });
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    if (exited.error) throw new Error(`bpfkit vm: cannot run ${qemu}: ${exited.error.message}`);
    // QEMU is gone, so each port's socket closes; wait for the last bytes. Close the listeners too, so
    // a port that never connected does not hold the run open.
    for (const s of servers) s.server.close();
    await Promise.race([Promise.all(servers.map((s) => s.done)), new Promise((r) => setTimeout(r, 2000))]);

    const statusText = Buffer.concat(status).toString();
    const m = /exit=(\d+)/.exec(statusText);
    let exitCode: number;
    if (failure === 'timeout') exitCode = EXIT_TIMEOUT;
    else if (failure === 'aborted' || !m) {
      failure ??= 'guest-died';
      exitCode = EXIT_GUEST_DIED;
    } else exitCode = Number(m[1]);
    return {
      exitCode,
      stdout: Buffer.concat(out).toString(),
      stderr: Buffer.concat(err).toString(),
      console: consoleText,
      kernelRelease: kernel.release,
      ...(failure ? { failure } : {}),
      commandStarted: statusText.includes(STARTED),
    };
  } finally {
    for (const s of servers) s.server.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}
