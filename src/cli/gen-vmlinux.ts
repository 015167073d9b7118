// `bpfkit gen vmlinux [--kernel-btf PATH] > vmlinux.h`: every type of a kernel as C, for BPF programs that
// use kernel structs (CO-RE). It is bpftool's `btf dump file PATH format c`, from the running kernel's
// /sys/kernel/btf/vmlinux by default, or from another kernel's BTF: a raw BTF file or an ELF vmlinux with
// a .BTF section (such as one a `bpfkit vm` kernel unpacks to).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where a kernel built with CONFIG_DEBUG_INFO_BTF exposes its BTF. */
export const RUNNING_KERNEL_BTF = '/sys/kernel/btf/vmlinux';
const usage = 'usage: bpfkit gen vmlinux [--kernel-btf PATH] > vmlinux.h\n';
/** vmlinux.h is a few MB: room for far more. */
const MAX_OUTPUT = 256 * 1024 * 1024;

export function genVmlinuxMain(args: readonly string[]): number {
  let btf = RUNNING_KERNEL_BTF;
  if (args.length === 2 && args[0] === '--kernel-btf') btf = args[1]!;
  else if (args.length !== 0) {
    process.stderr.write(usage);
    return 2;
  }
  if (!existsSync(btf)) {
    const why = btf === RUNNING_KERNEL_BTF ? ' (this kernel was built without CONFIG_DEBUG_INFO_BTF, or this is not Linux); give another kernel\'s with --kernel-btf PATH' : '';
    process.stderr.write(`bpfkit gen vmlinux: ${btf} does not exist${why}\n`);
    return 1;
  }
  const run = spawnSync('bpftool', ['btf', 'dump', 'file', btf, 'format', 'c'], { maxBuffer: MAX_OUTPUT });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    process.stderr.write(`bpfkit gen vmlinux: ${missing ? 'bpftool is not installed (Debian/Ubuntu: apt-get install bpftool)' : run.error.message}\n`);
    return 1;
  }
  if (run.status !== 0) {
    process.stderr.write(`bpfkit gen vmlinux: bpftool could not read BTF from ${btf}: ${run.stderr.toString().trim().split('\n').join('; ')}\n`);
    return 1;
  }
  process.stdout.write(run.stdout);
  return 0;
}
