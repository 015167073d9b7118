// The BPF fixtures (bpf/*.bpf.c) as built objects. `node-gyp rebuild` wipes build/, so a test builds the
// object it needs through the Makefile rule when it is missing or older than its source.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { features } from '../../src/kernel/features.js';
import { bpfObjectPath, packageRoot } from '../../src/package-root.js';

/** The path of build/bpf/NAME.bpf.o, built if needed; throws with make's output when it cannot be built. */
export function fixture(name: string): string {
  const out = bpfObjectPath(name);
  const src = join(packageRoot(), 'bpf', `${name}.bpf.c`);
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('make', ['-s', `build/bpf/${name}.bpf.o`], { cwd: packageRoot(), stdio: 'pipe' });
  }
  return out;
}

/** Why res-lock tests cannot run here (the kfunc needs Linux 6.15+), or undefined when they can. */
export function resLockSkipReason(): string | undefined {
  if (features.kfunc('bpf_res_spin_lock')) return undefined;
  return features.btf() ? 'kfunc bpf_res_spin_lock is missing (needs Linux 6.15+)' : 'no kernel BTF (/sys/kernel/btf/vmlinux) to find kfunc bpf_res_spin_lock in';
}

/** A 64-byte packet: enough for tc (≥ 14 bytes, an Ethernet header) and xdp. */
export function packet(bytes: ArrayLike<number> = []): Uint8Array {
  const p = new Uint8Array(64);
  p.set(bytes);
  return p;
}
