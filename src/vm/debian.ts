// Debian kernel packages through a private APT configuration: bpfkit's own sources list and state
// directory under the cache, so any suite (bookworm, bookworm-security, sid, ...) can be used without
// touching the host's apt configuration. Packages are downloaded (`apt-get download`), never installed.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './exec.js';
import type { Progress } from './cache-dir.js';

/** A kernel series and the Debian suites that ship it (these were measured to carry it). */
export interface KernelSeries {
  series: string;
  suites: ReadonlyArray<{ archive: 'debian' | 'debian-security'; suite: string }>;
}

export const KERNEL_SERIES: readonly KernelSeries[] = [
  { series: '5.10', suites: [{ archive: 'debian-security', suite: 'bullseye-security' }] },
  // bookworm's point releases lag its security suite by a few ABI bumps.
  { series: '6.1', suites: [{ archive: 'debian', suite: 'bookworm' }, { archive: 'debian-security', suite: 'bookworm-security' }] },
  { series: '6.12', suites: [{ archive: 'debian-security', suite: 'bookworm-security' }] },
  { series: '7.2', suites: [{ archive: 'debian', suite: 'sid' }] },
  { series: '7.3', suites: [{ archive: 'debian', suite: 'trixie-backports' }] },
];

const suiteNames = (s: KernelSeries) => s.suites.map((x) => x.suite).join(' + ');

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

function mirror(archive: 'debian' | 'debian-security'): string {
  const base = process.env.BPFKIT_DEBIAN_MIRROR ?? 'http://deb.debian.org';
  return `${base}/${archive}`;
}

/** Writes the private apt tree for a series and returns its APT_CONFIG file. */
function aptConfig(cacheDir: string, s: KernelSeries): string {
  const dir = join(cacheDir, 'apt', s.series);
  const conf = join(dir, 'apt.conf');
  for (const d of ['state/lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  if (!existsSync(join(dir, 'state/status'))) writeFileSync(join(dir, 'state/status'), '');
  const signedBy = existsSync(KEYRING) ? ` [signed-by=${KEYRING}]` : '';
  writeFileSync(join(dir, 'sources.list'), s.suites.map((x) => `deb${signedBy} ${mirror(x.archive)} ${x.suite} main\n`).join(''));
  writeFileSync(
    conf,
    [
      `Dir::State "${dir}/state";`,
      `Dir::State::status "${dir}/state/status";`,
      `Dir::Cache "${dir}/cache";`,
      `Dir::Etc::SourceList "${dir}/sources.list";`,
      `Dir::Etc::SourceParts "${dir}/sources.list.d";`,
      `Dir::Etc::PreferencesParts "${dir}/preferences.d";`,
      'Acquire::Languages "none";',
      'APT::Architecture "amd64";',
      'APT::Sandbox::User "root";',
      '',
    ].join('\n'),
  );
  return conf;
}

function hasLists(cacheDir: string, s: KernelSeries): boolean {
  const lists = join(cacheDir, 'apt', s.series, 'state', 'lists');
  return existsSync(lists) && readdirSync(lists).some((f) => f.includes('_Packages'));
}

/** The generic amd64 kernel image packages for a series, oldest first (unsigned preferred: same files). */
function imagePackages(env: NodeJS.ProcessEnv, series: string): string[] {
  const names = runTool('apt-cache', ['pkgnames', `linux-image-${series}`], { env }).toString().split('\n');
  // 6.1.0-57-amd64, 6.12.117+deb12-amd64, 7.2.13+deb14-amd64 (sid has only the signed package). Not
  // cloud (no 9p), rt or dbg.
  const re = new RegExp(`^linux-image-${series.replace('.', '\\.')}[.-][0-9][^ ]*-amd64(-unsigned)?$`);
  const found = names.filter((n) => re.test(n) && !/-(cloud|rt)-amd64/.test(n));
  const key = (n: string) => n.replace(/-unsigned$/, '');
  const byRelease = new Map<string, string>();
  for (const n of found) if (!byRelease.has(key(n)) || n.endsWith('-unsigned')) byRelease.set(key(n), n);
  return [...byRelease.values()].sort((a, b) => key(a).localeCompare(key(b), 'en', { numeric: true }));
}

function download(env: NodeJS.ProcessEnv, pkg: string, intoDir: string): string {
  runTool('apt-get', ['-q', 'download', pkg], { env, cwd: intoDir });
  const deb = readdirSync(intoDir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`bpfkit vm: apt-get download ${pkg} left no .deb in ${intoDir}`);
  return join(intoDir, deb);
}

/** The series bpfkit vm knows (a RangeError naming them for any other: bad usage, checked before the cache). */
export function knownSeries(series: string): (typeof KERNEL_SERIES)[number] {
  const s = KERNEL_SERIES.find((k) => k.series === series);
  if (!s) throw new RangeError(`bpfkit vm: unknown kernel series '${series}' (known: ${KERNEL_SERIES.map((k) => k.series).join(', ')}, or a path)`);
  return s;
}

/**
 * Downloads the newest generic kernel image package of a series into `intoDir` and returns its .deb
 * paths. The series' package lists are fetched on first use (or when `refresh` is set). Since 7.x,
 * Debian's linux-image-RELEASE is a shell depending on linux-binary-RELEASE (the vmlinuz) and
 * linux-modules-RELEASE: those are downloaded too.
 */
export function downloadKernelPackages(cacheDir: string, series: string, intoDir: string, progress: Progress, refresh = false): string[] {
  const s = knownSeries(series);
  const env = { ...process.env, APT_CONFIG: aptConfig(cacheDir, s) };
  if (refresh || !hasLists(cacheDir, s)) {
    progress(`fetching the package lists of Debian ${suiteNames(s)}`);
    runTool('apt-get', ['-q', 'update'], { env });
  }
  const pkg = imagePackages(env, series).at(-1);
  if (!pkg) throw new Error(`bpfkit vm: Debian ${suiteNames(s)} has no generic linux-image-${series}.* package`);
  progress(`downloading ${pkg} from Debian ${suiteNames(s)}`);
  mkdirSync(intoDir, { recursive: true });
  const debs = [download(env, pkg, intoDir)];
  const depends = runTool('dpkg-deb', ['-f', debs[0]!, 'Depends']).toString();
  const release = pkg.replace(/^linux-image-/, '').replace(/-unsigned$/, '');
  for (const part of ['binary', 'modules']) {
    const dep = depends.split(/[,|]/).map((d) => d.trim().split(/\s/)[0]!).find((d) => d === `linux-${part}-${release}`);
    if (!dep) continue;
    progress(`downloading ${dep}`);
    debs.push(download(env, dep, intoDir));
  }
  return debs;
}
