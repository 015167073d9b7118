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
import { errnoByCode } from '../errno.js';
import { checkProgram, type CheckedMap } from './checker/index.js';
import { Emulator, EmulatorMapHandle } from './emulator.js';
import { prepareContext } from './programs/contexts.js';
import { callHelper, emulatedHelpers, helperName, type HelperContext } from './programs/helpers.js';
import { execute, type ExecEnv, type ExecProgram } from './programs/interpreter.js';
import { decodeInsns } from './programs/isa.js';
import { parseObject } from './programs/loader.js';
import { Memory, ProgramFault } from './programs/memory.js';
import type { Insn, MapDef, ParsedObject, ParsedProgram } from './programs/types.js';

const EINVAL = -errnoByCode.EINVAL;
const EBADF = -errnoByCode.EBADF;
const EFAULT = -errnoByCode.EFAULT;
const ENOENT = -errnoByCode.ENOENT;
const ENOSPC = -errnoByCode.ENOSPC;
const ENOTSUPP = -errnoByCode.ENOTSUPP;
const EBUSY = -errnoByCode.EBUSY;

const BPF_LD_IMM64 = 0x18;
const BPF_CALL = 0x85;
const PSEUDO = { MapFd: 1, MapValue: 2, KfuncCall: 2, MapIdx: 5, MapIdxValue: 6 } as const;
const BPF_F_RDONLY_PROG = 0x80;
const BPF_PROG_TYPE_SYSCALL = 31;

/** What one program needs at run time, shared by every run of it. */
interface Linked {
  exec: ExecProgram;
  memory: Memory;
  lines: ParsedProgram['lines'];
}

/** Patches map references into tagged pointers and checks every call the program makes. */
function link(
  name: string, insns: Insn[], memory: Memory, mapOf: (ref: { name?: string; index?: number }) => EmulatorMapHandle | undefined,
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
    if (insn.code === BPF_LD_IMM64) {
      if (i + 1 >= out.length) return fail(`ld_imm64 at insn ${i} has no second half`);
      if (reloc?.kind === 'map' || reloc?.kind === 'mapValue' || insn.src === PSEUDO.MapIdx || insn.src === PSEUDO.MapIdxValue) {
        const map = reloc && 'map' in reloc ? mapOf({ name: reloc.map }) : mapOf({ index: insn.imm });
        if (!map) return fail(`insn ${i} refers to a map that does not exist`);
        if (reloc?.kind === 'map' || insn.src === PSEUDO.MapIdx) {
          setImm64(i, mapPointer(memory, map));
        } else {
          const offset = reloc?.kind === 'mapValue' ? reloc.offset : out[i + 1]!.imm;
          if (map.info.type !== 2 || offset < 0 || offset >= map.info.valueSize) return fail(`insn ${i}: direct value access needs an array map and an offset inside its value`);
          setImm64(i, globalPointer(memory, map) + BigInt(offset));
        }
      } else if (reloc?.kind === 'extern') {
        return fail(`extern ${reloc.name} (${reloc.externKind}) cannot be resolved by the emulator`, ENOTSUPP);
      } else if (insn.src === PSEUDO.MapFd || insn.src === PSEUDO.MapValue) {
        return fail(`insn ${i}: map fds do not exist on the emulator; refer to maps by index (BPF_PSEUDO_MAP_IDX)`, EBADF);
      }
      i++;
      continue;
    }
    if (insn.code === BPF_CALL) {
      if (insn.src === 0 && !emulatedHelpers.has(insn.imm)) return fail(`helper ${helperName(insn.imm)} (#${insn.imm}) is not emulated`, ENOTSUPP);
      if (insn.src === PSEUDO.KfuncCall) {
        const kfunc = reloc?.kind === 'kfunc' ? reloc.name : `#${insn.imm}`;
        return fail(`kfunc ${kfunc} is not emulated yet`, ENOTSUPP);
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

const mapPointers = new WeakMap<Memory, Map<EmulatorMapHandle, { map: bigint; value?: bigint }>>();

function pointersOf(memory: Memory, map: EmulatorMapHandle): { map: bigint; value?: bigint } {
  let byMap = mapPointers.get(memory);
  if (!byMap) mapPointers.set(memory, (byMap = new Map()));
  let p = byMap.get(map);
  if (!p) byMap.set(map, (p = { map: memory.addRegion({ name: `map '${map.info.name}'`, size: 0, handle: map }, 'static') }));
  return p;
}

function mapPointer(memory: Memory, map: EmulatorMapHandle): bigint {
  return pointersOf(memory, map).map;
}

/** Global data: element 0 of a one-element array, addressed directly (BPF_PSEUDO_MAP_VALUE). */
function globalPointer(memory: Memory, map: EmulatorMapHandle): bigint {
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
  readonly #linked: Linked;
  readonly #emulator: Emulator;
  readonly #closed: () => boolean;
  #r0 = 0n;
  #fault: string | undefined;

  constructor(name: string, type: number, linked: Linked, emulator: Emulator, closed: () => boolean) {
    this.name = name;
    this.type = type;
    this.#linked = linked;
    this.#emulator = emulator;
    this.#closed = closed;
  }

  lastR0(): bigint {
    return this.#r0;
  }

  /** Where the last run faulted: the instruction and its C source line. */
  lastFault(): string | undefined {
    return this.#fault;
  }

  testRun(a: TestRunArgs): number {
    if (this.#closed()) return EBADF;
    this.#fault = undefined;
    const syscall = this.type === BPF_PROG_TYPE_SYSCALL;
    // net/bpf/test_run.c: cpu and flags are refused (EINVAL) by the skb and syscall runners and need
    // BPF_F_TEST_RUN_ON_CPU / live frames elsewhere, which the emulator does not model.
    if (a.cpu !== 0 || a.flags !== 0) return EINVAL;
    const memory = this.#linked.memory;
    const mark = memory.mark();
    try {
      const prepared = prepareContext(this.type, { data: a.data, ctx: a.ctx }, memory);
      if (typeof prepared === 'number') return prepared;
      const runs = Math.max(1, a.repeat);
      const env = this.#env(memory, prepared.skbData);
      const start = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) this.#r0 = execute(this.#linked.exec, env, prepared.r1);
      const duration = Number((process.hrtime.bigint() - start) / BigInt(runs));
      a.out[0] = Number(this.#r0 & 0xffffffffn);
      a.out[1] = Math.min(duration, 0xffffffff);
      let rc = 0;
      const data = prepared.dataOut();
      if (data && a.dataOut) {
        // bpf_test_finish: copy what fits, report the full size, ENOSPC when it did not fit.
        a.dataOut.set(data.subarray(0, a.dataOut.length));
        a.out[2] = data.length;
        if (data.length > a.dataOut.length) rc = ENOSPC;
      }
      const ctx = prepared.ctxOut();
      if (ctx && a.ctxOut) {
        // bpf_ctx_finish: as for data, what fits is copied and a shorter buffer is ENOSPC (a syscall
        // program's context is written back whole, to where it came from).
        a.ctxOut.set(ctx.subarray(0, a.ctxOut.length));
        a.out[3] = ctx.length;
        if (!syscall && ctx.length > a.ctxOut.length) rc = ENOSPC;
      }
      return rc;
    } catch (e) {
      if (!(e instanceof ProgramFault)) throw e;
      const line = this.#linked.lines.get(e.insn);
      this.#fault = `${e.reason} at insn ${e.insn}${line ? ` (${line.file}:${line.line}: ${line.text.trim()})` : ''}`;
      return EFAULT;
    } finally {
      memory.release(mark);
    }
  }

  testRunAsync(a: TestRunArgs): Promise<number> {
    // One thread for now: the run happens before the promise settles (worker CPUs come with the locks work).
    return new Promise((resolve) => setImmediate(() => resolve(this.testRun(a))));
  }

  #env(memory: Memory, skbData: Uint8Array | undefined): ExecEnv {
    const emu = this.#emulator;
    const helpers: HelperContext = {
      cpu: emu.currentCpu,
      task: emu.task,
      random: () => emu.random(),
      trace: (line) => emu.trace(line),
    };
    if (skbData) helpers.skbData = skbData;
    return {
      memory,
      callHelper: (id, vm) => callHelper(id, vm, helpers),
      callKfunc: () => {
        throw new ProgramFault('kfuncs are not emulated yet');
      },
    };
  }
}

/** A program from raw instructions: its maps are the caller's (by index), and it owns nothing else. */
class EmulatorRawProgram extends EmulatorProgram implements RawProgramHandle {
  readonly #state: { closed: boolean };

  constructor(name: string, type: number, linked: Linked, emulator: Emulator, state: { closed: boolean }) {
    super(name, type, linked, emulator, () => state.closed);
    this.#state = state;
  }

  get closed(): boolean {
    return this.#state.closed;
  }

  close(): void {
    this.#state.closed = true;
  }
}

export function loadEmulatorProgram(emulator: Emulator, spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
  const maps: EmulatorMapHandle[] = [];
  for (const [i, m] of spec.maps.entries()) {
    if (!(m instanceof EmulatorMapHandle) || m.closed) return { errno: EBADF, syscall: 'BPF_PROG_LOAD', program: spec.name, detail: `maps[${i}] is not an open map of this emulator` };
    maps.push(m);
  }
  const decoded = decodeInsns(spec.insns);
  const refused = checkProgram({
    name: spec.name, type: spec.type, insns: decoded, relocs: [], functions: [],
    mapOf: (ref) => (ref.index === undefined || !maps[ref.index] ? undefined : checkedHandle(maps[ref.index]!)),
  });
  if (refused) return { errno: refused.errno, syscall: 'BPF_PROG_LOAD', program: spec.name, log: refused.log };
  const memory = new Memory();
  const insns = link(spec.name, decoded, memory, (ref) => (ref.index === undefined ? undefined : maps[ref.index]), []);
  if (!Array.isArray(insns)) return insns;
  const linked: Linked = { exec: { insns, name: spec.name }, memory, lines: new Map() };
  return new EmulatorRawProgram(spec.name, spec.type, linked, emulator, { closed: false });
}

/** One `.bpf.o` on the emulator. */
export class EmulatorObject implements ObjectHandle {
  readonly #emulator: Emulator;
  readonly #parsed: ParsedObject;
  readonly #autoload = new Map<string, boolean>();
  readonly #reused = new Map<string, EmulatorMapHandle>();
  readonly #maps = new Map<string, EmulatorMapHandle>();
  readonly #programs = new Map<string, EmulatorProgram>();
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
    for (const def of this.#parsed.maps) {
      const failure = this.#createMap(def);
      if (failure) {
        this.#closeMaps();
        return failure;
      }
    }
    const memory = new Memory();
    for (const p of this.#parsed.programs) {
      if (!this.#autoload.get(p.name)) continue;
      const refused = checkProgram({
        name: p.name, type: p.type, insns: p.insns, relocs: p.relocs, functions: p.functions,
        mapOf: (ref) => {
          const def = ref.name === undefined ? undefined : this.#parsed.maps.find((m) => m.name === ref.name);
          const map = ref.name === undefined ? undefined : this.#maps.get(ref.name);
          return def && map ? { ...checkedHandle(map), hasBtf: def.btfValueTypeId !== 0 } : undefined;
        },
      });
      if (refused) {
        this.#closeMaps();
        return { errno: refused.errno, syscall: 'BPF_PROG_LOAD', program: p.name, log: refused.log };
      }
      const insns = link(p.name, p.insns, memory, (ref) => (ref.name === undefined ? undefined : this.#maps.get(ref.name)), p.relocs);
      if (!Array.isArray(insns)) {
        this.#closeMaps();
        return insns;
      }
      const linked: Linked = { exec: { insns, name: p.name, functions: p.functions }, memory, lines: p.lines };
      this.#programs.set(p.name, new EmulatorProgram(p.name, p.type, linked, this.#emulator, () => this.#closed));
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
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
    const code = (e as NodeJS.ErrnoException).code;
    if (code && code in errnoByCode) return { errno: -errnoByCode[code as keyof typeof errnoByCode], syscall: 'bpf_object__open' };
    return { errno: -errnoByCode.ENOEXEC, syscall: 'bpf_object__open', detail: (e as Error).message };
  }
  return new EmulatorObject(emulator, parsed);
}
