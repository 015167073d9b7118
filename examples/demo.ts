// `make demo`: every map type on the kernel (or the emulator where there is no BPF kernel), typed
// values written and read back; then the lock fixtures under real concurrency; then LRU eviction.
import { release } from 'node:os';
import { createMap, engineStatus, possibleCpus, resolveEngine, struct, u32, u64, type MapTypeName } from 'bpfkit';
import { printTable } from './table.js';

const engine = resolveEngine();
const cpus = possibleCpus(engine);
console.log(`bpfkit demo — engine: ${engine.kind}${engine.kind === 'kernel' ? ` (Linux ${release()})` : ''}, ${cpus} possible CPUs`);
if (engine.kind === 'emulator') {
  // Why the emulator: BPFKIT_ENGINE asked for it, or the kernel engine cannot work here (and why not).
  const status = engineStatus();
  const why = status.chosenBy === 'BPFKIT_ENGINE' ? 'The emulator was chosen (BPFKIT_ENGINE=emulator)' : `No BPF kernel here (${status.kernel.reasons.join('; ')})`;
  console.log(`${why}: maps and programs run on the emulator, its CPUs on worker threads.`);
}

// 1. Every map type, typed keys and values.
const flow = struct({ packets: u64, bytes: u64 });
const rows: string[][] = [];
for (const type of ['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'array', 'percpu_array'] as MapTypeName[]) {
  using map = createMap({ type: type as 'hash', key: u32, value: flow, maxEntries: 8, name: `demo_${type}`.slice(0, 15), engine });
  const perCpu = type.includes('percpu');
  const value = (k: number) => ({ packets: BigInt(k), bytes: BigInt(k * 1500) });
  for (const k of [1, 2, 3]) map.set(k, (perCpu ? Array.from({ length: cpus }, () => value(k)) : value(k)) as never);
  const back = map.get(2) as unknown;
  const shown = perCpu ? (back as { bytes: bigint }[]).map((v) => v.bytes).join('/') : String((back as { bytes: bigint }).bytes);
  const count = [...map.keys()].length;
  rows.push([type, String(map.info.id), `${map.info.keySize}/${map.info.valueSize}`, String(count), `key 2 → bytes ${shown}`]);
}
printTable(['type', 'id', 'key/value bytes', 'entries', 'read back'], rows);

// 2. The lock fixtures: spin lock and res spin lock under two concurrent runners (kernel CPUs, or the
// emulator's worker-thread CPUs).
{
  const { runLockDemo } = await import('./locks.js');
  await runLockDemo((line: string) => console.log(line), engine);
}

// 3. LRU eviction: insert 1..9 into an 8-entry LRU hash.
{
  using lru = createMap({ type: 'lru_hash', key: u32, value: u64, maxEntries: 8, name: 'demo_lru', engine });
  for (let k = 1; k <= 9; k++) lru.set(k, BigInt(k));
  const kept = [...lru.keys()].sort((a, b) => a - b);
  console.log(`\nLRU hash, max_entries 8, inserted keys 1..9 → survivors {${kept.join(', ')}} (${kept.length} keys).`);
  console.log('The kernel frees nodes in batches per CPU (bpf_lru_list.c), so more than one key can be evicted.');
}
