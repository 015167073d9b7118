// `bpfkit doctor`: can the kernel engine work here, and if not, what to do. One row per check; exit 0 when
// the kernel engine works, 1 when it does not (the emulator still does).
import { readFileSync } from 'node:fs';
import { engineStatus } from '../engine-select.js';
import { features } from '../kernel/features.js';
import { loadAddon } from '../kernel/binding.js';
import { keylessMapTypeByName, mapTypeByName, type KeylessMapTypeName, type MapTypeName } from '../uapi/bpf.js';
import { formatTable } from './table.js';

type Status = 'ok' | 'FAIL' | 'warn' | '-';
type Row = [check: string, status: Status, detail: string];

/** include/uapi/linux/capability.h bit numbers. */
const CAP = { NET_ADMIN: 12, SYS_ADMIN: 21, PERFMON: 38, BPF: 39 } as const;

/** The effective capability set of this process (/proc/self/status CapEff), or undefined off Linux. */
function effectiveCaps(): bigint | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

/** Mount points of bpf filesystems (/proc/mounts type "bpf"). */
function bpffsMounts(): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'bpf').map((f) => f[1]!);
  } catch {
    return [];
  }
}

export function doctorRows(): Row[] {
  const rows: Row[] = [];
  const linux = process.platform === 'linux';
  const major = Number(process.versions.node.split('.')[0]);
  rows.push(['node', major >= 20 ? 'ok' : 'FAIL', `${process.version}${major >= 20 ? '' : ' (bpfkit needs Node >= 20)'}`]);
  rows.push(['platform', linux ? 'ok' : 'FAIL', linux ? 'linux' : `${process.platform}: only the emulator engine runs here`]);
  const binding = loadAddon();
  rows.push(['native addon', binding instanceof Error ? 'FAIL' : 'ok', binding instanceof Error ? binding.message : 'loaded']);
  rows.push(['kernel release', linux ? 'ok' : '-', features.kernelRelease()]);

  const caps = effectiveCaps();
  const has = (bit: number) => caps !== undefined && ((caps >> BigInt(bit)) & 1n) === 1n;
  if (caps === undefined) rows.push(['capabilities', '-', 'unknown (no /proc/self/status)']);
  else {
    const names = Object.entries(CAP).filter(([, bit]) => has(bit)).map(([n]) => `CAP_${n}`);
    const enough = has(CAP.SYS_ADMIN) || has(CAP.BPF);
    rows.push(['capabilities', enough ? 'ok' : 'FAIL', `${process.getuid?.() === 0 ? 'root; ' : ''}${names.join(' ') || 'none of CAP_BPF/CAP_PERFMON/CAP_NET_ADMIN/CAP_SYS_ADMIN'}`]);
  }

  const status = engineStatus();
  rows.push(['bpf()', status.kernel.available ? 'ok' : 'FAIL', status.kernel.available ? 'a map was created and closed' : status.kernel.reasons.join('; ')]);
  const mounts = bpffsMounts();
  rows.push(['bpffs', mounts.length > 0 ? 'ok' : 'warn', mounts.length > 0 ? mounts.join(', ') : 'none mounted: pins need one (sudo mount -t bpf bpf /sys/fs/bpf)']);
  rows.push(['BTF', features.btf() ? 'ok' : 'warn', features.btf() ? '/sys/kernel/btf/vmlinux' : 'no /sys/kernel/btf/vmlinux: kfuncs cannot be found']);

  if (status.kernel.available) {
    for (const name of [...Object.keys(mapTypeByName), ...Object.keys(keylessMapTypeByName)] as (MapTypeName | KeylessMapTypeName)[]) {
      rows.push([`map type ${name}`, features.mapType(name) ? 'ok' : 'FAIL', features.mapType(name) ? 'creatable' : 'not creatable']);
    }
    for (const prog of ['SchedCls', 'Xdp', 'SocketFilter', 'Syscall'] as const) {
      rows.push([`program type ${prog}`, features.programType(prog) ? 'ok' : 'warn', features.programType(prog) ? 'loads' : 'does not load']);
    }
    const res = features.kfunc('bpf_res_spin_lock');
    rows.push(['kfunc bpf_res_spin_lock', res ? 'ok' : 'warn', res ? 'in vmlinux BTF' : 'missing (Linux 6.15+)']);
  }
  const why = status.chosenBy === 'BPFKIT_ENGINE' ? 'BPFKIT_ENGINE' : status.kernel.available ? 'the kernel engine works' : 'the kernel engine is unavailable';
  rows.push(['default engine', status.engine === 'kernel' ? 'ok' : 'warn', `${status.engine} (${why})`]);
  for (const r of status.kernel.remedies) rows.push(['to fix', '-', r]);
  return rows;
}

/** Prints the table; 0 when the kernel engine works here, 1 when it does not. */
export function doctorMain(args: readonly string[]): number {
  if (args.length > 0) {
    process.stderr.write(`bpfkit doctor: takes no arguments, got ${args.join(' ')}\n`);
    return 2;
  }
  const rows = doctorRows();
  process.stdout.write(formatTable(['check', 'status', 'detail'], rows));
  return engineStatus().kernel.available ? 0 : 1;
}
