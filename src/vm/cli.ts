// `bpfkit vm [options] -- COMMAND...`: runs COMMAND as root in a QEMU guest under another kernel.
import { EXIT_GUEST_DIED, kvmFailure, runInVm } from './run.js';
import { resolveKernel } from './kernels.js';

const USAGE = `usage: bpfkit vm [options] -- COMMAND [ARG...]
Runs COMMAND as root in a QEMU guest booted from another kernel, in the current directory. The host's
root filesystem is shared read-only with a tmpfs overlay: the guest's writes never reach the host.
  --kernel K      6.1 | 6.12 | 7.2 | 5.10 | 7.3 (Debian kernels, downloaded once and cached),
                  host (this machine's /boot image), or a path to a kernel image or unpacked package
                  (default: host)
  --cpus N        guest CPUs (default 2)
  --memory SIZE   guest memory, e.g. 2G or 1536M (default 2G)
  --timeout S     kill the guest after S seconds, exit 124 (default 600; 0 = never)
  --env NAME=VAL  set a variable for COMMAND (repeatable; COMMAND gets PATH, HOME, TERM, BPFKIT_*, CI and these)
  --accel A       tcg (default, works everywhere) or kvm (BPFKIT_VM_ACCEL)
  --offline       never download; fail if the kernel is not cached
  --fetch         only download and prepare the kernel (no COMMAND needed)
Exit status: COMMAND's, 124 on timeout, 125 if the guest died (panic, failed boot), 2 on bad usage.
`;

interface Parsed {
  kernel: string;
  cpus?: number;
  memory?: string;
  timeoutSeconds?: number;
  accel?: 'tcg' | 'kvm';
  env: Record<string, string>;
  offline: boolean;
  fetchOnly: boolean;
  command: string[];
}

class UsageError extends Error {}

function parse(args: readonly string[]): Parsed | 'help' {
  const p: Parsed = { kernel: 'host', env: {}, offline: false, fetchOnly: false, command: [] };
  let i = 0;
  const value = (flag: string): string => {
    const v = args[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const int = (flag: string, min: number): number => {
    const v = value(flag);
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      p.command = args.slice(i + 1);
      break;
    }
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '--kernel':
        p.kernel = value(a);
        break;
      case '--cpus':
        p.cpus = int(a, 1);
        break;
      case '--memory':
        p.memory = value(a);
        break;
      case '--timeout':
        p.timeoutSeconds = int(a, 0);
        break;
      case '--accel': {
        const v = value(a);
        if (v !== 'tcg' && v !== 'kvm') throw new UsageError(`--accel must be tcg or kvm, got '${v}'`);
        p.accel = v;
        break;
      }
      case '--env': {
        const v = value(a);
        const eq = v.indexOf('=');
        if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got '${v}'`);
        p.env[v.slice(0, eq)] = v.slice(eq + 1);
        break;
      }
      case '--offline':
        p.offline = true;
        break;
      case '--fetch':
        p.fetchOnly = true;
        break;
      default:
        throw new UsageError(a.startsWith('-') ? `unknown option '${a}'` : `put '--' before the command ('${a}')`);
    }
  }
  if (!p.fetchOnly && p.command.length === 0) throw new UsageError('no COMMAND after --');
  return p;
}

/** The host variables a command in the guest gets by default: bpfkit's own and CI's. */
function passedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (k.startsWith('BPFKIT_') || k === 'CI')) env[k] = v;
  delete env.BPFKIT_CACHE_DIR;
  return env;
}

/** Runs the `vm` verb with its arguments (after `vm`); resolves to the process exit status. */
export async function vmMain(args: readonly string[]): Promise<number> {
  let p: Parsed | 'help';
  try {
    p = parse(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bpfkit vm: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (p === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    if (p.fetchOnly) {
      const k = resolveKernel(p.kernel, { offline: p.offline });
      process.stdout.write(`${k.release} ${k.dir}\n`);
      if (p.command.length === 0) return 0;
    }
    const r = await runInVm({
      kernel: p.kernel,
      command: p.command,
      cpus: p.cpus,
      memory: p.memory,
      timeoutSeconds: p.timeoutSeconds,
      accel: p.accel,
      env: { ...passedEnv(), ...p.env },
      offline: p.offline,
      collect: false,
      onStdout: (b) => process.stdout.write(b),
      onStderr: (b) => process.stderr.write(b),
      signal: abort.signal,
    });
    if (r.failure === 'timeout') process.stderr.write(`bpfkit vm: timed out after ${p.timeoutSeconds ?? 600} s; the guest was killed\n`);
    else if (r.failure === 'guest-died') {
      process.stderr.write(`bpfkit vm: the guest (${r.kernelRelease}) died before COMMAND finished; its console ended with:\n`);
      process.stderr.write(r.console.split('\n').slice(-40).join('\n') + '\n');
    } else if (r.failure === 'aborted') process.stderr.write('bpfkit vm: interrupted; the guest was killed\n');
    else if (r.failure === 'kvm-unusable') {
      process.stderr.write(`bpfkit vm: KVM cannot run this guest here (QEMU: ${kvmFailure(r.console)}); use --accel tcg (the default), which boots it in software\n`);
    }
    return r.exitCode;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    // A kernel series there is none of (debian.ts) is bad usage, as --help says; anything else kept the
    // guest from running.
    return e instanceof RangeError ? 2 : EXIT_GUEST_DIED;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
