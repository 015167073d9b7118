// 10^6 records from 2 CPUs at once (two runAsync runs of bpf/ringbuf_emit.bpf.c's emit, 500000 repeats each,
// on the kernel and on 2 emulated CPUs), read by a consumer polling as they come: with a ring that holds them
// all, every record arrives once (none lost, none twice: each is a distinct number from the program's counter)
// and the programs count no drop; with the fixture's 4096-byte ring and nobody consuming, exactly the 255
// records that fit are kept and every other reservation fails, as the kernel's __bpf_ringbuf_reserve decides.
import { expect, test } from 'vitest';
import { Emulator, createMap, features, openObject, u64, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { EXECUTIONS } from '../../src/emulator/programs/compiler.js';
import { describeKernel } from '../helpers/kernel.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const EVENTS = 1_000_000;
const PER_CPU = EVENTS / 2;
/** 2^24 bytes: 10^6 records of 16 bytes (an 8-byte header and a u64) fit (16000000 ≤ the mask). */
const BIG_RING = 1 << 24;

const sides: { name: string; engine: () => Engine }[] = [
  { name: 'kernel', engine: () => getKernelEngine() },
  ...EXECUTIONS.map((execution) => ({
    name: `emulator (${execution})`,
    engine: () => new Emulator({ possibleCpus: 2, execution, kernelVersion: features.emulatorKernelVersion() }),
  })),
];

describeKernel('ring buffers under load: 10^6 records from 2 CPUs', () => {
  test.each(sides)('$name: a ring that holds them all loses none and duplicates none', async ({ engine }) => {
    const e = engine();
    using ring = createMap({ type: 'ringbuf', maxEntries: BIG_RING, value: u64, engine: e });
    using obj = openObject(fixture('ringbuf_emit'), { engine: e, maps: { events: ring } });
    const seen = new Uint8Array(EVENTS);
    let received = 0;
    let duplicates = 0;
    let strays = 0;
    const take = (records: unknown[]) => {
      for (const r of records) {
        const n = Number(r as bigint);
        if (typeof r !== 'bigint' || n >= EVENTS) strays++;
        else if (seen[n]++ !== 0) duplicates++;
        received++;
      }
    };
    const reader = (async () => {
      while (received < EVENTS && !ring.closed) take(await ring.poll({ timeoutMs: 200 }));
    })();
    const runs = await Promise.all([0, 1].map(() => obj.program('emit').runAsync({ data: packet(), repeat: PER_CPU })));
    expect(runs.map((r) => r.retval)).toEqual([0, 0]);
    await reader;
    take(ring.consume());
    const g = obj.globals as Record<string, unknown>;
    expect({ received, duplicates, strays, drops: g.drops, seq: g.seq }).toEqual({ received: EVENTS, duplicates: 0, strays: 0, drops: 0n, seq: BigInt(EVENTS) });
    expect(seen.every((c) => c === 1)).toBe(true);
  }, 300_000);

  test.each(sides)('$name: a ring too small keeps what fits and refuses the rest', async ({ engine }) => {
    using obj = openObject(fixture('ringbuf_emit'), { engine: engine() });
    const n = 20_000;
    await Promise.all([0, 1].map(() => obj.program('emit').runAsync({ data: packet(), repeat: n })));
    using ring = obj.ringbuf('events', { value: u64 });
    const records = ring.consume() as bigint[];
    const g = obj.globals as Record<string, unknown>;
    // 4096 bytes: 255 records of 16 bytes; the 256th would put the producer 4096 bytes (more than the mask) ahead.
    expect(records.length).toBe(255);
    expect(new Set(records).size).toBe(255);
    expect(records.every((r) => r < BigInt(2 * n))).toBe(true);
    expect({ drops: g.drops, seq: g.seq, last: g.last_rc }).toEqual({ drops: BigInt(2 * n - 255), seq: BigInt(2 * n), last: -11n });
  }, 120_000);
});
