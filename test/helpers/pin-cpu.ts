// LRU eviction depends on which CPU's free lists the syscall draws from (bpf_lru_list.c), so tests that
// compare exact LRU survivors pin the test's own thread to CPU 0 for their duration.
import { execFileSync } from 'node:child_process';

export function pinToCpu0(): () => void {
  const before = execFileSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' }).split(':').pop()!.trim();
  execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  return () => execFileSync('taskset', ['-p', '-c', before, String(process.pid)], { stdio: 'ignore' });
}
