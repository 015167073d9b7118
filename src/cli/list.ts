// `bpfkit map list` and `bpfkit prog list`: every map or program the kernel has, one per line as bpftool's
// `map show` / `prog show` print them (id, type, name; a map's sizes, a program's tag), on the kernel engine.
import { loadAddon, type Addon } from '../kernel/binding.js';
import { resolveEngine } from '../engine-select.js';
import { mapTypeName } from '../uapi/bpf.js';
import { ENOENT, errnoCode } from '../uapi/errno.js';
import { decodeProgInfo, PROG_INFO_SIZE } from '../uapi/prog-info.js';
import { programTypeName } from '../uapi/program-type.js';

/** A type name as libbpf spells it (libbpf_bpf_prog_type_str): 'SchedCls' → 'sched_cls'. */
const snake = (name: string): string => name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();

/** Every id of a kind (0 maps, 1 programs) in the kernel's order (BPF_*_GET_NEXT_ID), or the errno that stopped the walk. */
function ids(addon: Addon, kind: 0 | 1): number[] {
  const out: number[] = [];
  for (let id = 0; ;) {
    const next = addon.nextId(kind, id);
    if (next === ENOENT) return out;
    if (next < 0) throw new Error(`BPF_${kind === 0 ? 'MAP' : 'PROG'}_GET_NEXT_ID failed: ${errnoCode(next)}`);
    out.push((id = next));
  }
}

/** The kernel engine (its own error where it cannot work here) and its addon. */
function kernel(verb: string): { engine: ReturnType<typeof resolveEngine>; addon: Addon } {
  const engine = resolveEngine('kernel', verb);
  return { engine, addon: loadAddon() as Addon };
}

/** The lines of `bpfkit map list`: a map gone between the walk and its opening is skipped, as bpftool does. */
export function listMaps(): string {
  const { engine, addon } = kernel('map list');
  const lines: string[] = [];
  for (const id of ids(addon, 0)) {
    const handle = engine.openMapById(id);
    if (typeof handle === 'number') continue;
    const i = handle.info;
    handle.close();
    lines.push(`${i.id}: ${mapTypeName(i.type)}  name ${i.name || '(none)'}  flags 0x${i.flags.toString(16)}`);
    lines.push(`\tkey ${i.keySize}B  value ${i.valueSize}B  max_entries ${i.maxEntries}${i.btfId ? `  btf_id ${i.btfId}` : ''}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The lines of `bpfkit prog list`. */
export function listPrograms(): string {
  const { addon } = kernel('prog list');
  const lines: string[] = [];
  const bytes = new Uint8Array(PROG_INFO_SIZE);
  for (const id of ids(addon, 1)) {
    bytes.fill(0);
    if (addon.progInfoById(id, bytes) < 0) continue;
    const p = decodeProgInfo(bytes);
    lines.push(`${p.id}: ${snake(programTypeName(p.type))}  name ${p.name || '(none)'}  tag ${p.tag}`);
    lines.push(`\tuid ${p.createdByUid}  map_ids ${p.mapCount}${p.btfId ? `  btf_id ${p.btfId}` : ''}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** `bpfkit map list` / `bpfkit prog list`: 0, or 1 with the reason on stderr. */
export function listMain(kind: 'map' | 'prog', args: readonly string[]): number {
  if (args.length > 0) {
    process.stderr.write(`usage: bpfkit ${kind} list\n`);
    return 2;
  }
  try {
    process.stdout.write(kind === 'map' ? listMaps() : listPrograms());
    return 0;
  } catch (e) {
    process.stderr.write(`bpfkit ${kind} list: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
