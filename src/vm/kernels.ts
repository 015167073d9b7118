// Resolves `--kernel` (a series such as 6.1, `host`, or a path) to a kernel prepared for booting: an
// uncompressed vmlinux and the guest's modules, cached per user under <cache>/kernels/RELEASE. Series
// come from Debian's packages (downloaded and unpacked, never installed on the host).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { release as hostRelease } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { bpfkitCacheDir, stderrProgress, type Progress } from './cache-dir.js';
import { downloadKernelPackages, knownSeries } from './debian.js';
import { runTool } from './exec.js';
import { collectGuestModules } from './modules.js';
import { extractVmlinux, isElf } from './vmlinux.js';

export interface PreparedKernel {
  /** uname -r of the guest (e.g. 6.1.0-57-amd64). */
  release: string;
  /** The cache directory holding `vmlinux` and `modules/` (with `modules/order`). */
  dir: string;
  vmlinux: string;
  modulesDir: string;
  /** Where it came from (a Debian package, a path). */
  origin: string;
}

export interface ResolveOptions {
  cacheDir?: string;
  progress?: Progress;
  /** Fetch the suite's package lists again, so a newer kernel package of the series is used. */
  refresh?: boolean;
  /** Only use the cache: throw instead of downloading. */
  offline?: boolean;
}

const SERIES = /^\d+\.\d+$/;

function kernelsDir(cacheDir: string): string {
  return join(cacheDir, 'kernels');
}

function loadPrepared(dir: string): PreparedKernel | undefined {
  const meta = join(dir, 'kernel.json');
  if (!existsSync(meta)) return undefined;
  const m = JSON.parse(readFileSync(meta, 'utf8')) as { release: string; origin: string };
  return { release: m.release, origin: m.origin, dir, vmlinux: join(dir, 'vmlinux'), modulesDir: join(dir, 'modules') };
}

/**
 * Prepares `image` (+ its modules directory, if any) into `finalDir`: staged in a temporary directory
 * beside it and renamed into place, so a concurrent or interrupted preparation never leaves half a kernel.
 */
function prepare(image: string, modulesDir: string | undefined, release: string, origin: string, finalDir: string, progress: Progress): PreparedKernel {
  progress(`preparing kernel ${release} (vmlinux, guest modules)`);
  mkdirSync(dirname(finalDir), { recursive: true });
  const stage = mkdtempSync(`${finalDir}.tmp-`);
  try {
    extractVmlinux(image, join(stage, 'vmlinux'));
    mkdirSync(join(stage, 'modules'));
    if (modulesDir) collectGuestModules(modulesDir, release, join(stage, 'modules'));
    else writeFileSync(join(stage, 'modules', 'order'), ''); // a kernel with 9p, virtio and overlayfs built in
    writeFileSync(join(stage, 'kernel.json'), JSON.stringify({ release, origin }) + '\n');
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(stage, finalDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return loadPrepared(finalDir)!;
}

/**
 * The image and modules inside an unpacked kernel package: boot/vmlinuz-RELEASE and lib/modules/RELEASE
 * (or usr/lib/modules), or, since Debian's 7.x packages, usr/lib/modules/RELEASE/vmlinuz.
 */
function findInTree(tree: string): { image: string; release: string; modulesDir: string | undefined } {
  const found: Array<{ image: string; release: string }> = [];
  const boot = join(tree, 'boot');
  if (existsSync(boot)) {
    for (const f of readdirSync(boot)) if (/^vmlinu[xz]-/.test(f)) found.push({ image: join(boot, f), release: f.replace(/^vmlinu[xz]-/, '') });
  }
  for (const base of ['lib/modules', 'usr/lib/modules']) {
    const dir = join(tree, base);
    if (!existsSync(dir)) continue;
    for (const rel of readdirSync(dir)) if (existsSync(join(dir, rel, 'vmlinuz'))) found.push({ image: join(dir, rel, 'vmlinuz'), release: rel });
  }
  if (found.length !== 1) throw new Error(`bpfkit vm: ${tree} should hold exactly one kernel image (boot/vmlinuz-RELEASE or usr/lib/modules/RELEASE/vmlinuz); found ${found.length}`);
  const { image, release } = found[0]!;
  const modulesDir = [join(tree, 'lib/modules', release), join(tree, 'usr/lib/modules', release)].find((d) => existsSync(join(d, 'kernel')));
  return { image, release, modulesDir };
}

/** The version string a bzImage carries (boot protocol: kernel_version at 0x20e, offset from 0x200). */
function bzImageRelease(image: string): string | undefined {
  const b = readFileSync(image);
  if (isElf(b) || b.length < 0x210 || b.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const at = b.readUInt16LE(0x20e) + 0x200;
  return b.toString('latin1', at, b.indexOf(0, at)).split(' ')[0];
}

function fromDebian(series: string, cacheDir: string, o: ResolveOptions, progress: Progress): PreparedKernel {
  knownSeries(series);
  const alias = join(kernelsDir(cacheDir), `series-${series}`);
  if (!o.refresh && existsSync(alias)) {
    const k = loadPrepared(join(kernelsDir(cacheDir), readFileSync(alias, 'utf8').trim()));
    if (k) return k;
  }
  if (o.offline) throw new Error(`bpfkit vm: kernel ${series} is not in the cache (${kernelsDir(cacheDir)}) and downloading is off`);
  mkdirSync(kernelsDir(cacheDir), { recursive: true });
  const work = mkdtempSync(join(kernelsDir(cacheDir), `download-${series}-`));
  try {
    const debs = downloadKernelPackages(cacheDir, series, work, progress, o.refresh);
    const tree = join(work, 'tree');
    for (const deb of debs) {
      progress(`unpacking ${basename(deb)}`);
      runTool('dpkg-deb', ['-x', deb, tree]);
    }
    const t = findInTree(tree);
    const dir = join(kernelsDir(cacheDir), t.release);
    const k = loadPrepared(dir) ?? prepare(t.image, t.modulesDir, t.release, `Debian ${debs.map((d) => basename(d)).join(' + ')}`, dir, progress);
    writeFileSync(`${alias}.${process.pid}.tmp`, `${t.release}\n`);
    renameSync(`${alias}.${process.pid}.tmp`, alias);
    return k;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function fromPath(path: string, cacheDir: string, progress: Progress): PreparedKernel {
  const abs = resolve(path);
  const st = statSync(abs);
  let image: string, release: string | undefined, modulesDir: string | undefined;
  if (st.isDirectory()) {
    ({ image, release, modulesDir } = findInTree(abs));
  } else {
    image = abs;
    release = bzImageRelease(abs) ?? basename(abs).replace(/^vmlinu[xz]-?/, '');
    modulesDir = [join(dirname(abs), '..', 'lib/modules', release), join('/lib/modules', release)].find((d) => release && existsSync(join(d, 'modules.dep')));
  }
  if (!release) throw new Error(`bpfkit vm: cannot tell the release of ${abs}; name it vmlinuz-RELEASE`);
  const stamp = statSync(image);
  const key = createHash('sha256').update(`${image}\0${stamp.size}\0${stamp.mtimeMs}\0${modulesDir ?? ''}`).digest('hex').slice(0, 12);
  const dir = join(kernelsDir(cacheDir), `${release}-local-${key}`);
  return loadPrepared(dir) ?? prepare(image, modulesDir, release, abs, dir, progress);
}

/** `6.1`, `6.12`, `7.2` (Debian), `host` (this machine's own image, if it has one), or a path. */
export function resolveKernel(spec: string, o: ResolveOptions = {}): PreparedKernel {
  const cacheDir = o.cacheDir ?? bpfkitCacheDir();
  const progress = o.progress ?? stderrProgress;
  if (spec === 'host') {
    const rel = hostRelease();
    const image = [`/boot/vmlinuz-${rel}`, `/boot/vmlinux-${rel}`].find((p) => existsSync(p));
    if (!image) throw new Error(`bpfkit vm: the host kernel ${rel} has no image in /boot to boot in a VM`);
    return fromPath(image, cacheDir, progress);
  }
  if (SERIES.test(spec)) return fromDebian(spec, cacheDir, o, progress);
  if (existsSync(spec)) return fromPath(spec, cacheDir, progress);
  throw new RangeError(`bpfkit vm: --kernel '${spec}' is neither a kernel series (6.1, 6.12, 7.2, ...), 'host', nor an existing path`);
}
