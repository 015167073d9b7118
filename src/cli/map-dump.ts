// `bpfkit map dump PIN_PATH | --id N`: every element of a kernel map as bytes, as `bpftool map dump` prints
// them (per-CPU maps: one value line per CPU; an LPM trie's keys as data/prefixlen, in get_next_key's postorder);
// a queue's or stack's next value, which stays in the map. A map with BTF for its key and value is decoded
// through it into JSON, as bpftool does (`--raw`: the bytes anyway).
import { listMain } from './list.js';
import { bytes } from '../codec/codec.js';
import { resolveEngine } from '../engine-select.js';
import { BpfError, subjectOf } from '../errors/errors.js';
import { hintFor } from '../errors/hints.js';
import { LPM_KEY_DATA_OFFSET, MapType, isKeyless, mapTypeName } from '../uapi/bpf.js';
import { PerCpuMap, wrapMapHandle } from '../map/map.js';
import { BloomFilterMap } from '../map/bloom.js';
import { wrapKeylessHandle } from '../map/wrap-keyless.js';
import { loadAddon } from '../kernel/binding.js';
import { parseBtf, BtfFormatError } from '../btf/types.js';
import { BtfCodecError, codecFromBtf } from '../btf/codecs.js';
import type { Codec } from '../codec/types.js';
import type { MapInfo } from '../seam/engine.js';

const usage = 'usage: bpfkit map dump [--raw] PIN_PATH | --id N\n';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** The dump's text for a map pinned at `path` or with this `id`, on the kernel engine. */
export function dumpMap(where: { path: string } | { id: number }, raw = false): string {
  const engine = resolveEngine('kernel', 'map dump');
  const syscall = 'path' in where ? 'BPF_OBJ_GET' : 'BPF_MAP_GET_FD_BY_ID';
  const handle = 'path' in where ? engine.openPinned(where.path) : engine.openMapById(where.id);
  if (typeof handle === 'number') {
    const path = 'path' in where ? where.path : undefined;
    throw new BpfError(syscall, handle, { subject: path ?? subjectOf({ mapId: (where as { id: number }).id }), path, hint: hintFor({ syscall, errno: handle, path, onBpffs: path !== undefined && engine.onBpffs?.(path) }) });
  }
  const { info } = handle;
  const lines = [`map ${info.id}: ${mapTypeName(info.type)} name ${info.name || '(none)'} key ${info.keySize}B value ${info.valueSize}B max_entries ${info.maxEntries}`];
  if (isKeyless(info.type)) {
    // No keys to walk: a queue or stack shows the value a pop would take (a peek takes nothing); a bloom filter
    // cannot list what it was given.
    using keyless = wrapKeylessHandle(handle, engine, bytes(info.valueSize));
    if (keyless instanceof BloomFilterMap) lines.push('a bloom filter cannot list its values (ask it about one: BloomFilterMap.has)');
    else {
      const next = keyless.peek();
      lines.push(next === undefined ? 'empty' : `next (peek): ${hex(next)}`);
    }
    return lines.join('\n') + '\n';
  }
  const decoded = raw || info.type === MapType.LpmTrie ? undefined : btfCodecs(info);
  if (decoded) {
    using typed = wrapMapHandle(handle, engine, decoded.key, decoded.value);
    const entries = [...typed.entries()].map(([key, value]) => ({ key, value }));
    return `${lines[0]}\n${toJson(entries)}\n`;
  }
  using map = wrapMapHandle(handle, engine, bytes(info.keySize), bytes(info.valueSize));
  const lpm = info.type === MapType.LpmTrie;
  let n = 0;
  for (const [key, value] of map.entries()) {
    n++;
    if (lpm) {
      // struct bpf_lpm_trie_key_u8: a host-order u32 prefixlen, then the data.
      const prefixlen = new DataView(key.buffer, key.byteOffset, key.length).getUint32(0, true);
      lines.push(`prefix: ${hex(key.subarray(LPM_KEY_DATA_OFFSET))}/${prefixlen}  value: ${hex(value as Uint8Array)}`);
    } else if (map instanceof PerCpuMap) {
      lines.push(`key: ${hex(key)}`);
      (value as unknown as Uint8Array[]).forEach((v, cpu) => lines.push(`  value (CPU ${String(cpu).padStart(2, '0')}): ${hex(v)}`));
    } else {
      lines.push(`key: ${hex(key)}  value: ${hex(value as Uint8Array)}`);
    }
  }
  lines.push(`Found ${n} element${n === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

/**
 * The key and value codecs the map's BTF gives (the kernel's copy of it, by id), or undefined: no BTF, or a
 * type without a codec (a bitfield, a packed struct: the dump falls back to bytes).
 */
function btfCodecs(info: MapInfo): { key: Codec<unknown>; value: Codec<unknown> } | undefined {
  if (!info.btfId || !info.btfValueTypeId) return undefined;
  const addon = loadAddon();
  if (addon instanceof Error) return undefined;
  let data = new Uint8Array(64 * 1024);
  let size = addon.btfById(info.btfId, data);
  if (size > data.length) size = addon.btfById(info.btfId, (data = new Uint8Array(size)));
  if (size < 0) return undefined;
  try {
    const btf = parseBtf(data.subarray(0, size));
    const key = info.btfKeyTypeId ? codecFromBtf(btf, info.btfKeyTypeId, 'key') : bytes(info.keySize);
    const value = codecFromBtf(btf, info.btfValueTypeId, 'value');
    return key.size === info.keySize && value.size === info.valueSize ? { key, value } : undefined;
  } catch (e) {
    if (e instanceof BtfCodecError || e instanceof BtfFormatError) return undefined;
    throw e;
  }
}

/** JSON with u64s as exact numbers (bpftool's) and byte arrays as numbers, indented as bpftool indents. */
function toJson(v: unknown): string {
  const text = JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n::bigint` : x instanceof Uint8Array ? [...x] : x), 4);
  return text.replace(/"(-?\d+)n::bigint"/g, '$1');
}

/** `map` verb: `dump` is its one subcommand today. */
export function mapMain(args: readonly string[]): number {
  const [sub, ...rest] = args;
  if (sub === 'list') return listMain('map', rest);
  if (sub !== 'dump') {
    process.stderr.write(`bpfkit map: unknown subcommand ${sub === undefined ? '(none)' : `'${sub}'`}\n${usage}`);
    return 2;
  }
  const raw = rest[0] === '--raw';
  if (raw) rest.shift();
  let where: { path: string } | { id: number };
  if (rest[0] === '--id' && rest.length === 2 && /^\d+$/.test(rest[1]!)) where = { id: Number(rest[1]) };
  else if (rest.length === 1 && !rest[0]!.startsWith('-')) where = { path: rest[0]! };
  else {
    process.stderr.write(usage);
    return 2;
  }
  try {
    process.stdout.write(dumpMap(where, raw));
    return 0;
  } catch (e) {
    process.stderr.write(`bpfkit map dump: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
