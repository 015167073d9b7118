// The QEMU command line for a guest run, and where QEMU and its firmware are.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PORTS, ROOT_TAG, RUN_PARAM } from './guest-init.js';

export type Accel = 'tcg' | 'kvm';

export interface QemuConfig {
  vmlinux: string;
  initramfs: string;
  cpus: number;
  /** QEMU's -m syntax: 2G, 1536M. */
  memory: string;
  accel: Accel;
  /** The host directory holding run.sh (read by the guest through the read-only root). */
  runDir: string;
  /** Unix socket paths QEMU connects the virtio serial ports to. */
  sockets: Record<keyof typeof PORTS, string>;
}

const QEMU = 'qemu-system-x86_64';
// qboot loads the kernel through the PVH entry in milliseconds where SeaBIOS takes about a second.
const QBOOT = ['/usr/share/qemu/qboot.rom', '/usr/share/qemu-efi/qboot.rom'];

export function qemuBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, QEMU))) return join(dir, QEMU);
  }
  return undefined;
}

export function qemuArgs(c: QemuConfig): string[] {
  const cmdline = [
    'console=ttyS0',
    'quiet',
    'loglevel=4',
    // The guest dies on a panic instead of hanging; with -no-reboot QEMU then exits (status 125 to the caller).
    'panic=-1',
    'mitigations=off',
    'random.trust_cpu=on',
    'rdinit=/init',
    `${RUN_PARAM}=${c.runDir}`,
  ].join(' ');
  const qboot = QBOOT.find((p) => existsSync(p));
  const args = [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-nic', 'none',
    '-machine', 'pc',
    ...(c.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp', String(c.cpus), '-m', c.memory,
    ...(qboot ? ['-bios', qboot] : []),
    '-kernel', c.vmlinux, '-initrd', c.initramfs, '-append', cmdline,
    // The console (kernel messages, init's diagnostics) is QEMU's stdout.
    '-serial', 'stdio',
    // readonly=on is enforced by QEMU, outside the guest: guest root cannot write the host's files.
    '-fsdev', `local,id=${ROOT_TAG},path=/,security_model=none,readonly=on,multidevs=remap`,
    '-device', `virtio-9p-pci,fsdev=${ROOT_TAG},mount_tag=${ROOT_TAG}`,
    '-device', 'virtio-serial-pci,id=vser',
  ];
  for (const [key, name] of Object.entries(PORTS) as [keyof typeof PORTS, string][]) {
    args.push('-chardev', `socket,id=${key},path=${c.sockets[key]}`);
    args.push('-device', `virtserialport,bus=vser.0,chardev=${key},name=${name}`);
  }
  return args;
}
