// The engine choice is visible: the once-per-process notice when the default falls to the emulator on
// Linux, engineStatus(), and errors that say why the kernel was not chosen and what a package user runs.
// A missing addon is simulated through engine-select's probe seam; the real kernel engine is untouched.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { engineStatus, openMap, resolveEngine, u32 } from '../../src/index.js';
import { setKernelProbeForTesting, whyEmulator, type KernelProbe } from '../../src/engine-select.js';
import { kernelUnavailableReasons } from '../../src/kernel/engine.js';

const missingAddon = 'the native addon is not built (/x/build/Release/bpfkit.node is missing)';
const fakeLinux = (reasons: string[], platform: NodeJS.Platform = 'linux'): KernelProbe => ({ platform, reasons: () => reasons, addonBuilt: () => false });

const savedEnv = process.env.BPFKIT_ENGINE;
let stderr: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  delete process.env.BPFKIT_ENGINE;
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stderr.mockRestore();
  setKernelProbeForTesting(undefined);
  if (savedEnv === undefined) delete process.env.BPFKIT_ENGINE;
  else process.env.BPFKIT_ENGINE = savedEnv;
});

const written = (): string => stderr.mock.calls.map((c: unknown[]) => String(c[0])).join('');

test('a Linux host without the addon gets the emulator and one stderr notice with the reason and the remedy', () => {
  setKernelProbeForTesting(fakeLinux([missingAddon]));
  expect(resolveEngine().kind).toBe('emulator');
  expect(resolveEngine().kind).toBe('emulator');
  expect(stderr).toHaveBeenCalledTimes(1);
  const notice = written();
  expect(notice).toMatch(/^bpfkit: using the emulator engine, not the kernel: /);
  expect(notice).toContain(missingAddon);
  expect(notice).toContain('npm rebuild bpfkit --foreground-scripts');
  expect(notice).toContain('apt-get install libbpf-dev libelf-dev');
  expect(notice).toContain('pnpm approve-builds');
  expect(notice).toContain('allowScripts');
  expect(notice).toContain('BPFKIT_ENGINE=emulator');
  expect(notice.endsWith('\n')).toBe(true);
});

test('an explicit choice silences the notice: BPFKIT_ENGINE=emulator, or engine: emulator', () => {
  setKernelProbeForTesting(fakeLinux([missingAddon]));
  process.env.BPFKIT_ENGINE = 'emulator';
  expect(resolveEngine().kind).toBe('emulator');
  delete process.env.BPFKIT_ENGINE;
  expect(resolveEngine('emulator').kind).toBe('emulator');
  expect(stderr).not.toHaveBeenCalled();
});

test('off Linux the emulator is the only engine: no notice', () => {
  setKernelProbeForTesting(fakeLinux(['not Linux (darwin)'], 'darwin'));
  expect(resolveEngine().kind).toBe('emulator');
  expect(stderr).not.toHaveBeenCalled();
  expect(engineStatus().kernel.remedies).toEqual([]);
});

test('asking for the kernel where it cannot work throws every reason and what to run, never falls back', () => {
  setKernelProbeForTesting(fakeLinux([missingAddon, 'bpf() not permitted: no CAP_BPF/root (EPERM)']));
  let error: unknown;
  try {
    resolveEngine('kernel');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toContain(`engine: 'kernel'`);
  expect(message).toContain(missingAddon);
  expect(message).toContain('no CAP_BPF/root');
  expect(message).toContain('npm rebuild bpfkit --foreground-scripts');
  expect(message).toContain('CAP_BPF and CAP_PERFMON');
  process.env.BPFKIT_ENGINE = 'kernel';
  expect(() => resolveEngine()).toThrow(/BPFKIT_ENGINE=kernel asked for it/);
  expect(stderr).not.toHaveBeenCalled();
});

test('engineStatus() reports the default choice, what decided it, and the kernel reasons', () => {
  setKernelProbeForTesting(fakeLinux([missingAddon]));
  const status = engineStatus();
  expect(status).toEqual({
    engine: 'emulator',
    chosenBy: 'default',
    kernel: { available: false, reasons: [missingAddon], remedies: [expect.stringContaining('npm rebuild bpfkit')] },
  });
  process.env.BPFKIT_ENGINE = 'emulator';
  expect(engineStatus()).toMatchObject({ engine: 'emulator', chosenBy: 'BPFKIT_ENGINE' });
  // engineStatus never prints: it only reports.
  expect(stderr).not.toHaveBeenCalled();
});

test('engineStatus() on this machine agrees with the kernel engine', () => {
  const reasons = kernelUnavailableReasons();
  const status = engineStatus();
  expect(status.kernel.available).toBe(reasons.length === 0);
  expect(status.kernel.reasons.length).toBe(reasons.length);
  expect(status.engine).toBe(reasons.length === 0 ? 'kernel' : 'emulator');
  expect(resolveEngine().kind).toBe(status.engine);
});

test('an error the emulator gives for what only the kernel has says why the emulator ran it', () => {
  setKernelProbeForTesting(fakeLinux([missingAddon]));
  const emulator = resolveEngine();
  expect(whyEmulator(emulator)).toContain(missingAddon);
  expect(() => openMap({ fd: 0 }, { key: u32, value: u32 })).toThrow(/no file descriptors \(the emulator engine runs this because the kernel engine is unavailable: the native addon is not built/);
  process.env.BPFKIT_ENGINE = 'emulator';
  expect(whyEmulator(emulator)).toBe('the emulator engine was chosen by BPFKIT_ENGINE=emulator');
});
