// What the running kernel supports, asked of the kernel itself and cached per process. Off Linux, or
// where bpf() is not permitted, every probe answers false (kernelRelease still answers).
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { MapFlags, MapType, isCgroupStorage, isKeyless, keylessMapTypeByName, mapTypeByName, type KeylessMapTypeName, type MapTypeName } from '../uapi/bpf.js';
import { BtfKind, decodeBtf } from '../btf/decode.js';
import { getKernelEngine, kernelUnavailableReasons } from './engine.js';
import { loadAddon } from './binding.js';
import { ProgramType } from '../uapi/program-type.js';
import { BPF_FUNC_MAX_ID, helperIdByName } from '../uapi/helpers.js';
import { lastMeaningfulLine } from '../errors/verifier-log.js';

const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';
const cache = new Map<string, boolean>();
let vmlinuxFuncs: Set<string> | undefined;

function cached(key: string, probe: () => boolean): boolean {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = probe()));
  return v;
}

const kernelUsable = (): boolean => kernelUnavailableReasons().length === 0;

/** '6.12.117+deb12-amd64' → [6, 12, 117]; a missing part is 0. */
function parseKernelVersion(text: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new RangeError(`features: '${text}' is not a kernel version (MAJOR.MINOR[.PATCH])`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export const features = {
  /** uname -r */
  kernelRelease(): string {
    return release();
  },

  /**
   * The running kernel's version, [major, minor, patch], parsed from uname -r (6.1.0-57-amd64 → [6, 1, 0]).
   * For behaviour that changed between versions without a probe to ask (an errno, a verifier message).
   */
  kernelVersion(): readonly [number, number, number] {
    return parseKernelVersion(release());
  },

  /** The running kernel is at least `version` ('6.12', '6.1.90'). */
  kernelAtLeast(version: string): boolean {
    const want = parseKernelVersion(version);
    const have = features.kernelVersion();
    for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i]! > want[i]!;
    return true;
  },

  /**
   * The running kernel's 'MAJOR.MINOR', the form `new Emulator({ kernelVersion })` takes: an emulator built
   * with it answers where versions differ as this kernel does (src/emulator/kernel-version.ts).
   */
  emulatorKernelVersion(): string {
    const [major, minor] = features.kernelVersion();
    return `${major}.${minor}`;
  },

  /** The kernel has BTF for itself (needed for kfuncs such as bpf_res_spin_lock). */
  btf(): boolean {
    return process.platform === 'linux' && existsSync(VMLINUX_BTF);
  },

  /** A map of this type can be created (a 1-entry map is created and closed). */
  mapType(type: MapTypeName | KeylessMapTypeName | number): boolean {
    const id = typeof type === 'number' ? type : (mapTypeByName[type as MapTypeName] ?? keylessMapTypeByName[type as KeylessMapTypeName]);
    if (id === undefined) throw new TypeError(`unknown map type '${String(type)}'`);
    return cached(`map:${id}`, () => {
      if (!kernelUsable()) return false;
      // What each type insists on (libbpf probe_map_create): queues, stacks and bloom filters have no keys
      // (key_size 0); a prog array's values are 4-byte fds; cgroup storage has a u64 key and max_entries 0; an
      // LPM trie's key is a u32 prefixlen and at least a byte of data, and it must be created BPF_F_NO_PREALLOC
      // (kernel/bpf/lpm_trie.c trie_alloc).
      const lpm = id === MapType.LpmTrie;
      const keySize = isKeyless(id) ? 0 : isCgroupStorage(id) || lpm ? 8 : 4;
      const valueSize = id === MapType.ProgArray ? 4 : 8;
      const maxEntries = isCgroupStorage(id) ? 0 : 1;
      const flags = lpm ? MapFlags.NoPrealloc : 0;
      const h = getKernelEngine().createMap({ type: id, keySize, valueSize, maxEntries, flags, name: '', numaNode: 0 });
      if (typeof h === 'number') return false;
      h.close();
      return true;
    });
  },

  /** A program of this type loads (libbpf_probe_bpf_prog_type). */
  programType(type: keyof typeof ProgramType | number): boolean {
    const id = typeof type === 'number' ? type : ProgramType[type];
    if (id === undefined) throw new TypeError(`unknown program type '${String(type)}'`);
    return cached(`prog:${id}`, () => {
      const addon = loadAddon();
      if (!kernelUsable() || addon instanceof Error) return false;
      return addon.probeProgramType(id) === 1;
    });
  },

  /**
   * A program of this type may call this helper, named as in C ('bpf_xdp_adjust_meta') or by id: a program
   * calling it is loaded, and only the verifier's refusal of the call itself ("program of this type cannot
   * use helper", "unknown func", "invalid func") means no. libbpf_probe_bpf_helper does not know the first
   * of these (6.x's words), and a kernel's build may refuse helpers its source offers.
   */
  helper(type: keyof typeof ProgramType | number, helper: string | number): boolean {
    const id = typeof type === 'number' ? type : ProgramType[type];
    if (id === undefined) throw new TypeError(`features.helper: unknown program type '${String(type)}'`);
    const helperId = typeof helper === 'number' ? helper : helperIdByName(helper.replace(/^bpf_/, ''));
    if (!Number.isInteger(helperId) || helperId <= 0 || helperId >= BPF_FUNC_MAX_ID) throw new RangeError(`features.helper: unknown helper ${JSON.stringify(helper)}`);
    return cached(`helper:${id}:${helperId}`, () => {
      if (!kernelUsable()) return false;
      // call helperId; r0 = 0; exit
      const insns = new Uint8Array(24);
      const view = new DataView(insns.buffer);
      view.setUint8(0, 0x85);
      view.setInt32(4, helperId, true);
      view.setUint8(8, 0xb7);
      view.setUint8(16, 0x95);
      const h = getKernelEngine().loadProgram!({ type: id, insns, license: 'GPL', name: 'probe', maps: [], verifier: { logLevel: 0, flags: 0 } });
      if (!('errno' in h)) {
        h.close();
        return true;
      }
      return !/^(program of this type cannot use helper|unknown func|invalid func)/.test(lastMeaningfulLine(h.log ?? ''));
    });
  },

  /** The kernel's BTF has a function of this name (kfuncs are listed there). */
  kfunc(name: string): boolean {
    if (!features.btf()) return false;
    if (!vmlinuxFuncs) {
      vmlinuxFuncs = new Set(decodeBtf(readFileSync(VMLINUX_BTF)).filter((t) => t.kind === BtfKind.Func).map((t) => t.name));
    }
    return vmlinuxFuncs.has(name);
  },
};
