// Which engine runs an operation, and saying so: the default choice, the one-time notice when it falls to
// the emulator on Linux, engineStatus(), and the "why not the kernel" words that errors carry.
import { existsSync } from 'node:fs';
import type { Engine } from './seam/engine.js';
import { getEmulator } from './emulator/index.js';
import type { Syscall } from './uapi/bpf.js';
import { ENOTSUPP } from './uapi/errno.js';
import { BpfError, describeValue } from './errors/errors.js';
import { addonPath, loadAddon } from './kernel/binding.js';
import { getKernelEngine, kernelUnavailableReasons } from './kernel/engine.js';

/** `engine:` on every constructor: a name, or an engine instance (e.g. `new Emulator({ possibleCpus: 4 })`). */
export type EngineOption = 'kernel' | 'emulator' | Engine;

export interface EngineStatus {
  /** The engine an operation without an `engine` option uses. */
  engine: 'kernel' | 'emulator';
  /** What decided it: BPFKIT_ENGINE, or the default rule (the kernel where it works, else the emulator). */
  chosenBy: 'BPFKIT_ENGINE' | 'default';
  kernel: {
    available: boolean;
    /** Why the kernel engine cannot work here (empty when it can). */
    reasons: string[];
    /** What to run to make it work (empty when it works, or when nothing can: not Linux). */
    remedies: string[];
  };
}

/**
 * Which engine the default would choose here and why, without creating anything but the kernel probe's
 * 1-entry map (once per process).
 */
export function engineStatus(): EngineStatus {
  const reasons = kernelReasons();
  const env = envEngine();
  return {
    engine: env ?? (reasons.length === 0 ? 'kernel' : 'emulator'),
    chosenBy: env ? 'BPFKIT_ENGINE' : 'default',
    kernel: { available: reasons.length === 0, reasons, remedies: remediesFor(reasons) },
  };
}

/**
 * The engine for an operation. Without an explicit choice: BPFKIT_ENGINE, else the kernel where the
 * addon loads and bpf() is permitted, else the emulator (saying so once on stderr on Linux, where the
 * kernel was expected). An explicit 'kernel' that cannot work throws one error listing every reason and
 * what to run; it never falls back silently. `operation` names the caller in a TypeError for anything
 * that is not an engine.
 */
export function resolveEngine(option?: EngineOption, operation = 'resolveEngine'): Engine {
  if (option === undefined) {
    const env = envEngine();
    if (env) return byName(env, 'BPFKIT_ENGINE=kernel');
    const reasons = kernelReasons();
    if (reasons.length === 0) return byName('kernel', '');
    noticeOnce(reasons);
    return getEmulator();
  }
  if (option === 'kernel' || option === 'emulator') return byName(option, "engine: 'kernel'");
  if (option !== null && typeof option === 'object' && isEngine(option)) return option;
  throw new TypeError(`${operation}: engine must be 'kernel', 'emulator' or an Engine (such as new Emulator()), got ${describeValue(option)}`);
}

/**
 * For an error that an emulator cannot answer as the kernel would (ENOTSUPP, no fds, ...): why this
 * operation ran on the emulator. Undefined for kernel engines.
 */
export function whyEmulator(engine: Engine): string | undefined {
  if (engine.kind !== 'emulator') return undefined;
  if (envEngine() === 'emulator') return 'the emulator engine was chosen by BPFKIT_ENGINE=emulator';
  const reasons = kernelReasons();
  if (reasons.length === 0) return "the emulator engine was chosen by the engine option (the kernel engine works here: engine: 'kernel')";
  return `the emulator engine runs this because the kernel engine is unavailable: ${reasons.join('; ')}${remedyText(reasons)}`;
}

/** `detail`, then why this engine runs the operation when it is the emulator (`detail (why)`). */
export function withEngineReason(detail: string | undefined, engine: Engine): string | undefined {
  const why = whyEmulator(engine);
  if (why === undefined) return detail;
  return detail ? `${detail} (${why})` : why;
}

/**
 * What `engine` cannot do, said one way everywhere: "the emulator engine has no file descriptors (the
 * emulator engine runs this because ...)". Asked of a call (`syscall`), it is the call's failure: BpfError
 * ENOTSUPP. Asked of an argument or accessor (`operation`, e.g. "fd of map 'x'"), nothing was attempted:
 * a TypeError starting with the operation.
 */
export function unsupportedOn(engine: Engine, cannot: string, at: { syscall: Syscall; subject?: string; path?: string }): BpfError;
export function unsupportedOn(engine: Engine, cannot: string, at: { operation: string }): TypeError;
export function unsupportedOn(
  engine: Engine,
  cannot: string,
  at: { syscall: Syscall; subject?: string; path?: string } | { operation: string },
): BpfError | TypeError {
  const detail = withEngineReason(`the ${engine.kind} engine ${cannot}`, engine)!;
  if ('operation' in at) return new TypeError(`${at.operation}: ${detail}`);
  const { syscall, ...info } = at;
  return new BpfError(syscall, ENOTSUPP, { ...info, detail });
}

function byName(name: 'kernel' | 'emulator', askedBy: string): Engine {
  if (name === 'emulator') return getEmulator();
  const reasons = kernelReasons();
  if (reasons.length > 0) {
    // A TypeError, as Node's ERR_FEATURE_UNAVAILABLE_ON_PLATFORM: the option names what this host lacks.
    throw new TypeError(`bpfkit: the kernel engine is unavailable (${askedBy} asked for it): ${reasons.join('; ')}${remedyText(reasons)}`);
  }
  return getKernelEngine();
}

/** The Engine seam's shape (src/seam/engine.ts), checked without calling anything. */
function isEngine(e: object): e is Engine {
  const x = e as Partial<Record<keyof Engine, unknown>>;
  return (
    (x.kind === 'kernel' || x.kind === 'emulator') &&
    typeof x.possibleCpus === 'function' &&
    typeof x.createMap === 'function' &&
    typeof x.openPinned === 'function' &&
    typeof x.openMapById === 'function'
  );
}

function envEngine(): 'kernel' | 'emulator' | undefined {
  const env = process.env.BPFKIT_ENGINE;
  if (env === undefined || env === '') return undefined;
  if (env !== 'kernel' && env !== 'emulator') throw new TypeError(`BPFKIT_ENGINE must be 'kernel' or 'emulator', got '${env}'`);
  return env;
}

// ---- why the kernel is unavailable, and what a package user runs about it ----

export interface KernelProbe {
  platform: NodeJS.Platform;
  /** kernel/engine.ts kernelUnavailableReasons(): the platform, the addon, and a bpf() probe. */
  reasons(): string[];
  /** Whether the addon file exists (a missing file means it was never built, not that it broke). */
  addonBuilt(): boolean;
}

const realProbe: KernelProbe = {
  platform: process.platform,
  reasons: kernelUnavailableReasons,
  addonBuilt: () => existsSync(addonPath),
};
let probe: KernelProbe = realProbe;
let noticed = false;

/**
 * Tests only: replaces how the kernel's availability is learnt (undefined restores the real probe) and
 * re-arms the once-per-process notice. The real kernel engine is untouched.
 */
export function setKernelProbeForTesting(p: KernelProbe | undefined): void {
  probe = p ?? realProbe;
  noticed = false;
}

/** The reason a package user can act on: "not built" says which file, without a repository's make target. */
function kernelReasons(): string[] {
  const reasons = probe.reasons();
  if (probe !== realProbe || probe.platform !== 'linux' || probe.addonBuilt()) return reasons;
  const bindingError = loadAddon();
  const notBuilt = `the native addon is not built (${addonPath} is missing)`;
  return reasons.map((r) => (bindingError instanceof Error && r === bindingError.message ? notBuilt : r));
}

type ReasonKind = 'platform' | 'addon-missing' | 'addon-broken' | 'permission' | 'other';

function classify(reason: string): ReasonKind {
  if (/^not Linux/.test(reason)) return 'platform';
  if (/addon (is )?not built|addon.*missing/.test(reason)) return 'addon-missing';
  if (/addon/.test(reason)) return 'addon-broken';
  if (/EPERM|not permitted|CAP_BPF/.test(reason)) return 'permission';
  return 'other';
}

const aptLine = 'sudo apt-get install libbpf-dev libelf-dev zlib1g-dev pkg-config g++ make python3';

/** What to run for each kind of reason, in the order a user would do it. */
export function remediesFor(reasons: readonly string[]): string[] {
  const kinds = new Set(reasons.map(classify));
  const out: string[] = [];
  if (kinds.has('addon-missing') || kinds.has('addon-broken')) {
    out.push(
      `build the addon: install libbpf and libelf (Debian/Ubuntu: ${aptLine}), then run \`npm rebuild bpfkit --foreground-scripts\` ` +
        "(its install script must be allowed to run: npm's allowScripts in .npmrc/package.json, `pnpm approve-builds` on pnpm; " +
        '`--ignore-scripts` skips it; in a bpfkit checkout, `make setup`)',
    );
  }
  if (kinds.has('permission')) {
    out.push('run as root, or give node CAP_BPF and CAP_PERFMON (+CAP_NET_ADMIN for networking programs), e.g. `sudo setcap cap_bpf,cap_perfmon,cap_net_admin+ep "$(command -v node)"`');
  }
  if (kinds.has('other')) out.push('check `bpfkit doctor` for what this kernel allows');
  return out;
}

function remedyText(reasons: readonly string[]): string {
  const r = remediesFor(reasons);
  return r.length === 0 ? '' : `. To use the kernel: ${r.join('; ')}`;
}

/**
 * One stderr line per process when the default falls to the emulator on Linux, where a user with a
 * working BPF kernel would otherwise get process-local maps and a virtual bpffs without knowing. Not
 * printed when the choice was explicit (an `engine` option or BPFKIT_ENGINE), nor off Linux, where the
 * emulator is the only engine.
 */
function noticeOnce(reasons: readonly string[]): void {
  if (noticed || probe.platform !== 'linux') return;
  noticed = true;
  process.stderr.write(
    `bpfkit: using the emulator engine, not the kernel: ${reasons.join('; ')}. Its maps, programs and pins live only in this process` +
      `${remedyText(reasons)}. Choosing an engine (BPFKIT_ENGINE=emulator, or engine: 'emulator') silences this notice.\n`,
  );
}
