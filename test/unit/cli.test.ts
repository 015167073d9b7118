// The bpfkit command's verbs (doctor, map dump, verify, include-dir, gen vmlinux), called through main() as bin/bpfkit.mjs calls it.
import { expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { createMap, engineStatus, features, lpmKey, openObject, u32, u64 } from '../../src/index.js';
import { packageRoot } from '../../src/package-root.js';
import { testUnless } from '../helpers/skip.js';
import { bpfkitCacheDir } from '../../src/vm/cache-dir.js';
import { mountBpffs } from '../helpers/bpffs.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { captureOutput } from '../helpers/captured-output.js';

const output = captureOutput();
const text = (stream: 'out' | 'err'): string => output[stream]();

test('doctor prints a table of checks and exits 0 exactly when the kernel engine works', async () => {
  const code = await main(['doctor']);
  const table = text('out');
  expect(code).toBe(engineStatus().kernel.available ? 0 : 1);
  expect(table).toMatch(/^check\s+status\s+detail\n/);
  for (const check of ['node', 'platform', 'native addon', 'kernel release', 'capabilities', 'bpf()', 'bpffs', 'BTF', 'default engine']) {
    expect(table).toMatch(new RegExp(`^${check.replace(/[()]/g, '\\$&')}\\s+(ok|FAIL|warn|-)\\s`, 'm'));
  }
  expect(table).toContain(`default engine`);
  if (engineStatus().kernel.available) expect(table).toMatch(/^map type lru_percpu_hash\s+ok/m);
  // The default follows BPFKIT_ENGINE when it is set (BPFKIT_ENGINE=emulator make test), else the kernel here.
  expect(table).toMatch(new RegExp(`^default engine\\s+\\S+\\s+${engineStatus().engine} \\(`, 'm'));
  expect(await main(['doctor', 'extra'])).toBe(2);
});

test('vm with a kernel series there is none of exits 2 (bad usage), naming the known ones', async () => {
  const code = await main(['vm', '--kernel', '6.13', '--offline', '--', 'true']);
  expect(code).toBe(2);
  expect(text('err')).toMatch(/unknown kernel series '6\.13' \(known: .*6\.1, 6\.12/);
});

test('unknown verbs and malformed map arguments exit 2 with the usage', async () => {
  expect(await main(['frobnicate'])).toBe(2);
  expect(await main(['map'])).toBe(2);
  expect(await main(['map', 'dump'])).toBe(2);
  expect(await main(['map', 'dump', '--id', 'x'])).toBe(2);
  expect(text('err')).toContain('usage: bpfkit map dump [--raw] PIN_PATH | --id N');
  expect(await main(['--help'])).toBe(0);
  expect(text('out')).toContain('doctor');
});

const skip = kernelSkipReason();
if (skip) console.log(`skipped: bpfkit map dump [kernel]: ${skip}`);
test.skipIf(skip !== undefined)('map list and prog list show the kernel\'s maps and programs as bpftool does: id, type, name, sizes, tag', async () => {
  using obj = openObject(join(packageRoot(), 'build', 'bpf', 'spin_lock.bpf.o'), { engine: 'kernel' });
  const progs = Object.keys(obj.programs).map((name) => obj.program(name).id);
  const maps = Object.keys(obj.maps).map((name) => {
    using m = obj.map(name);
    return m.info.id;
  });
  expect(await main(['prog', 'list'])).toBe(0);
  const progText = text('out');
  expect(await main(['map', 'list'])).toBe(0);
  const mapText = text('out').slice(progText.length);
  // bpftool is the oracle: its JSON for the same ids.
  const bpftool = (what: string, id: number): Record<string, unknown> => JSON.parse(execFileSync('bpftool', ['-j', what, 'show', 'id', String(id)]).toString());
  for (const id of progs) {
    const b = bpftool('prog', id);
    // The kernel keeps 15 characters of a name (bpftool takes the whole one from BTF).
    expect(progText).toContain(`${id}: ${b.type}  name ${String(b.name).slice(0, 15)}  tag ${b.tag}\n`);
  }
  for (const id of maps) {
    const b = bpftool('map', id);
    expect(mapText).toContain(`${id}: ${b.type}  name ${b.name}  flags 0x${Number(b.flags).toString(16)}\n\tkey ${b.bytes_key}B  value ${b.bytes_value}B  max_entries ${b.max_entries}`);
  }
  expect(progs.length).toBe(3);
  expect(await main(['prog', 'list', 'extra'])).toBe(2);
  expect(await main(['prog'])).toBe(2);
});

test.skipIf(skip !== undefined)('map dump decodes a map with BTF into JSON as bpftool does; --raw prints its bytes', async () => {
  using obj = openObject(join(packageRoot(), 'build', 'bpf', 'spin_lock.bpf.o'), { engine: 'kernel' });
  obj.program('spin_hash').run({ data: new Uint8Array(64), repeat: 3 });
  using counter = obj.map('hash_counter');
  const id = counter.info.id;
  expect(await main(['map', 'dump', '--id', String(id)])).toBe(0);
  const [head, ...json] = text('out').split('\n');
  expect(head).toBe(`map ${id}: hash name hash_counter key 4B value 16B max_entries 1`);
  const ours = JSON.parse(json.join('\n')) as { key: number; value: { lock: number; count: number } }[];
  // bpftool is the oracle; it shows a lock as { val }, bpfkit's codecs as the number userspace reads (0).
  const theirs = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(id)]).toString()) as { formatted: { key: number; value: { lock: { val: number }; count: number } } }[];
  expect(ours).toEqual(theirs.map((e) => ({ key: e.formatted.key, value: { lock: e.formatted.value.lock.val, count: e.formatted.value.count } })));
  expect(ours).toEqual([{ key: 0, value: { lock: 0, count: 3 } }]);
  output.clear();
  expect(await main(['map', 'dump', '--raw', '--id', String(id)])).toBe(0);
  expect(text('out')).toContain('key: 00 00 00 00  value: 00 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00\nFound 1 element\n');
});

test.skipIf(skip !== undefined)('map dump prints a pinned map and a map by id as bpftool does; a missing pin exits 1 with the hint', async () => {
  const fs = mountBpffs();
  try {
    using counts = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, name: 'dump_me', engine: 'kernel' });
    counts.set(1, 0x2an);
    counts.set(2, 7n);
    counts.pin(`${fs.dir}/counts`);
    expect(await main(['map', 'dump', `${fs.dir}/counts`])).toBe(0);
    const dump = text('out');
    expect(dump).toContain(`map ${counts.info.id}: hash name dump_me key 4B value 8B max_entries 4`);
    expect(dump).toContain('key: 01 00 00 00  value: 2a 00 00 00 00 00 00 00');
    expect(dump).toContain('key: 02 00 00 00  value: 07 00 00 00 00 00 00 00');
    expect(dump).toContain('Found 2 elements');

    using perCpu = createMap({ type: 'percpu_array', key: u32, value: u32, maxEntries: 1, engine: 'kernel' });
    perCpu.set(0, Array.from({ length: perCpu.cpus }, (_, cpu) => cpu + 1));
    output.clear();
    expect(await main(['map', 'dump', '--id', String(perCpu.info.id)])).toBe(0);
    expect(text('out')).toContain('key: 00 00 00 00\n  value (CPU 00): 01 00 00 00\n');
    expect(text('out')).toContain('Found 1 element\n');

    using trie = createMap({ type: 'lpm_trie', key: lpmKey(4), value: u32, maxEntries: 4, engine: 'kernel' });
    trie.set({ prefixlen: 8, data: new Uint8Array([10, 0, 0, 0]) }, 8);
    trie.set({ prefixlen: 24, data: new Uint8Array([10, 1, 2, 0]) }, 24);
    output.clear();
    expect(await main(['map', 'dump', '--id', String(trie.info.id)])).toBe(0);
    // get_next_key's postorder: the /24 before the /8 that covers it.
    expect(text('out')).toContain(`lpm_trie name (none) key 8B value 4B max_entries 4\nprefix: 0a 01 02 00/24  value: 18 00 00 00\nprefix: 0a 00 00 00/8  value: 08 00 00 00\nFound 2 elements\n`);

    using stack = createMap({ type: 'stack', value: u32, maxEntries: 2, engine: 'kernel' });
    output.clear();
    expect(await main(['map', 'dump', '--id', String(stack.info.id)])).toBe(0);
    expect(text('out')).toContain(`map ${stack.info.id}: stack name (none) key 0B value 4B max_entries 2\nempty\n`);
    stack.push(5);
    stack.push(6);
    output.clear();
    expect(await main(['map', 'dump', '--id', String(stack.info.id)])).toBe(0);
    expect(text('out')).toContain('next (peek): 06 00 00 00\n');
    expect(stack.pop()).toBe(6); // the dump took nothing

    expect(await main(['map', 'dump', `${fs.dir}/missing`])).toBe(1);
    // On a mounted bpffs the pin is what is missing, not the filesystem.
    expect(text('err')).toMatch(/BPF_OBJ_GET on .*missing failed: ENOENT .*nothing is pinned at .*missing \(its directory is on a bpf filesystem\)/);
  } finally {
    fs.cleanup();
  }
});

test('verify prints each program\'s verdict per engine and exits 1 when one is refused', async () => {
  const { fixture } = await import('../kernel/bpf-fixtures.js');
  // reject_lock_access reads its map's bpf_spin_lock field directly: both engines refuse it, in the same words.
  expect(await main(['verify', fixture('reject_lock_access')])).toBe(1);
  const refused = text('out');
  const version = engineStatus().kernel.available ? features.emulatorKernelVersion() : '6.18';
  expect(refused).toMatch(new RegExp(`^program\\s+emulator ${version.replace('.', '\\.')}\\s`, 'm'));
  const row = refused.split('\n').find((l) => l.startsWith('lock_access'))!;
  expect(row).toMatch(/refused \(EACCES\): bpf_spin_lock cannot be accessed directly by load\/store/);
  if (engineStatus().kernel.available) expect(row.match(/cannot be accessed directly/g)).toHaveLength(2);
  output.clear();
  expect(await main(['verify', fixture('spin_lock'), '--program', 'spin_array', '--kernel-version', '6.1'])).toBe(0);
  expect(text('out')).toMatch(/^spin_array\s+loaded \(\d+ insns, \d+ states\)(\s+loaded \(\d+ insns, \d+ states\))?$/m);
  expect(text('out')).toMatch(/emulator 6\.1/);
  expect(await main(['verify', fixture('spin_lock'), '--program', 'nope'])).toBe(1);
  expect(text('err')).toMatch(/no program 'nope'/);
  expect(await main(['verify'])).toBe(2);
  expect(await main(['verify', fixture('spin_lock'), '--log-level', '99'])).toBe(2);
});

test('verify --stats prints veristat\'s numbers, and --compare fails a program whose cost grew past the budget', async () => {
  const { fixture } = await import('../kernel/bpf-fixtures.js');
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-verify-'));
  try {
    expect(await main(['verify', fixture('spin_lock'), '--program', 'spin_array', '--stats'])).toBe(0);
    const csv = text('out');
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('engine,program,verdict,insns,states,peak_states');
    const emulatorRow = lines.find((l) => l.startsWith('emulator '))!.split(',');
    expect(emulatorRow.slice(1, 3)).toEqual(['spin_array', 'loaded']);
    const insns = Number(emulatorRow[3]);
    expect(insns).toBeGreaterThan(0);
    // The same costs pass; a budget they exceed by a fifth fails.
    writeFileSync(join(dir, 'same.csv'), csv);
    expect(await main(['verify', fixture('spin_lock'), '--program', 'spin_array', '--compare', join(dir, 'same.csv')])).toBe(0);
    writeFileSync(join(dir, 'cheaper.csv'), csv.replace(`,spin_array,loaded,${insns},`, `,spin_array,loaded,${Math.floor(insns / 1.2)},`));
    output.clear();
    expect(await main(['verify', fixture('spin_lock'), '--program', 'spin_array', '--compare', join(dir, 'cheaper.csv')])).toBe(1);
    expect(text('err')).toMatch(/spin_array on emulator [\d.]+: \d+ insns processed, was \d+ \(\+\d+\.\d%, budget \+10%\)/);
    output.clear();
    expect(await main(['verify', fixture('spin_lock'), '--program', 'spin_array', '--log-level', '4'])).toBe(0);
    expect(text('out')).toMatch(/--- spin_array on emulator [\d.]+ ---\nverification time \d+ usec\nstack depth \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('include-dir prints the folder of bpfkit.h, and the npm package ships that file', async () => {
  expect(await main(['include-dir'])).toBe(0);
  const dir = text('out').trim();
  expect(dir).toBe(join(packageRoot(), 'bpf', 'include'));
  expect(readFileSync(join(dir, 'bpfkit.h'), 'utf8')).toContain('extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym __weak;');
  expect(await main(['include-dir', 'extra'])).toBe(2);
  expect(text('err')).toContain('usage: bpfkit include-dir');
  // What `npm pack` would put in the tarball (package.json "files"), without running the build scripts.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
  const files = packed[0]!.files.map((f) => f.path);
  expect(files).toContain('bpf/include/bpfkit.h');
  expect(files).toContain('scripts/build-addon.mjs'); // the install hook
  // What users need, not the repository's test fixtures and tools (issue 23: no reject_* programs in the tarball).
  expect(files.filter((f) => f.startsWith('bpf/') || f.startsWith('scripts/'))).toEqual(['bpf/include/bpfkit.h', 'scripts/build-addon.mjs']);
});

test('gen vmlinux: bad arguments exit 2, a missing or non-BTF file exits 1 naming it', async () => {
  expect(await main(['gen', 'vmlinux', 'extra'])).toBe(2);
  expect(await main(['gen', 'vmlinux', '--kernel-btf'])).toBe(2);
  expect(text('err')).toContain('usage: bpfkit gen vmlinux [--kernel-btf PATH] > vmlinux.h\n');
  output.clear();
  expect(await main(['gen', 'nothing'])).toBe(2);
  expect(text('err')).toBe('usage: bpfkit gen types OBJECT.bpf.o\n       bpfkit gen vmlinux [--kernel-btf PATH]\n');
  output.clear();
  expect(await main(['gen', 'vmlinux', '--kernel-btf', '/nonexistent/vmlinux'])).toBe(1);
  expect(text('err')).toBe('bpfkit gen vmlinux: /nonexistent/vmlinux does not exist\n');
  output.clear();
  const code = await main(['gen', 'vmlinux', '--kernel-btf', '/etc/passwd']);
  expect(code).toBe(1);
  expect(text('err')).toMatch(/^bpfkit gen vmlinux: (bpftool could not read BTF from \/etc\/passwd: .+|bpftool is not installed .+)\n$/);
});

const hasTool = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};
const vmlinuxSkip = !hasTool('bpftool') ? 'bpftool is not installed' : !existsSync('/sys/kernel/btf/vmlinux') ? 'no /sys/kernel/btf/vmlinux (a kernel without BTF)' : !hasTool('clang-19') ? 'clang-19 is not installed' : undefined;
testUnless(vmlinuxSkip, 'gen vmlinux writes the running kernel\'s types as C, and bpfkit.h builds after it (a res lock in a map value)', async () => {
  expect(await main(['gen', 'vmlinux'])).toBe(0);
  const header = text('out');
  expect(header).toMatch(/^#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n/);
  expect(header).toContain('struct task_struct {');
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-vmlinux-'));
  try {
    writeFileSync(join(dir, 'vmlinux.h'), header);
    // The program a user writes against vmlinux.h: bpfkit.h then takes the kernel's struct bpf_res_spin_lock.
    writeFileSync(join(dir, 'locked.bpf.c'), [
      '#include "vmlinux.h"',
      '#include "bpfkit.h"',
      'struct value { struct bpf_res_spin_lock lock; __u64 count; };',
      'struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct value); } counts SEC(".maps");',
      'SEC("tc") int count(struct __sk_buff *skb) {',
      '  __u32 zero = 0; struct value *v = bpf_map_lookup_elem(&counts, &zero);',
      '  if (!v || bpf_res_spin_lock(&v->lock)) return 1;',
      '  v->count++; bpf_res_spin_unlock(&v->lock); return 0;',
      '}',
      'char LICENSE[] SEC("license") = "GPL";',
    ].join('\n'));
    execFileSync('clang-19', ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', `-I${join(packageRoot(), 'bpf', 'include')}`, '-c', 'locked.bpf.c', '-o', 'locked.bpf.o'], { cwd: dir, stdio: 'pipe' });
    using obj = openObject(join(dir, 'locked.bpf.o'), { engine: 'emulator' });
    expect(obj.maps.counts).toMatchObject({ lock: 'res' });
    expect(obj.program('count').run({ data: new Uint8Array(64), repeat: 3 }).retval).toBe(0);
    expect(obj.map('counts').get(0)).toEqual({ lock: 0, count: 3n });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Another kernel's types: the ELF vmlinux of a kernel `bpfkit vm` fetched (make setup prefetches 6.1).
const vmKernels = existsSync(join(bpfkitCacheDir(), 'kernels'))
  ? readdirSync(join(bpfkitCacheDir(), 'kernels')).map((k) => join(bpfkitCacheDir(), 'kernels', k, 'vmlinux')).filter((f) => existsSync(f))
  : [];
const vmSkip = !hasTool('bpftool') ? 'bpftool is not installed' : vmKernels.length === 0 ? `no bpfkit vm kernel in ${bpfkitCacheDir()}/kernels (bpfkit vm --kernel 6.1 --fetch)` : undefined;
testUnless(vmSkip, 'gen vmlinux --kernel-btf reads another kernel\'s types from its ELF vmlinux', async () => {
  expect(await main(['gen', 'vmlinux', '--kernel-btf', vmKernels[0]!])).toBe(0);
  const header = text('out');
  expect(header).toMatch(/^#ifndef __VMLINUX_H__\n/);
  expect(header).toContain('struct task_struct {');
  // Not the running kernel's: a 6.1 kernel has no resilient spin lock, which this host's 6.15+ kernel has.
  const [major, minor] = /kernels\/(\d+)\.(\d+)[^/]*\/vmlinux$/.exec(vmKernels[0]!)!.slice(1).map(Number) as [number, number];
  if (major < 6 || (major === 6 && minor < 15)) expect(header).not.toContain('struct bpf_res_spin_lock {');
  else expect(header).toContain('struct bpf_res_spin_lock {');
});
