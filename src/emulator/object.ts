// The emulator's side of the object seam (src/engine.ts ObjectHandle/ProgramHandle): a `.bpf.o` parsed
// in TypeScript (programs/loader.ts), its maps created through the emulator's map code (so every kernel
// rule applies), its programs linked to those maps and run by the interpreter with the contexts
// BPF_PROG_TEST_RUN builds (programs/contexts.ts) and the kernel's helpers (programs/helpers.ts).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type {
  MapHandle, ObjectFailure, ObjectHandle, ObjectMapSpec, ProgramHandle, ProgramSpec, RawProgramHandle, RawProgramSpec,
  TestRunArgs,
} from '../engine.js';
import { EBADF, EBUSY, EINVAL, ENOENT, ENOEXEC, ENOTSUPP, errnoOfCode } from '../errno.js';
import { checkProgram, type CheckedMap, type CheckInput } from './checker/index.js';
import { inlinedLoopCalls } from './checker/loop-inline.js';
import { Emulator, EmulatorMapHandle } from './emulator.js';
import { mapOpResultIsInt } from './kernel-version.js';
import type { ProgramMap } from './program-map.js';
import { decodeInsns, LD_IMM64 } from './programs/isa.js';
import { kfuncByName } from './programs/kfuncs.js';
import { resolveExterns } from './programs/externs.js';
import { internalMapName, parseObject } from './programs/loader.js';
import { Memory } from './programs/memory.js';
import { runTest, type LinkedProgram, type RunOutcome } from './programs/test-run.js';
import type { Insn, MapDef, ParsedObject, ParsedProgram } from './programs/types.js';
import { sharedInt32 } from './shared.js';


const BPF_CALL = 0x85;
const PSEUDO = { MapFd: 1, MapValue: 2, KfuncCall: 2, MapIdx: 5, MapIdxValue: 6 } as const;
const BPF_F_RDONLY_PROG = 0x80;

/** What a program is made of, kept so a worker CPU (cpus.ts) can link it again on its own thread. */
export interface ProgramSource {
  name: string;
  type: number;
  insns: Insn[];
  relocs: ParsedProgram['relocs'];
  functions: ParsedProgram['functions'];
  lines: ParsedProgram['lines'];
  /** The maps it may refer to: by name (object programs) or by index (raw programs). */
  maps: { name?: string; index?: number; map: ProgramMap }[];
  /** The Emulator's kernelVersion when it was loaded: the load-time rewrites follow it (linkProgram). */
  kernelVersion: string;
  /** The bpf_loop calls the verifier would inline, decided once at load (checker/loop-inline.ts). */
  inlinedLoopCalls: number[];
}

/** A loaded program across threads: a key the worker CPUs cache it by, its source, its closed flag (shared). */
export interface ProgramState {
  key: number;
  source: ProgramSource;
  /** [0] becomes 1 when the program is closed: runs in flight stop between repeats with EINTR. */
  cancel: Int32Array;
}

let nextProgramKey = 1;

function programState(source: ProgramSource): ProgramState {
  return { key: nextProgramKey++, source, cancel: sharedInt32(1) };
}

/** Links a program to this thread's view of its maps. */
export function linkProgram(source: ProgramSource, mapOf: (ref: { name?: string; index?: number }) => ProgramMap | undefined): LinkedProgram | ObjectFailure {
  const memory = new Memory();
  const insns = link(source.name, source.insns, memory, mapOf, source.relocs);
  if (!Array.isArray(insns)) return insns;
  const exec = {
    insns, name: source.name, functions: source.functions, mapOpResultIsInt: mapOpResultIsInt(source.kernelVersion),
    inlinedLoopCalls: new Set(source.inlinedLoopCalls),
  };
  return { exec, memory, lines: source.lines, type: source.type };
}

/** libbpf bpf_object__resolve_externs (before any map exists): the `.kconfig` map's bytes, or the failure. */
function withKconfig(parsed: ParsedObject, kernelVersion: string): MapDef[] | ObjectFailure {
  if (!parsed.externs) return parsed.maps;
  const kconfigName = internalMapName(parsed.name, '.kconfig');
  const kconfig = parsed.maps.find((m) => m.internal && m.name === kconfigName);
  const bytes = resolveExterns(parsed.externs, kconfig?.valueSize ?? 0, kernelVersion);
  if (!(bytes instanceof Uint8Array)) return { errno: bytes.errno, syscall: 'bpf_object__load', detail: bytes.detail };
  return parsed.maps.map((m) => (m === kconfig ? { ...m, initial: bytes } : m));
}

/** Patches map references into tagged pointers and checks every call the program makes. */
function link(
  name: string, insns: Insn[], memory: Memory, mapOf: (ref: { name?: string; index?: number }) => ProgramMap | undefined,
  relocs: ParsedProgram['relocs'],
): Insn[] | ObjectFailure {
  const out = insns.map((i) => ({ ...i }));
  const fail = (detail: string, errno = EINVAL): ObjectFailure => ({ errno, syscall: 'BPF_PROG_LOAD', program: name, detail });
  const setImm64 = (at: number, value: bigint): void => {
    out[at]!.imm = Number(BigInt.asIntN(32, value & 0xffffffffn));
    out[at + 1]!.imm = Number(BigInt.asIntN(32, value >> 32n));
    out[at]!.src = 0;
  };
  const byInsn = new Map(relocs.map((r) => [r.insn, r]));
  for (let i = 0; i < out.length; i++) {
    const insn = out[i]!;
    const reloc = byInsn.get(i);
    if (insn.code === LD_IMM64) {
      if (i + 1 >= out.length) return fail(`ld_imm64 at insn ${i} has no second half`);
      // A __kconfig variable is an address in the `.kconfig` map, filled by resolveExterns (withKconfig).
      const kconfig = reloc?.kind === 'extern' && reloc.externKind === 'kconfig' && reloc.map !== undefined;
      if (reloc?.kind === 'map' || reloc?.kind === 'mapValue' || kconfig || insn.src === PSEUDO.MapIdx || insn.src === PSEUDO.MapIdxValue) {
        const map = reloc && 'map' in reloc && reloc.map !== undefined ? mapOf({ name: reloc.map }) : mapOf({ index: insn.imm });
        if (!map) return fail(`insn ${i} refers to a map that does not exist`);
        if (reloc?.kind === 'map' || insn.src === PSEUDO.MapIdx) {
          setImm64(i, mapPointer(memory, map));
        } else {
          const offset = reloc?.kind === 'mapValue' || kconfig ? (reloc as { offset: number }).offset : out[i + 1]!.imm;
          if (map.info.type !== 2 || offset < 0 || offset >= map.info.valueSize) return fail(`insn ${i}: direct value access needs an array map and an offset inside its value`);
          setImm64(i, globalPointer(memory, map) + BigInt(offset));
        }
      } else if (reloc?.kind === 'extern') {
        // A __ksym variable that got past resolveExterns is a weak one nobody has: libbpf's plain 0.
        setImm64(i, 0n);
      } else if (insn.src === PSEUDO.MapFd || insn.src === PSEUDO.MapValue) {
        return fail(`insn ${i}: map fds do not exist on the emulator; refer to maps by index (BPF_PSEUDO_MAP_IDX)`, EBADF);
      }
      i++;
      continue;
    }
    if (insn.code === BPF_CALL) {
      // Helpers the emulator lacks are refused by the load-time checker (checker/structure.ts).
      if (insn.src === PSEUDO.KfuncCall) {
        // The kernel knows a kfunc by its vmlinux BTF id; the emulator by the extern's name (kfuncs.ts).
        const id = reloc?.kind === 'kfunc' ? kfuncByName.get(reloc.name) : undefined;
        if (id === undefined) return fail(`kfunc ${reloc?.kind === 'kfunc' ? reloc.name : `#${insn.imm}`} is not emulated`, ENOTSUPP);
        insn.imm = id;
      }
    }
  }
  return out;
}

/** What the load-time checker needs of a map. */
function checkedHandle(map: EmulatorMapHandle): CheckedMap {
  const { info, shape } = map;
  const kind = map.lockKind;
  return {
    name: info.name, type: info.type, keySize: info.keySize, valueSize: info.valueSize, flags: info.flags,
    hasBtf: info.btfId !== 0 || kind !== undefined,
    locks: kind === undefined ? [] : [{ kind, offset: shape.lockOffset }],
  };
}

const mapPointers = new WeakMap<Memory, Map<ProgramMap, { map: bigint; value?: bigint }>>();

function pointersOf(memory: Memory, map: ProgramMap): { map: bigint; value?: bigint } {
  let byMap = mapPointers.get(memory);
  if (!byMap) mapPointers.set(memory, (byMap = new Map()));
  let p = byMap.get(map);
  if (!p) byMap.set(map, (p = { map: memory.addRegion({ name: `map '${map.info.name}'`, size: 0, handle: map }, 'static') }));
  return p;
}

function mapPointer(memory: Memory, map: ProgramMap): bigint {
  return pointersOf(memory, map).map;
}

/** Global data: element 0 of a one-element array, addressed directly (BPF_PSEUDO_MAP_VALUE). */
function globalPointer(memory: Memory, map: ProgramMap): bigint {
  const p = pointersOf(memory, map);
  const table = map.table;
  p.value ??= memory.addRegion({
    name: `map '${map.info.name}' value`,
    size: map.info.valueSize,
    writable: (map.info.flags & BPF_F_RDONLY_PROG) === 0,
    bytes: () => table.values,
    base: () => 0,
  }, 'static');
  return p.value;
}

/** One program of an emulated object (or a raw one). */
class EmulatorProgram implements ProgramHandle {
  readonly name: string;
  readonly type: number;
  readonly #linked: LinkedProgram;
  readonly #emulator: Emulator;
  readonly #state: ProgramState;
  #r0 = 0n;
  #fault: string | undefined;

  constructor(linked: LinkedProgram, emulator: Emulator, state: ProgramState) {
    this.name = linked.exec.name;
    this.type = linked.type;
    this.#linked = linked;
    this.#emulator = emulator;
    this.#state = state;
  }

  get #closed(): boolean {
    return this.#state.cancel[0] !== 0;
  }

  lastR0(): bigint {
    return this.#r0;
  }

  /** Where the last run faulted: the instruction and its C source line. */
  lastFault(): string | undefined {
    return this.#fault;
  }

  /** On this thread, as the emulator's current CPU. */
  testRun(a: TestRunArgs): number {
    if (this.#closed) return EBADF;
    const emu = this.#emulator;
    return this.#settle(runTest(this.#linked, emu.helperContext(), emu.mainCpuLocks, a));
  }

  /** On one of the emulator's worker CPUs (cpus.ts): runs overlap in time as on several kernel CPUs. */
  async testRunAsync(a: TestRunArgs): Promise<number> {
    if (this.#closed) return EBADF;
    return this.#settle(await this.#emulator.cpus.run(this.#state, a));
  }

  #settle(outcome: RunOutcome): number {
    this.#r0 = outcome.r0;
    this.#fault = outcome.fault;
    return outcome.rc;
  }
}

/** A program from raw instructions: its maps are the caller's (by index), and it owns nothing else. */
class EmulatorRawProgram extends EmulatorProgram implements RawProgramHandle {
  readonly #state: ProgramState;
  readonly #emulator: Emulator;

  constructor(linked: LinkedProgram, emulator: Emulator, state: ProgramState) {
    super(linked, emulator, state);
    this.#state = state;
    this.#emulator = emulator;
  }

  get closed(): boolean {
    return this.#state.cancel[0] !== 0;
  }

  close(): void {
    closeProgram(this.#emulator, this.#state);
  }
}

/** Marks a program closed (its runs in flight stop with EINTR) and lets the worker CPUs forget it. */
function closeProgram(emulator: Emulator, state: ProgramState): void {
  if (Atomics.exchange(state.cancel, 0, 1) === 0) emulator.forgetProgram(state);
}

export function loadEmulatorProgram(emulator: Emulator, spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
  const maps: EmulatorMapHandle[] = [];
  for (const [i, m] of spec.maps.entries()) {
    if (!(m instanceof EmulatorMapHandle) || m.closed) return { errno: EBADF, syscall: 'BPF_PROG_LOAD', program: spec.name, detail: `maps[${i}] is not an open map of this emulator` };
    maps.push(m);
  }
  const decoded = decodeInsns(spec.insns);
  const checked: CheckInput = {
    name: spec.name, type: spec.type, insns: decoded, relocs: [], functions: [], kernelVersion: emulator.kernelVersion,
    mapOf: (ref) => (ref.index === undefined || !maps[ref.index] ? undefined : checkedHandle(maps[ref.index]!)),
  };
  const refused = checkProgram(checked);
  if (refused) return { errno: refused.errno, syscall: 'BPF_PROG_LOAD', program: spec.name, log: refused.log };
  const source: ProgramSource = {
    name: spec.name, type: spec.type, insns: decoded, relocs: [], functions: [], lines: new Map(),
    maps: maps.map((map, index) => ({ index, map })), kernelVersion: emulator.kernelVersion,
    inlinedLoopCalls: inlinedLoopCalls(checked),
  };
  const linked = linkProgram(source, (ref) => (ref.index === undefined ? undefined : maps[ref.index]));
  if (!('exec' in linked)) return linked;
  return new EmulatorRawProgram(linked, emulator, programState(source));
}

/** One `.bpf.o` on the emulator. */
export class EmulatorObject implements ObjectHandle {
  readonly #emulator: Emulator;
  readonly #parsed: ParsedObject;
  readonly #autoload = new Map<string, boolean>();
  readonly #reused = new Map<string, EmulatorMapHandle>();
  readonly #maps = new Map<string, EmulatorMapHandle>();
  readonly #programs = new Map<string, EmulatorProgram>();
  readonly #states: ProgramState[] = [];
  #loaded = false;
  #closed = false;

  constructor(emulator: Emulator, parsed: ParsedObject) {
    this.#emulator = emulator;
    this.#parsed = parsed;
    for (const p of parsed.programs) this.#autoload.set(p.name, p.autoload);
  }

  get closed(): boolean {
    return this.#closed;
  }

  maps(): ObjectMapSpec[] {
    return this.#parsed.maps.map((d) => {
      // A reused map's definition is the reused map's (libbpf bpf_map__reuse_fd reads it from the fd).
      const info = this.#reused.get(d.name)?.info;
      const spec: ObjectMapSpec = {
        name: d.name, type: info?.type ?? d.type, keySize: info?.keySize ?? d.keySize, valueSize: info?.valueSize ?? d.valueSize,
        maxEntries: info?.maxEntries ?? d.maxEntries, flags: info?.flags ?? d.flags, internal: d.internal,
      };
      const lock = d.locks[0]?.kind;
      if (lock) spec.lock = lock;
      return spec;
    });
  }

  programs(): ProgramSpec[] {
    return this.#parsed.programs.map((p) => ({ name: p.name, section: p.section, type: p.type, autoload: this.#autoload.get(p.name)! }));
  }

  setAutoload(program: string, autoload: boolean): ObjectFailure | undefined {
    if (this.#loaded) return { errno: EBUSY, syscall: 'bpf_program__set_autoload', program };
    if (!this.#autoload.has(program)) return { errno: ENOENT, syscall: 'bpf_program__set_autoload', program };
    this.#autoload.set(program, autoload);
    return undefined;
  }

  reuseMap(name: string, map: MapHandle): ObjectFailure | undefined {
    if (!(map instanceof EmulatorMapHandle) || map.closed) return { errno: EBADF, syscall: 'bpf_map__reuse_fd', map: name, detail: 'not an open map of the emulator' };
    if (!this.#parsed.maps.some((m) => m.name === name)) return { errno: ENOENT, syscall: 'bpf_map__reuse_fd', map: name };
    const copy = this.#emulator.openMapById(map.info.id);
    if (typeof copy === 'number') return { errno: copy, syscall: 'bpf_map__reuse_fd', map: name };
    this.#reused.get(name)?.close();
    this.#reused.set(name, copy);
    return undefined;
  }

  load(): ObjectFailure | undefined {
    if (this.#loaded) return { errno: EBUSY, syscall: 'bpf_object__load' };
    const defs = withKconfig(this.#parsed, this.#emulator.kernelVersion);
    if (!Array.isArray(defs)) return defs;
    for (const def of defs) {
      const failure = this.#createMap(def);
      if (failure) {
        this.#closeMaps();
        return failure;
      }
    }
    const maps = [...this.#maps].map(([name, map]) => ({ name, map }));
    for (const p of this.#parsed.programs) {
      if (!this.#autoload.get(p.name)) continue;
      const checked: CheckInput = {
        name: p.name, type: p.type, insns: p.insns, relocs: p.relocs, functions: p.functions, kernelVersion: this.#emulator.kernelVersion,
        mapOf: (ref) => {
          const def = ref.name === undefined ? undefined : this.#parsed.maps.find((m) => m.name === ref.name);
          const map = ref.name === undefined ? undefined : this.#maps.get(ref.name);
          return def && map ? { ...checkedHandle(map), hasBtf: def.btfValueTypeId !== 0 } : undefined;
        },
      };
      const refused = checkProgram(checked);
      if (refused) {
        this.#closeMaps();
        return { errno: refused.errno, syscall: 'BPF_PROG_LOAD', program: p.name, log: refused.log };
      }
      const source: ProgramSource = {
        name: p.name, type: p.type, insns: p.insns, relocs: p.relocs, functions: p.functions, lines: p.lines, maps,
        kernelVersion: this.#emulator.kernelVersion, inlinedLoopCalls: inlinedLoopCalls(checked),
      };
      const linked = linkProgram(source, (ref) => (ref.name === undefined ? undefined : this.#maps.get(ref.name)));
      if (!('exec' in linked)) {
        this.#closeMaps();
        return linked;
      }
      const state = programState(source);
      this.#states.push(state);
      this.#programs.set(p.name, new EmulatorProgram(linked, this.#emulator, state));
    }
    this.#loaded = true;
    return undefined;
  }

  #createMap(def: MapDef): ObjectFailure | undefined {
    const reused = this.#reused.get(def.name);
    if (reused) {
      this.#maps.set(def.name, reused);
      return undefined;
    }
    const handle = this.#emulator.createMap({
      type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags,
      name: def.name, numaNode: def.numaNode, ...(def.locks.length > 0 ? { locks: def.locks, btf: { data: new Uint8Array(0), keyTypeId: def.btfKeyTypeId, valueTypeId: def.btfValueTypeId } } : {}),
    });
    if (typeof handle === 'number') return { errno: handle, syscall: 'BPF_MAP_CREATE', map: def.name };
    this.#maps.set(def.name, handle);
    if (def.initial) {
      // libbpf bpf_object__populate_internal_map: the section's bytes into element 0, then .rodata frozen.
      const rc = handle.update(new Uint8Array(4), def.initial, 0);
      if (rc < 0) return { errno: rc, syscall: 'BPF_MAP_UPDATE_ELEM', map: def.name };
      if (def.readonly) handle.freeze();
    }
    return undefined;
  }

  mapHandle(name: string): MapHandle | number {
    if (this.#closed) return EBADF;
    const map = this.#maps.get(name);
    return map ? this.#emulator.openMapById(map.info.id) : ENOENT;
  }

  program(name: string): ProgramHandle | number {
    if (this.#closed) return EBADF;
    return this.#programs.get(name) ?? ENOENT;
  }

  /** Unloads: runs in flight stop between repeats (EINTR), and the maps nobody else holds go. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const state of this.#states) closeProgram(this.#emulator, state);
    this.#closeMaps();
  }

  #closeMaps(): void {
    for (const m of this.#maps.values()) m.close();
    for (const m of this.#reused.values()) m.close();
    this.#maps.clear();
    this.#reused.clear();
  }
}

/** Reads and parses the object; a file that is not a BPF ELF is ENOEXEC with the reason. */
export function openEmulatorObject(emulator: Emulator, path: string): ObjectHandle | ObjectFailure {
  let parsed: ParsedObject;
  try {
    parsed = parseObject(readFileSync(path), basename(path));
  } catch (e) {
    const errno = errnoOfCode((e as NodeJS.ErrnoException).code);
    if (errno !== undefined) return { errno, syscall: 'bpf_object__open' };
    return { errno: ENOEXEC, syscall: 'bpf_object__open', detail: (e as Error).message };
  }
  return new EmulatorObject(emulator, parsed);
}
