import { afterEach, expect, test } from 'vitest';
import { Emulator, resolveEngine } from '../../src/index.js';
import { kernelUnavailableReasons } from '../../src/kernel/engine.js';

const saved = process.env.BPFKIT_ENGINE;
afterEach(() => {
  if (saved === undefined) delete process.env.BPFKIT_ENGINE;
  else process.env.BPFKIT_ENGINE = saved;
});

test('an Engine instance is used as given', () => {
  const e = new Emulator({ possibleCpus: 3 });
  expect(resolveEngine(e)).toBe(e);
  expect(resolveEngine(e).possibleCpus()).toBe(3);
});

test("BPFKIT_ENGINE=emulator selects the emulator by default; 'kernel' explicitly still means the kernel", () => {
  process.env.BPFKIT_ENGINE = 'emulator';
  expect(resolveEngine().kind).toBe('emulator');
  if (kernelUnavailableReasons().length === 0) expect(resolveEngine('kernel').kind).toBe('kernel');
  else expect(() => resolveEngine('kernel')).toThrow();
});

test('without BPFKIT_ENGINE the kernel is chosen exactly when it is usable', () => {
  delete process.env.BPFKIT_ENGINE;
  expect(resolveEngine().kind).toBe(kernelUnavailableReasons().length === 0 ? 'kernel' : 'emulator');
});

test('a bad engine name is a TypeError', () => {
  expect(() => resolveEngine('kernal' as never)).toThrow(TypeError);
  process.env.BPFKIT_ENGINE = 'bogus';
  expect(() => resolveEngine()).toThrow(/BPFKIT_ENGINE must be/);
});
