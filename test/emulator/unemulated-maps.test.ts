// bpf/ringbuf_events.bpf.c: an object with a ring buffer whose first program the verifier refuses. Its programs
// are verified before anything else is asked of the emulator, so the refused one gets the kernel's verdict and
// words on the emulator too; the other loads on both engines and emits the same record (the ring buffer was
// once a map type the emulator refused, ENOTSUPP naming it: the README's table says which still are).
import { describe, expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject, type Engine } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';
import { kernelSkipReason } from '../helpers/kernel.js';

const kernelSkip = kernelSkipReason();
if (kernelSkip) console.log(`skipped: the kernel's side of the ringbuf fixture: ${kernelSkip}`);

const engineOf = (engine: 'kernel' | 'emulator'): Engine => (engine === 'kernel' ? getKernelEngine() : new Emulator({ kernelVersion: features.emulatorKernelVersion() }));

function outcome(program: string, engine: 'kernel' | 'emulator'): { error: string; code: string; verifier: boolean; reason: string } | 'loaded' {
  try {
    openObject(fixture('ringbuf_events'), { programs: [program], engine: engineOf(engine) }).close();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const verifier = e instanceof BpfVerifierError;
    return { error: e.name, code: e.code, verifier, reason: verifier ? lastMeaningfulLine(e.log) : e.message };
  }
}

/** event_len's record for a 64-byte packet: skb->len as 4 little-endian bytes. */
function eventLenRecords(engine: 'kernel' | 'emulator'): number[][] {
  using obj = openObject(fixture('ringbuf_events'), { programs: ['event_len'], engine: engineOf(engine) });
  obj.program('event_len').run({ data: packet() });
  using ring = obj.ringbuf('events');
  return ring.consume().map((r) => [...(r as Uint8Array)]);
}

describe('an object with a ring buffer', () => {
  test('a program the verifier refuses: the kernel\'s verdict and words on both engines', () => {
    const emulator = outcome('event_bad_ctx', 'emulator');
    expect(emulator).toMatchObject({ code: 'EACCES', verifier: true, reason: 'invalid bpf_context access off=1024 size=4' });
    if (!kernelSkip) expect(emulator).toEqual(outcome('event_bad_ctx', 'kernel'));
  });

  test('a program the verifier accepts: loaded on both engines, its record the same', () => {
    expect(outcome('event_len', 'emulator')).toBe('loaded');
    const records = eventLenRecords('emulator');
    expect(records).toEqual([[packet().length, 0, 0, 0]]);
    if (!kernelSkip) {
      expect(outcome('event_len', 'kernel')).toBe('loaded');
      expect(eventLenRecords('kernel')).toEqual(records);
    }
  });
});
