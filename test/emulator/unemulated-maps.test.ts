// An object with a map type the emulator does not have (a ringbuf): its programs are verified first, so a
// program the kernel refuses gets the kernel's verdict on the emulator too; one the kernel loads is
// ENOTSUPP on the emulator, naming what it lacks (the helper, or the map type), not a verifier error.
import { describe, expect, test } from 'vitest';
import { BpfError, BpfVerifierError, Emulator, features, openObject } from '../../src/index.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import { lastMeaningfulLine } from '../../src/errors/verifier-log.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { kernelSkipReason } from '../helpers/kernel.js';

const kernelSkip = kernelSkipReason();
if (kernelSkip) console.log(`skipped: the kernel's side of the ringbuf fixture: ${kernelSkip}`);

function outcome(program: string, engine: 'kernel' | 'emulator'): { error: string; code: string; verifier: boolean; reason: string } | 'loaded' {
  try {
    openObject(fixture('ringbuf_events'), { programs: [program], engine: engine === 'kernel' ? getKernelEngine() : new Emulator({ kernelVersion: features.emulatorKernelVersion() }) }).close();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const verifier = e instanceof BpfVerifierError;
    return { error: e.name, code: e.code, verifier, reason: verifier ? lastMeaningfulLine(e.log) : e.message };
  }
}

describe('a map type the emulator does not have', () => {
  test('a program the verifier refuses: the kernel\'s verdict and words on both engines', () => {
    const emulator = outcome('event_bad_ctx', 'emulator');
    expect(emulator).toMatchObject({ code: 'EACCES', verifier: true, reason: 'invalid bpf_context access off=1024 size=4' });
    if (!kernelSkip) expect(emulator).toEqual(outcome('event_bad_ctx', 'kernel'));
  });

  test('a program the verifier accepts: loaded on the kernel, ENOTSUPP on the emulator naming what it lacks', () => {
    expect(outcome('event_len', 'emulator')).toMatchObject({ code: 'ENOTSUPP', verifier: false, reason: expect.stringMatching(/helper bpf_ringbuf_output \(#130\) is not emulated|map 'events'.*map type 'ringbuf' is not emulated/) });
    if (!kernelSkip) expect(outcome('event_len', 'kernel')).toBe('loaded');
  });
});
