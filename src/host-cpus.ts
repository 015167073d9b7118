// The host kernel's possible CPUs, read from sysfs: per-CPU buffers have one slot per possible CPU
// (kernel/bpf/syscall.c bpf_map_value_size: round_up(value_size, 8) * num_possible_cpus()).
import { existsSync, readFileSync } from 'node:fs';

const POSSIBLE = '/sys/devices/system/cpu/possible';

/** How many CPUs /sys/devices/system/cpu/possible lists ("0-1", "0,2-3"); undefined where there is no such file. */
export function hostPossibleCpus(): number | undefined {
  if (process.platform !== 'linux' || !existsSync(POSSIBLE)) return undefined;
  let n = 0;
  for (const part of readFileSync(POSSIBLE, 'utf8').trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a! + 1;
  }
  return n > 0 ? n : undefined;
}
