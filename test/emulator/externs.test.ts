// __kconfig and __ksym extern variables (src/emulator/programs/externs.ts) on both engines: libbpf
// resolves them for the kernel, the emulator from what it states about itself. The same object must see
// the same values where both engines know them (CONFIG_BPF_SYSCALL, CONFIG_BPF, weak unknowns as 0),
// each engine's own LINUX_KERNEL_VERSION, and the same refusal of strong externs nobody resolves.
import { release } from 'node:os';
import { expect, test } from 'vitest';
import { Emulator } from '../../src/emulator/index.js';
import { kernelVersionCode } from '../../src/emulator/programs/externs.js';
import { BpfError, bytes, openObject, u32 } from '../../src/index.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture } from '../kernel/bpf-fixtures.js';

describeEngines('__kconfig and __ksym externs', (engine, name) => {
  test('resolved values, weak unknowns as zero', () => {
    const eng = engine();
    using obj = openObject(fixture('externs'), { engine: eng });
    expect(obj.program('read_externs').run({}).retval).toBe(0);
    const bss = Object.values(obj.maps).find((m) => m.name.endsWith('.bss'))!;
    using map = obj.map(bss.name, { key: u32, value: bytes(bss.valueSize) });
    const [kernelVersion, bpfSyscall, bpfTristate, noSuchOption, asChar, variableMissing] = new Uint32Array((map.get(0) as Uint8Array).slice().buffer);
    // libbpf get_kernel_version: KERNEL_VERSION(major, minor, min(patch, 255)) of uname's release.
    const expected = name === 'kernel' ? kernelVersionCode(release().split('-')[0]!) : kernelVersionCode((eng as Emulator).kernelVersion);
    expect(kernelVersion).toBe(expected);
    expect(kernelVersion).toBeGreaterThan(kernelVersionCode('6.0'));
    expect({ bpfSyscall, bpfTristate, noSuchOption, asChar, variableMissing }).toEqual({
      bpfSyscall: 1, // CONFIG_BPF_SYSCALL=y into a bool
      bpfTristate: 1, // TRI_YES
      noSuchOption: 7, // weak and unknown: 0 (+ 7)
      asChar: 0, // CONFIG_BPF_SYSCALL_AS_CHAR is no option at all: weak, 0
      variableMissing: 1, // weak __ksym nobody has: its address is 0
    });
  });

  test('a strong __kconfig extern nobody has fails the load with libbpf\'s words', () => {
    const e = loadError(engine(), 'externs_strong');
    expect(e.code).toBe('ESRCH');
    expect(e.message).toMatch(/extern 'CONFIG_BPFKIT_NO_SUCH_OPTION' \(strong\): not resolved/);
  });

  test('a strong __ksym variable nobody has fails the load', () => {
    const e = loadError(engine(), 'externs_strong_ksym');
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(/extern \(var ksym\) 'bpfkit_no_such_variable': not found in kernel BTF/);
  });
});

function loadError(engine: ReturnType<Parameters<Parameters<typeof describeEngines>[1]>[0]>, object: string): BpfError {
  try {
    openObject(fixture(object), { engine }).close();
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    return e as BpfError;
  }
  throw new Error(`${object} loaded, but its strong extern cannot be resolved`);
}

test('the emulator\'s LINUX_KERNEL_VERSION follows its kernelVersion option', () => {
  using obj = openObject(fixture('externs'), { engine: new Emulator({ kernelVersion: '6.1' }) });
  obj.program('read_externs').run({});
  const bss = Object.values(obj.maps).find((m) => m.name.endsWith('.bss'))!;
  using map = obj.map(bss.name, { key: u32, value: bytes(bss.valueSize) });
  expect(new Uint32Array((map.get(0) as Uint8Array).slice().buffer)[0]).toBe(kernelVersionCode('6.1'));
});
