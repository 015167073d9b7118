// The VM runner end to end (make test's one VM test): boot Debian's 6.1 kernel, run bpfkit in the guest
// (a map and a spin-lock program, through the real 6.1 kernel), and check that exit statuses propagate,
// that the guest's writes never reach the host, and that a failed boot is retried. Skipped, with the reason printed, where QEMU or the
// cached kernel is missing (make setup installs QEMU and prefetches the kernel; tests never download).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { bpfObjectPath, packageRoot } from '../../src/package-root.js';
import { resolveKernel } from '../../src/vm/kernels.js';
import { qemuBinary } from '../../src/vm/qemu.js';
import { kvmFailure, runInVm } from '../../src/vm/run.js';
import { fixture } from '../kernel/bpf-fixtures.js';

const KERNEL = '6.1';
const distIndex = join(packageRoot(), 'dist', 'index.js');

function skipReason(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the VM runner boots x86-64 Linux guests (host: ${process.platform}/${process.arch})`;
  if (!qemuBinary()) return 'qemu-system-x86_64 is not installed (make setup installs it)';
  if (!existsSync(distIndex)) return `${distIndex} is not built (make setup builds it)`;
  try {
    resolveKernel(KERNEL, { offline: true, progress: () => {} });
  } catch (e) {
    return `kernel ${KERNEL} is not cached and tests never download (make setup prefetches it): ${(e as Error).message}`;
  }
  return undefined;
}

const reason = skipReason();
if (reason) console.log(`skipped: VM smoke test: ${reason}`);

describe.skipIf(reason !== undefined)(`bpfkit vm under Debian's ${KERNEL} kernel`, () => {
  const run = (command: string[]) =>
    runInVm({ kernel: KERNEL, command, cwd: packageRoot(), timeoutSeconds: 60, offline: true, progress: () => {} });

  test('a node script creates a map and runs a spin-lock program through bpfkit on the guest kernel', async () => {
    const object = fixture('spin_lock');
    expect(object).toBe(bpfObjectPath('spin_lock'));
    const script = `
      import { bytes, createMap, features, openObject, u32, u64 } from ${JSON.stringify(pathToFileURL(distIndex).href)};
      const m = createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4, name: 'vm_smoke', engine: 'kernel' });
      m.set(7, 42n);
      const obj = openObject(${JSON.stringify(object)}, { engine: 'kernel' });
      obj.program('spin_array').run({ data: new Uint8Array(64), repeat: 1000 });
      const info = obj.maps.array_counter;
      const v = obj.map('array_counter', { key: u32, value: bytes(info.valueSize), perCpu: false }).get(0);
      const count = new DataView(v.buffer, v.byteOffset).getBigUint64(info.valueSize - 8, true);
      console.log(JSON.stringify({ release: features.kernelRelease(), value: String(m.get(7)), count: String(count) }));
      console.error('stderr is separate');
      process.exitCode = 0;
    `;
    const r = await run(['node', '--input-type=module', '-e', script]);
    expect(r.failure, r.console).toBeUndefined();
    expect(r.stderr).toBe('stderr is separate\n');
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { release: string; value: string; count: string };
    expect(out.release).toBe(r.kernelRelease);
    expect(out.release).toMatch(/^6\.1\./);
    expect(out).toMatchObject({ value: '42', count: '1000' });
  });

  let hostDir = '';
  afterAll(() => hostDir && rmSync(hostDir, { recursive: true, force: true }));

  test("a non-zero exit status propagates, and the guest's writes stay in the guest", async () => {
    // Under /var/tmp, not /tmp: the guest mounts a fresh tmpfs on /tmp, so it would not see the host's file.
    hostDir = mkdtempSync('/var/tmp/bpfkit-vm-smoke-');
    const file = join(hostDir, 'host.txt');
    writeFileSync(file, 'written by the host\n');
    const r = await run(['sh', '-c', `cat ${file}; echo 'written by the guest' > ${file} && cat ${file}; touch ${hostDir}/new; ls ${hostDir}; exit 3`]);
    expect(r.failure, r.console).toBeUndefined();
    expect(r.exitCode).toBe(3);
    // The guest reads the host's file and writes its own copy (the tmpfs overlay)...
    expect(r.stdout).toBe('written by the host\nwritten by the guest\nhost.txt\nnew\n');
    // ...which the host never sees.
    expect(readFileSync(file, 'utf8')).toBe('written by the host\n');
    expect(existsSync(join(hostDir, 'new'))).toBe(false);
  });

  test('a guest that dies before the command starts is booted again, at most 3 times in all; the command never ran', async () => {
    // 20 MiB is too little to boot: every boot dies before the guest says "started".
    const messages: string[] = [];
    const r = await runInVm({
      kernel: KERNEL, command: ['true'], cwd: packageRoot(), memory: '20M', timeoutSeconds: 60, offline: true,
      progress: (m) => messages.push(m),
    });
    expect([r.exitCode, r.failure]).toEqual([125, 'guest-died']);
    expect(messages.filter((m) => m.includes('booting again'))).toEqual([
      expect.stringContaining('(2 of 3)'),
      expect.stringContaining('(3 of 3)'),
    ]);
  });

  // Where /dev/kvm exists: either KVM boots the guest, or its failure is said after the first boot (this host's
  // KVM cannot set the guest's MSRs: 'failed to set MSR 0x10a'), never three boots and a QEMU assertion.
  const kvm = existsSync('/dev/kvm') ? undefined : 'no /dev/kvm on this host';
  if (kvm) console.log(`skipped: bpfkit vm --accel kvm: ${kvm}`);
  test.skipIf(kvm !== undefined)('--accel kvm: the command runs, or KVM is said to be unusable after one boot', async () => {
    const messages: string[] = [];
    const r = await runInVm({ kernel: KERNEL, command: ['true'], cwd: packageRoot(), accel: 'kvm', timeoutSeconds: 60, offline: true, progress: (m) => messages.push(m) });
    expect(messages.filter((m) => m.includes('booting again'))).toEqual([]);
    if (r.failure === undefined) expect(r.exitCode).toBe(0);
    else expect([r.exitCode, r.failure, kvmFailure(r.console) !== undefined]).toEqual([125, 'kvm-unusable', true]);
  });
});

test("kvmFailure reads QEMU's words for a KVM that cannot run the guest", () => {
  const console = [
    'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69',
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
  ].join('\n');
  expect(kvmFailure(console)).toBe('failed to set MSR 0x10a to 0x69');
  expect(kvmFailure('qemu-system-x86_64: failed to initialize kvm: Permission denied')).toBe('failed to initialize kvm: Permission denied');
  expect(kvmFailure('[    0.000000] Kernel panic - not syncing: Out of memory')).toBeUndefined();
});
