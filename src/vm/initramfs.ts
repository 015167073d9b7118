// The guest's initramfs: static busybox, the kernel's guest modules, and the init script; built once
// per (kernel, init script, busybox) and cached beside the kernel.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCpio, type CpioEntry } from './cpio.js';
import { installHint } from './exec.js';
import { GUEST_INIT } from './guest-init.js';
import type { PreparedKernel } from './kernels.js';
import type { Progress } from './cache-dir.js';

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** A statically linked busybox: an ELF with no PT_INTERP program header (a dynamic one cannot run in the initramfs). */
function isStaticElf(b: Buffer): boolean {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  for (let i = 0; i < b.readUInt16LE(0x38); i++) if (b.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  return true;
}

function staticBusybox(): Buffer {
  for (const p of BUSYBOX_CANDIDATES) {
    if (!existsSync(p)) continue;
    const b = readFileSync(p);
    if (isStaticElf(b)) return b;
  }
  throw new Error(`bpfkit vm: no statically linked busybox (${BUSYBOX_CANDIDATES.join(', ')}): ${installHint()}`);
}

/** The cached initramfs for `kernel`, built on first use. */
export function guestInitramfs(kernel: PreparedKernel, progress: Progress): string {
  const busybox = staticBusybox();
  const order = readFileSync(join(kernel.modulesDir, 'order'), 'utf8').split('\n').filter(Boolean);
  const modules = order.map((f) => ({ f, data: readFileSync(join(kernel.modulesDir, f)) }));
  const hash = createHash('sha256').update(GUEST_INIT).update(busybox);
  for (const m of modules) hash.update(m.f).update(m.data);
  const out = join(kernel.dir, `initramfs-${hash.digest('hex').slice(0, 16)}.cpio`);
  if (existsSync(out)) return out;
  progress(`building the initramfs for ${kernel.release}`);
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'lower', 'rw', 'newroot', 'modules'].map((path): CpioEntry => ({ kind: 'dir', path })),
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'file', path: 'init', data: Buffer.from(GUEST_INIT), mode: 0o755 },
    { kind: 'file', path: 'modules/order', data: Buffer.from(order.map((f) => `${f}\n`).join('')) },
    ...modules.map((m): CpioEntry => ({ kind: 'file', path: `modules/${m.f}`, data: m.data })),
  ];
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, writeCpio(entries));
  renameSync(tmp, out);
  // Older initramfs builds of this kernel (an earlier init script or busybox) are never used again.
  for (const f of readdirSync(kernel.dir)) if (/^initramfs-.*\.cpio$/.test(f) && join(kernel.dir, f) !== out) rmSync(join(kernel.dir, f), { force: true });
  return out;
}
