// The bpfkit command's doctor and map dump verbs, called through main() as bin/bpfkit.mjs calls it.
import { expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../helpers/captured-output.js';
import { createMap, engineStatus, features, lpmKey, u32, u64 } from '../../src/index.js';
import { mountBpffs } from '../helpers/bpffs.js';
import { kernelSkipReason } from '../helpers/kernel.js';

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
  expect(text('err')).toContain('usage: bpfkit map dump PIN_PATH | --id N');
  expect(await main(['--help'])).toBe(0);
  expect(text('out')).toContain('doctor');
});

const skip = kernelSkipReason();
if (skip) console.log(`skipped: bpfkit map dump [kernel]: ${skip}`);
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
    expect(text('err')).toMatch(/BPF_OBJ_GET on .*missing failed: ENOENT .*mount -t bpf bpf/);
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
