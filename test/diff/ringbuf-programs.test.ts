// bpf/ringbuf_emit.bpf.c on the kernel and on the emulator (both executions): the bpf_ringbuf_* helpers (130-134,
// and the dynptr variants 198-200 with bpf_dynptr_read/write/data on them) run with BPF_PROG_TEST_RUN. Every helper's answer (the programs' globals: -EAGAIN when full, -EINVAL for bad
// flags, NULL reservations, bpf_ringbuf_query's positions) must be the kernel's, and the programs the verifier
// refuses (a reservation or a ring buffer dynptr leaked, a record written after its submit, used before its NULL check) refused with the
// kernel's errno and words.
import { expect, test } from 'vitest';
import { Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import type { MapAttrs } from '../../src/seam/engine.js';
import { KernelMapType, MapFlags } from '../../src/uapi/bpf.js';
import { errnoCode } from '../../src/uapi/errno.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';
import { engineFor, loadOutcome, type Side } from './program-sides.js';

const text = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** One run: the globals it sets, the program, and what it left in the globals. */
interface Step {
  program: 'emit' | 'reserve_commit' | 'emit_bytes' | 'query' | 'emit_dynptr';
  set?: Record<string, bigint | number>;
  times?: number;
}

// The fixture's ring holds 4096 bytes: 255 records of 8 bytes (16 with their headers) fit, and the 256th
// would put the producer 4096 bytes ahead of the consumer (more than the mask): -EAGAIN or NULL from then on.
const steps: Step[] = [
  { program: 'query' },
  { program: 'emit', times: 3 },
  { program: 'reserve_commit', times: 2 },
  { program: 'reserve_commit', set: { discard: 1 } },
  { program: 'query', set: { discard: 0 } },
  // Variable sizes: 0, 5 and 32 bytes (the header's length is the size, the record rounded up to 8).
  { program: 'emit_bytes', set: { size: 0 } },
  { program: 'emit_bytes', set: { size: 5 } },
  { program: 'emit_bytes', set: { size: 32 } },
  // Flags: the wakeup bits are taken, anything else is EINVAL (output) or NULL (reserve); submit ignores them.
  { program: 'emit', set: { commit_flags: 1n } },
  { program: 'emit', set: { commit_flags: 2n } },
  { program: 'emit', set: { commit_flags: 4n } },
  { program: 'reserve_commit', set: { commit_flags: 0xf0n } },
  { program: 'reserve_commit', set: { commit_flags: 0n, reserve_flags: 1n } },
  { program: 'query', set: { reserve_flags: 0n } },
  // The dynptr variants: records of 16, 3 (too short for bpf_dynptr_data's 8 bytes and the read at 4) and 0
  // bytes; one discarded; a flag (EINVAL, a NULL dynptr that every later call refuses); past DYNPTR_MAX_SIZE
  // (E2BIG); more than the ring holds (EINVAL).
  { program: 'emit_dynptr', set: { size: 16 } },
  { program: 'emit_dynptr', set: { size: 3 } },
  { program: 'emit_dynptr', set: { size: 0 } },
  { program: 'emit_dynptr', set: { size: 16, discard: 1 } },
  { program: 'emit_dynptr', set: { discard: 0, reserve_flags: 1n } },
  { program: 'emit_dynptr', set: { reserve_flags: 0n, size: 1 << 24 } },
  { program: 'emit_dynptr', set: { size: 8192 } },
  { program: 'emit_dynptr', set: { size: 12, commit_flags: 2n } },
  { program: 'query', set: { commit_flags: 0n } },
  // Fill the ring: the rest are refused.
  { program: 'emit', times: 300 },
  { program: 'reserve_commit', times: 3 },
  { program: 'query' },
];

const hex = (records: unknown[]): string[] => records.map((r) => Buffer.from(r as Uint8Array).toString('hex'));

/** Each step's answers, then the records the ring holds, as bytes in the ring's order. */
function runSteps(side: Side): string[] {
  using obj = openObject(fixture('ringbuf_emit'), { engine: engineFor(side) });
  const globals = obj.globals as Record<string, unknown>;
  const answers = steps.map((s) => {
    for (const [k, v] of Object.entries(s.set ?? {})) globals[k] = v;
    const retvals: number[] = [];
    for (let i = 0; i < (s.times ?? 1); i++) retvals.push(obj.program(s.program).run({ data: packet(Array.from({ length: 32 }, (_, i) => i + 1)) }).retval);
    return text({ step: s, retvals: [...new Set(retvals)], last_rc: globals.last_rc, seq: globals.seq, drops: globals.drops, answers: globals.answers, dynptr_rc: globals.dynptr_rc });
  });
  using ring = obj.ringbuf('events');
  return [...answers, text(hex(ring.consume()))];
}

/**
 * Records that wrap past the ring's end: rounds of 100 records of 8 to 32 bytes (at most 4000 bytes of the 4096
 * with their headers), each consumed before the next, with what bpf_ringbuf_query reports before the consumer.
 */
function wrapRounds(side: Side): string[] {
  using obj = openObject(fixture('ringbuf_emit'), { engine: engineFor(side) });
  using ring = obj.ringbuf('events');
  const globals = obj.globals as Record<string, unknown>;
  const rounds: string[] = [];
  for (let round = 0; round < 6; round++) {
    globals.size = 8 + 8 * (round % 4);
    for (let i = 0; i < 100; i++) obj.program(round % 2 ? 'emit_bytes' : 'emit').run({ data: packet(Array.from({ length: 32 }, (_, j) => (round * 32 + j + i) & 0xff)) });
    obj.program('query').run({ data: packet() });
    rounds.push(text({ round, drops: globals.drops, last_rc: globals.last_rc, answers: globals.answers, records: hex(ring.consume()) }));
  }
  return rounds;
}

describeKernel('programs on a ring buffer: the emulator answers as the kernel does', () => {
  test('output, reserve, submit, discard and query: every answer, full ring and bad flags included', () => {
    const kernel = runSteps('kernel');
    // Not vacuous: the ring filled (drops, -EAGAIN), bad flags were refused (-EINVAL), and positions moved.
    const all = kernel.join('\n');
    expect(all).toContain('"last_rc":"-11n"');
    expect(all).toContain('"last_rc":"-22n"');
    for (const first of ['0n', '-7n', '-22n']) expect(all).toContain(`"dynptr_rc":["${first}"`);
    expect(kernel[steps.length - 1]).toMatch(/"answers":\["4080n","4096n","0n","4080n","0n"\]/);
    for (const execution of EXECUTIONS) {
      const emulator = runSteps(execution);
      for (let i = 0; i < kernel.length; i++) expect(emulator[i], `${execution}, ${i < steps.length ? `run ${i}` : 'the records'}`).toBe(kernel[i]);
    }
  });

  test('records that wrap past the ring\'s end: the same bytes, positions and drops', () => {
    const kernel = wrapRounds('kernel');
    // Not vacuous: the producer went round the 4096 bytes more than once, and no record was refused.
    const [, avail, cons, prod] = /"answers":\["(\d+)n","4096n","(\d+)n","(\d+)n","0n"\]/.exec(kernel.at(-1)!)!.map(Number);
    expect(cons).toBeGreaterThan(2 * 4096);
    expect(prod! - cons!).toBe(avail);
    expect(kernel.every((r) => r.includes('"drops":"0n","last_rc":"0n"'))).toBe(true);
    for (const execution of EXECUTIONS) expect(wrapRounds(execution), execution).toEqual(kernel);
  });

  test('what the verifier refuses in programs that reserve records', () => {
    const programs = ['emit', 'reserve_commit', 'emit_dynptr', 'leak', 'write_after_submit', 'unchecked', 'leak_dynptr'];
    const kernel = programs.map((p) => loadOutcome('kernel', 'ringbuf_emit', p));
    expect(kernel.slice(0, 3)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(kernel.slice(3).every((o) => o !== 'loaded')).toBe(true);
    for (const execution of EXECUTIONS) expect(programs.map((p) => loadOutcome(execution, 'ringbuf_emit', p)), execution).toEqual(kernel);
  });
});

describeKernel('BPF_MAP_CREATE of a ring buffer and the syscalls it refuses: the kernel\'s errnos on the emulator', () => {
  const attrs = (over: Partial<MapAttrs>): MapAttrs => ({ type: KernelMapType.Ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, name: 'rb', numaNode: 0, ...over });
  const cases: Partial<MapAttrs>[] = [
    {}, { maxEntries: 8192 }, { maxEntries: 1 << 20 },
    // not a power of 2, not page-aligned, none
    { maxEntries: 3 * 4096 }, { maxEntries: 2048 }, { maxEntries: 0 },
    { keySize: 4 }, { valueSize: 8 },
    { flags: MapFlags.NumaNode }, { flags: MapFlags.Rdonly }, { flags: MapFlags.NoPrealloc }, { flags: MapFlags.Mmapable },
    { name: 'bad-name' },
  ];
  const outcome = (engine: Engine, over: Partial<MapAttrs>): string => {
    const h = engine.createMap(attrs(over));
    if (typeof h === 'number') return errnoCode(h);
    try {
      const none = new Uint8Array(0);
      return `created: lookup ${errnoCode(h.lookup(none, none, 0))}, update ${errnoCode(h.update(none, none, 0))}, delete ${errnoCode(h.delete(none))}, next ${errnoCode(h.getNextKey(null, none))}`;
    } finally {
      h.close();
    }
  };

  test('each attribute set: created or refused alike; element syscalls ENOTSUPP', () => {
    const kernel = cases.map((c) => outcome(getKernelEngine(), c));
    expect(kernel[0]).toBe('created: lookup ENOTSUPP, update ENOTSUPP, delete ENOTSUPP, next ENOTSUPP');
    expect(kernel.filter((k) => k === 'EINVAL').length).toBeGreaterThanOrEqual(6);
    const emulator = new Emulator({ kernelVersion: features.emulatorKernelVersion() });
    expect(cases.map((c) => outcome(emulator, c))).toEqual(kernel);
  });
});
