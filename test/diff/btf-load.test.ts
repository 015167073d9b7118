// BPF_BTF_LOAD: the emulator's model of the kernel's verdict (src/emulator/btf-load.ts) against this
// machine's kernel, blob by blob: accept or refuse, the errno, and the last line of the kernel's log.
// Blobs: every fixture's .BTF as clang wrote it and as libbpf fixes it up, /sys/kernel/btf/vmlinux,
// hand-built blobs for each refusal (btf-load-cases.ts), and seeded mutants of those.
//
// BPFKIT_BTF_MUTANTS sets the number of mutants (default 4000; `make difftest` runs 100,000) and
// BPFKIT_BTF_SEED the seed (default 1; 'random' picks one). Every divergence is printed with what
// reproduces it: the seed, the mutant's index, its base and its edits.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { btfLoadRefusal } from '../../src/emulator/btf-load.js';
import { builtinKernelStructNames, builtinKernelStructs } from '../../src/emulator/btf-load-fields.js';
import { loadAddon, type Addon } from '../../src/kernel/binding.js';
import { features } from '../../src/kernel/features.js';
import { errnoCode } from '../../src/uapi/errno.js';
import { btf, kernelStructNames, libbpfFixedBtf, mutate, rawBtf } from '../helpers/btf-blobs.js';
import { describeKernel } from '../helpers/kernel.js';
import { testUnless } from '../helpers/skip.js';
import { btfCases, validBlobs } from './btf-load-cases.js';
import { prng } from './trace.js';

const MUTANTS = Number(process.env.BPFKIT_BTF_MUTANTS ?? 4000);
const seedEnv = process.env.BPFKIT_BTF_SEED ?? '1';
const SEED = seedEnv === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(seedEnv) >>> 0;
const FIXTURES = join(import.meta.dirname, '../../build/bpf');
const VMLINUX = '/sys/kernel/btf/vmlinux';

interface Verdict { errno: number; reason: string }

/** kernel/bpf/btf.c's refusal messages, to report which ones a mutant run reached. */
const MESSAGES = ['hdr_len not found', 'btf_header not found', 'Unsupported btf_header', 'Invalid magic', 'Unsupported version',
  'Unsupported flags', 'No data', 'Invalid section offset', 'Unsupported section found', 'Section overlap found',
  'Total section length too long', 'String section is not at the end', 'Invalid string section', 'Unaligned type_off', 'No type found',
  'meta_needed', 'Invalid btf_info:', 'Invalid kind:', 'Invalid name_offset:', 'vlen != 0', 'Invalid btf_info kind_flag', 'Invalid int_data',
  'nr_bits exceeds 128', 'nr_bits exceeds type_size', 'Unsupported encoding', 'Invalid type_id', 'Invalid name', 'type != 0', 'size != 0',
  'Invalid elem', 'Invalid index', 'Invalid member name_offset', 'Invalid member bits_offset', 'Member bits_offset exceeds its struct size',
  'Unexpected size', 'Invalid func linkage', 'Linkage not supported', 'size == 0', 'Invalid offset', 'Invalid size', 'Invalid offset+size',
  'Invalid type_size', 'Invalid value', 'Invalid component_idx', 'Loop detected', 'Exceeded max resolving depth', 'Invalid member',
  'Member exceeds struct_size', 'Member is not byte aligned', 'nr_copy_bits exceeds 128', 'Invalid member base type', 'Invalid member offset',
  'Invalid member bitfield_size', 'Member is not properly aligned', 'Invalid array of int', 'Array size overflows U32_MAX',
  'Not a VAR kind member', 'Invalid type', 'Invalid return type', 'Invalid arg#', "Type tags don't precede modifiers"];
/** The message a refusal ends with, or its errno when it has none (struct metas: the last record's dump). */
function messageOf(v: Verdict): string {
  const byLength = [...MESSAGES].sort((a, b) => b.length - a.length);
  return byLength.find((m) => v.reason.includes(m)) ?? `(${errnoCode(v.errno)}, no message)`;
}

/** The last non-blank line of a NUL-terminated log, UTF-8 decoded and trimmed (what btfLoadRefusal returns). */
function lastLine(log: Uint8Array): string {
  const end = log.indexOf(0);
  const lines = new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end)).split('\n').map((l) => l.trim());
  return lines.filter((l) => l !== '').at(-1) ?? '';
}

// libbpf's own retry log is 16 MiB (BPF_LOG_BUF_SIZE); so is this one, so no refusal here is ENOSPC.
const log = new Uint8Array(16 << 20);
function kernelVerdict(addon: Addon, data: Uint8Array): Verdict | undefined {
  const fd = addon.btfLoad(data, log);
  if (fd >= 0) {
    addon.closeFd(fd);
    return undefined;
  }
  return { errno: -fd, reason: lastLine(log) };
}

const show = (v: Verdict | undefined): string => (v ? `${errnoCode(v.errno)} '${v.reason}'` : 'accepted');

type Divergence = 'verdict' | 'errno' | 'reason';
function divergence(kernel: Verdict | undefined, model: Verdict | undefined): Divergence | undefined {
  if (!kernel !== !model) return 'verdict';
  if (kernel && model && kernel.errno !== model.errno) return 'errno';
  if (kernel && model && kernel.reason !== model.reason) return 'reason';
  return undefined;
}

describeKernel('BPF_BTF_LOAD: the emulator\'s model answers as the kernel', () => {
  const addon = loadAddon() as Addon;
  const version = features.emulatorKernelVersion();
  // Which structs this kernel's BTF has matters to kptrs (btf_parse_kptr): the model is told, as the
  // emulator would be by a kernel's BTF; which of them have destructors it knows by itself.
  const structs = kernelStructNames();
  const builtin = builtinKernelStructs(version);
  const model = (data: Uint8Array): Verdict | undefined => btfLoadRefusal(data, version, (name) => (structs.has(name) ? builtin(name) ?? false : undefined));
  /** Both verdicts on each blob; the divergent ones, printed. */
  const compareAll = (blobs: [string, Uint8Array][]): { divergences: string[]; accepted: number } => {
    const divergences: string[] = [];
    let accepted = 0;
    for (const [name, data] of blobs) {
      const k = kernelVerdict(addon, data), m = model(data);
      if (!k) accepted++;
      const d = divergence(k, m);
      if (d) divergences.push(`${name}: ${d}: kernel ${show(k)}, model ${show(m)}`);
    }
    for (const d of divergences) console.log(`DIVERGENCE (kernel ${version}): ${d}`);
    return { divergences, accepted };
  };
  const fixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.bpf.o')).sort() : [];
  const elf = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, f)));

  test('every fixture\'s .BTF as clang wrote it (DATASEC sizes 0: the kernel refuses most)', () => {
    expect(fixtures.length, `fixtures in ${FIXTURES} (make setup builds them)`).toBeGreaterThan(20);
    expect(compareAll(fixtures.map((f) => [f, rawBtf(elf(f))])).divergences).toEqual([]);
  });

  test('every fixture\'s .BTF with libbpf\'s fixups', () => {
    const { divergences, accepted } = compareAll(fixtures.map((f) => [f, libbpfFixedBtf(elf(f))]));
    expect(divergences).toEqual([]);
    // Not vacuous: most fixed-up objects are accepted (those with extern kfuncs or kconfig are not).
    expect(accepted).toBeGreaterThan(fixtures.length / 2);
  });

  testUnless(existsSync(VMLINUX) ? undefined : `${VMLINUX} is missing`, 'the kernel\'s own BTF (vmlinux) is accepted by both', () => {
    const data = new Uint8Array(readFileSync(VMLINUX));
    expect(kernelVerdict(addon, data)).toBeUndefined();
    expect(model(data)).toBeUndefined();
  });

  // The structs the model knows without being told: in this kernel's BTF, and with a destructor as the
  // model says (a referenced kptr to one is ENOENT without), by default as when told.
  test.each(builtinKernelStructNames(version))('a referenced kptr to the kernel\'s struct %s', (name) => {
    expect(structs.has(name), `struct ${name} in this kernel's BTF`).toBe(true);
    const data = btf((w) => {
      const lock = w.strct('bpf_spin_lock', 4, [['val', w.int('unsigned int', 4), 0]]);
      w.strct('holder', 16, [['lock', lock, 0], ['p', w.ptr(w.typeTag('kptr', w.strct(name, 8, []))), 64]]);
    });
    const k = kernelVerdict(addon, data);
    expect(show(btfLoadRefusal(data, version))).toBe(show(k));
    expect(show(model(data))).toBe(show(k));
  });

  test.each(btfCases.map((c) => [c.name, c] as const))('hand-built: %s', (_name, c) => {
    const k = kernelVerdict(addon, c.blob);
    // The case says what it tests: the kernel accepts it, or refuses it with that errno (and reason, when given).
    const expected = c.expect(version);
    expect(show(k)).toBe(show(expected && { errno: expected.errno, reason: expected.reason ?? k?.reason ?? '' }));
    expect(show(model(c.blob))).toBe(show(k));
  });

  test(`${MUTANTS} seeded mutants of the fixtures' and the hand-built blobs`, () => {
    // Bases the kernel accepts (mutants of them reach the later checks) seven times in ten, else refused ones.
    const good: [string, Uint8Array][] = [
      ...fixtures.map((f): [string, Uint8Array] => [`${f} (libbpf fixups)`, libbpfFixedBtf(elf(f))]).filter(([, b]) => !model(b)),
      ...validBlobs(version),
    ];
    const bad: [string, Uint8Array][] = [
      ...fixtures.map((f): [string, Uint8Array] => [`${f} (raw)`, rawBtf(elf(f))]),
      ...btfCases.filter((c) => c.expect(version) && c.blob.length > 24 && c.blob.length < 1 << 20).map((c): [string, Uint8Array] => [`refused: ${c.name}`, c.blob]),
    ];
    const counts = { verdict: 0, errno: 0, reason: 0 };
    const reasons = new Map<string, number>();
    const messages = new Map<string, number>();
    let accepted = 0, refused = 0;
    for (let i = 0; i < MUTANTS; i++) {
      const rand = prng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      const from = rand() < 0.7 ? good : bad;
      const [baseName, base] = from[Math.floor(rand() * from.length)]!;
      const { bytes, edits } = mutate(base, rand);
      if (bytes.length === 0) continue; // the addon takes no empty buffer
      const k = kernelVerdict(addon, bytes), m = model(bytes);
      if (k) {
        refused++;
        const key = `${errnoCode(k.errno)} ${k.reason.replace(/^\[\d+\] /, '').replace(/\d+/g, 'N').slice(0, 60)}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
        messages.set(messageOf(k), (messages.get(messageOf(k)) ?? 0) + 1);
      } else accepted++;
      const d = divergence(k, m);
      if (d) {
        counts[d]++;
        console.log(`DIVERGENCE (${d}): BPFKIT_BTF_SEED=${SEED} mutant #${i} of ${baseName} [${edits.join('; ')}]: kernel ${show(k)}, model ${show(m)}`);
      }
    }
    const refusals = refused || 1;
    console.log(`btf-load mutants: seed ${SEED}, ${MUTANTS} mutants of ${good.length + bad.length} bases: ${accepted} accepted, ${refused} refused ` +
      `(${reasons.size} distinct reasons); divergences: verdict ${counts.verdict}, errno ${counts.errno}, reason ${counts.reason} ` +
      `(reason equality ${(100 * (1 - counts.reason / refusals)).toFixed(2)}% of refusals)`);
    console.log(`btf-load mutants: refusals by message: ${[...messages].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`);
    console.log(`btf-load mutants: messages not reached: ${MESSAGES.filter((m) => !messages.has(m)).join(', ') || 'none'}`);
    expect(counts).toEqual({ verdict: 0, errno: 0, reason: 0 });
    // Not vacuous: mutants land on both sides and on many different refusals.
    expect(accepted).toBeGreaterThan(MUTANTS / 50);
    expect(reasons.size).toBeGreaterThan(40);
  }, 60_000 + MUTANTS * 5); // a mutant takes ~0.15 ms here, ~2.5 ms in a TCG guest (bpfkit vm)
});
