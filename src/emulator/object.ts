// The emulator's side of the object seam (src/seam/engine.ts ObjectHandle/ProgramHandle): a `.bpf.o` parsed
// in TypeScript (elf/object.ts), its maps created through the emulator's map code (so every kernel
// rule applies), its programs linked to those maps and run by the interpreter with the contexts
// BPF_PROG_TEST_RUN builds (programs/contexts.ts) and the kernel's helpers (programs/helpers.ts).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type {
  MapAttrs, MapHandle, ObjectFailure, ObjectHandle, ObjectMapSpec, ProgramHandle, ProgramSpec, RawProgramHandle, RawProgramSpec,
  TestRunArgs, VerifierOptions,
} from '../seam/engine.js';
import { EBADF, EBUSY, EINVAL, ENOENT, ENOEXEC, ENOTSUPP, ESRCH, errnoOfCode } from '../uapi/errno.js';
import { decodeInsns, LD_IMM64, PseudoLd } from '../uapi/isa.js';
import { ProgFlags } from '../uapi/prog-flags.js';
import { KernelProgramType } from '../uapi/program-type.js';
import { kfuncAvailable, logLevelMask, netfilterProgramType, progLoadFlags } from './kernel-version.js';
import { BPF_OBJ_NAME_LEN, KernelMapType, MapFlags } from '../uapi/bpf.js';
import { unemulatedMap } from './maps/create.js';
import { internalMapName, ObjectFormatError, parseObject } from '../elf/object.js';
import { checkBtfInfo } from './checker/btf-info.js';
import { allocSizes } from './checker/local-objects.js';
import type { ObjectHeap } from './object-heap.js';
import { btfLoadRefusal } from './btf-load.js';
import { checkProgram, isVerified } from './checker/index.js';
import { licenseIsGplCompatible } from '../uapi/license.js';
import type { CheckedMap, CheckFailure, CheckInput } from './checker/types.js';
import { inlinedLoopCalls } from './checker/loop-inline.js';
import type { CpuLocks } from './cpus/spin-locks.js';
import { linkProgram } from './link.js';
import { attachTypeRefusal } from './load-attach.js';
import { EmulatorMapHandle } from './map-handle.js';
import { calleeOf, programState, type ProgramSource, type ProgramState } from './program-state.js';
import { ProgArrayTable } from './maps/prog-array.js';
import { MapInMapTable } from './maps/map-in-map.js';
import type { ProgramMap } from './maps/program-map.js';
import { applyCoreRelocs } from './programs/core.js';
import { resolveExterns } from './programs/externs.js';
import type { HelperContext } from './programs/helpers.js';
import { ProgramRunner, runTest, type LinkedProgram, type RunContext, type RunOutcome } from './programs/test-run.js';
import type { MapDef, ParsedObject } from '../elf/spec.js';
import type { CoverageRecorder } from './coverage/recorder.js';

/**
 * What objects and programs ask of the emulator that loads them (emulator.ts implements it): its kernel
 * version, its maps, and its CPUs — this thread for synchronous runs, the emulated CPUs for the others.
 */
export interface ProgramHost {
  readonly kernelVersion: string;
  /** Where bpf_obj_new's objects live (object-heap.ts). */
  readonly objects: ObjectHeap;
  createMap(attrs: MapAttrs): EmulatorMapHandle | number;
  openMapById(id: number): EmulatorMapHandle | number;
  /** What helpers see on this thread (the current CPU, the task, the random stream, the trace log). */
  helperContext(): HelperContext & RunContext;
  /** The locks this thread's synchronous runs take. */
  readonly mainCpuLocks: CpuLocks;
  /** Runs on one of the emulated CPUs (cpus/cpus.ts). */
  runOnCpu(state: ProgramState, args: TestRunArgs): Promise<RunOutcome>;
  /** A loaded program: prog arrays on this thread may now be given its id. */
  registerProgram(state: ProgramState): void;
  /** A closed program: the emulated CPUs drop their copies of it. */
  forgetProgram(state: ProgramState): void;
  /** Where its programs' coverage goes, when it records coverage (EmulatorOptions.coverage). */
  readonly coverageRecorder: CoverageRecorder | undefined;
}

/**
 * The maps a program refers to (the kernel's used_maps, which resolve_pseudo_ldimm64 collects from every
 * ld_imm64 of a map before the verifier runs).
 */
function usedMaps(source: ProgramSource): ProgramMap[] {
  const names = new Set(source.relocs.flatMap((r) => ('map' in r && r.map !== undefined ? [r.map] : [])));
  const indexes = new Set<number>();
  const insns = source.insns;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (insn.code !== LD_IMM64) continue;
    if (insn.src === PseudoLd.MapIdx || insn.src === PseudoLd.MapIdxValue) indexes.add(insn.imm);
    i++; // its second half
  }
  return source.maps.filter((m) => (m.name !== undefined && names.has(m.name)) || (m.index !== undefined && indexes.has(m.index))).map((m) => m.map);
}

/**
 * kernel/bpf/core.c bpf_check_tail_call, once the verifier passed the program (bpf_prog_select_runtime): every
 * prog array it uses must be able to run it (__bpf_prog_map_compatible; the first user becomes the owner).
 */
function tailCallRefusal(source: ProgramSource): ObjectFailure | undefined {
  const callee = calleeOf(source);
  const map = usedMaps(source).find((m) => m.table instanceof ProgArrayTable && !m.table.compatible(callee));
  if (!map) return undefined;
  return { errno: EINVAL, syscall: 'BPF_PROG_LOAD', program: source.name, detail: `prog array '${map.info.name}' holds programs of another type, attach type or frags flag (bpf_check_tail_call)` };
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

/**
 * libbpf bpf_object__resolve_ksym_func_btf_id, with the other externs before anything is created: a kfunc
 * the kernel version does not have fails the load (ESRCH), whichever programs load. A __weak one libbpf
 * poisons instead (poison_kfunc_call), and the verifier then judges a program that loads with the call
 * unresolved: a verdict this model does not give, so the emulator says so (ENOTSUPP) rather than load what
 * the kernel may refuse.
 */
function missingKfunc(parsed: ParsedObject, kernelVersion: string, autoload: (program: string) => boolean): ObjectFailure | undefined {
  const missing = parsed.programs.flatMap((p) => p.relocs.flatMap((r) => (r.kind === 'kfunc' && !kfuncAvailable(r.name, kernelVersion) ? [{ p, r }] : [])));
  const strong = missing.find(({ r }) => !r.weak);
  if (strong) return { errno: ESRCH, syscall: 'bpf_object__load', detail: `extern (func ksym) '${strong.r.name}': not found in kernel or module BTFs` };
  const weak = missing.find(({ p }) => autoload(p.name));
  if (!weak) return undefined;
  return { errno: ENOTSUPP, syscall: 'bpf_object__load', program: weak.p.name, detail: `kfunc '${weak.r.name}' is not in Linux ${kernelVersion}: libbpf poisons the __weak extern's calls, and the emulator does not judge a program with one` };
}

/** What the load-time checker needs of a map. */
function checkedHandle(map: EmulatorMapHandle): CheckedMap {
  const { info, shape } = map;
  const kind = map.lockKind;
  const checked: CheckedMap = {
    name: info.name, type: info.type, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.flags,
    hasBtf: info.btfId !== 0 || kind !== undefined,
    locks: kind === undefined ? [] : [{ kind, offset: shape.lockOffset }],
  };
  const directRead = directReadOf(map);
  if (directRead !== undefined) checked.directRead = directRead;
  // A map-in-map's inner maps are known to the verifier by the template (inner_map_meta, which has no name).
  const table = map.table;
  if (table instanceof MapInMapTable) {
    const m = table.state.meta;
    checked.inner = {
      name: '', type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, hasBtf: m.lockKind !== undefined,
      locks: m.lockKind === undefined ? [] : [{ kind: m.lockKind, offset: m.lockOffset }],
    };
  }
  return checked;
}

/**
 * kernel/bpf/verifier.c bpf_map_is_rdonly: BPF_F_RDONLY_PROG and frozen (the emulator maps nothing writable,
 * so no write is active); then kernel/bpf/arraymap.c array_map_direct_value_addr, the one map type whose
 * contents the verifier reads: an array of one element gives its value, a longer one ENOTSUPP.
 */
function directReadOf(map: EmulatorMapHandle): Uint8Array | number | undefined {
  const { info } = map;
  if (!(info.flags & MapFlags.RdonlyProg) || !map.frozen || info.type !== KernelMapType.Array) return undefined;
  if (info.maxEntries !== 1) return ENOTSUPP;
  const value = new Uint8Array(info.valueSize);
  return map.lookup(new Uint8Array(4), value, 0) === 0 ? value : undefined;
}

/** One program of an emulated object (or a raw one). */
class EmulatorProgram implements ProgramHandle {
  readonly name: string;
  readonly type: number;
  readonly #linked: LinkedProgram;
  readonly #emulator: ProgramHost;
  readonly #state: ProgramState;
  #fault: string | undefined;
  /** What this thread's synchronous runs of the program reuse (made at the first). */
  #runner: ProgramRunner | undefined;

  readonly #log: string;

  constructor(linked: LinkedProgram, emulator: ProgramHost, state: ProgramState, log: string) {
    this.#log = log;
    this.name = linked.exec.name;
    this.type = linked.type;
    this.#linked = linked;
    this.#emulator = emulator;
    this.#state = state;
  }

  verifierLog(): string {
    return this.#log;
  }

  get #closed(): boolean {
    return this.#state.cancel[0] !== 0;
  }

  id(): number {
    return this.#closed ? EBADF : this.#state.key;
  }

  progArrayValue(): number {
    return this.id();
  }

  /** Where the last run faulted: the instruction and its C source line. */
  lastFault(): string | undefined {
    return this.#fault;
  }

  /** On this thread, as the emulator's current CPU. */
  testRun(a: TestRunArgs): number {
    if (this.#closed) return EBADF;
    const emu = this.#emulator;
    const base = emu.helperContext();
    this.#runner ??= new ProgramRunner(this.#linked, base);
    return this.#settle(a, runTest(this.#runner, base, emu.mainCpuLocks, a));
  }

  /** On one of the emulator's worker CPUs (cpus/cpus.ts): runs overlap in time as on several kernel CPUs. */
  async testRunAsync(a: TestRunArgs): Promise<number> {
    if (this.#closed) return EBADF;
    return this.#settle(a, await this.#emulator.runOnCpu(this.#state, a));
  }

  #settle(a: TestRunArgs, outcome: RunOutcome): number {
    if (a.r0) a.r0[0] = BigInt.asUintN(64, outcome.r0);
    this.#fault = outcome.fault;
    return outcome.rc;
  }
}

/** A program from raw instructions: its maps are the caller's (by index), and it owns nothing else. */
class EmulatorRawProgram extends EmulatorProgram implements RawProgramHandle {
  readonly #state: ProgramState;
  readonly #emulator: ProgramHost;

  constructor(linked: LinkedProgram, emulator: ProgramHost, state: ProgramState, log: string) {
    super(linked, emulator, state, log);
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
function closeProgram(emulator: ProgramHost, state: ProgramState): void {
  if (Atomics.exchange(state.cancel, 0, 1) === 0) emulator.forgetProgram(state);
}

/**
 * A checker's refusal as the seam's failure: the verifier's log for a verdict, or for what the emulator
 * cannot run (ENOTSUPP, after the kernel's checks passed) the reason alone, so it is not a verifier error.
 */
function refusalFailure(refused: CheckFailure, program: string): ObjectFailure {
  if (refused.notEmulated) return { errno: ENOTSUPP, syscall: 'BPF_PROG_LOAD', program, detail: refused.log.trim() };
  return { errno: refused.errno, syscall: 'BPF_PROG_LOAD', program, log: refused.log };
}

/**
 * kernel/bpf/syscall.c bpf_prog_load and kernel/bpf/log.c bpf_vlog_init: a prog_flags bit or a log level this
 * kernel does not know is EINVAL, before the verifier.
 */
function verifierOptionsRefusal(kernelVersion: string, options: VerifierOptions, program: string): ObjectFailure | undefined {
  const unknown = options.flags & ~progLoadFlags(kernelVersion);
  const detail = unknown !== 0 ? `prog_flags 0x${(unknown >>> 0).toString(16)} unknown to Linux ${kernelVersion}`
    : options.logLevel & ~logLevelMask(kernelVersion) ? `log_level ${options.logLevel} unknown to Linux ${kernelVersion}` : undefined;
  return detail === undefined ? undefined : { errno: EINVAL, syscall: 'BPF_PROG_LOAD', program, detail };
}

/**
 * kernel/bpf/syscall.c bpf_prog_load: an expected_attach_type the program type does not load with
 * (bpf_prog_load_check_attach, load-attach.ts), then a program type this kernel does not have (find_prog_type),
 * are EINVAL.
 */
function programTypeRefusal(kernelVersion: string, type: number, attachType: number, program: string): ObjectFailure | undefined {
  const attach = attachTypeRefusal(type, attachType, kernelVersion);
  if (attach !== undefined) return { errno: EINVAL, syscall: 'BPF_PROG_LOAD', program, detail: attach };
  if (type !== KernelProgramType.Netfilter || netfilterProgramType(kernelVersion)) return undefined;
  return { errno: EINVAL, syscall: 'BPF_PROG_LOAD', program, detail: `program type Netfilter is unknown to Linux ${kernelVersion}` };
}

/** A program's coverage counters (ProgramSource.coverage) when its Emulator records coverage. */
function coverageOf(emulator: ProgramHost, insns: number): Pick<ProgramSource, 'coverage'> {
  const recorder = emulator.coverageRecorder;
  return recorder ? { coverage: recorder.counters(insns) } : {};
}

/** A program that loaded, with counters: its coverage is reported from now on. */
function recordCoverage(emulator: ProgramHost, source: ProgramSource, object?: string): void {
  if (!source.coverage) return;
  emulator.coverageRecorder?.add({
    name: source.name, insns: source.insns, lines: source.lines, functions: source.functions, counters: source.coverage,
    ...(object !== undefined ? { object } : {}),
  });
}

/** The verifier's options as the checker takes them. */
function verifierInput(options: VerifierOptions | undefined): Pick<CheckInput, 'logLevel' | 'progFlags' | 'sleepable'> {
  const flags = options?.flags ?? 0;
  return { logLevel: options?.logLevel ?? 0, progFlags: flags, sleepable: (flags & ProgFlags.Sleepable) !== 0 };
}

export function loadEmulatorProgram(emulator: ProgramHost, spec: RawProgramSpec): RawProgramHandle | ObjectFailure {
  const maps: EmulatorMapHandle[] = [];
  for (const [i, m] of spec.maps.entries()) {
    if (!(m instanceof EmulatorMapHandle) || m.closed) return { errno: EBADF, syscall: 'BPF_PROG_LOAD', program: spec.name, detail: `maps[${i}] is not an open map of this emulator` };
    maps.push(m);
  }
  const optionsRefused = (spec.verifier && verifierOptionsRefusal(emulator.kernelVersion, spec.verifier, spec.name))
    || programTypeRefusal(emulator.kernelVersion, spec.type, spec.expectedAttachType ?? 0, spec.name);
  if (optionsRefused) return optionsRefused;
  const decoded = decodeInsns(spec.insns);
  const checked: CheckInput = {
    name: spec.name, type: spec.type, attachType: spec.expectedAttachType ?? 0, gpl: licenseIsGplCompatible(spec.license),
    insns: decoded, relocs: [], functions: [], kernelVersion: emulator.kernelVersion, ...verifierInput(spec.verifier),
    mapOf: (ref) => (ref.index === undefined || !maps[ref.index] ? undefined : checkedHandle(maps[ref.index]!)),
  };
  const verdict = checkProgram(checked);
  if (!isVerified(verdict)) return refusalFailure(verdict, spec.name);
  const source: ProgramSource = {
    name: spec.name, type: spec.type, insns: decoded, relocs: [], functions: [], lines: new Map(),
    maps: maps.map((map, index) => ({ index, map })), kernelVersion: emulator.kernelVersion, objectHeap: emulator.objects.buffer,
    inlinedLoopCalls: inlinedLoopCalls(checked), expectedAttachType: spec.expectedAttachType ?? 0,
    xdpHasFrags: ((spec.verifier?.flags ?? 0) & ProgFlags.XdpHasFrags) !== 0, maxCtxOffset: verdict.maxCtxOffset,
    ...coverageOf(emulator, decoded.length),
  };
  const linked = linkProgram(source, (ref) => (ref.index === undefined ? undefined : maps[ref.index]));
  if (!('exec' in linked)) return linked;
  const refused = tailCallRefusal(source);
  if (refused) return refused;
  recordCoverage(emulator, source);
  const state = programState(source);
  emulator.registerProgram(state);
  return new EmulatorRawProgram(linked, emulator, state, verdict.log);
}

/** One `.bpf.o` on the emulator. */
export class EmulatorObject implements ObjectHandle {
  readonly #emulator: ProgramHost;
  readonly #parsed: ParsedObject;
  /** The kernel would refuse the object's BTF, so libbpf loads without it. */
  #withoutBtf = false;
  readonly #autoload = new Map<string, boolean>();
  readonly #verifierOptions = new Map<string, VerifierOptions>();
  /** Internal maps' values set before load (setInitialValue), in place of their sections' bytes. */
  readonly #initial = new Map<string, Uint8Array>();
  /** Program types set in place of the sections' (bpf_program__set_type). */
  readonly #types = new Map<string, number>();
  readonly #reused = new Map<string, EmulatorMapHandle>();
  readonly #maps = new Map<string, EmulatorMapHandle>();
  readonly #programs = new Map<string, EmulatorProgram>();
  readonly #states: ProgramState[] = [];
  #loaded = false;
  #closed = false;

  constructor(emulator: ProgramHost, parsed: ParsedObject) {
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
    return this.#parsed.programs.map((p) => ({ name: p.name, section: p.section, type: this.#types.get(p.name) ?? p.type, autoload: this.#autoload.get(p.name)! }));
  }

  setAutoload(program: string, autoload: boolean): ObjectFailure | undefined {
    if (this.#loaded) return { errno: EBUSY, syscall: 'bpf_program__set_autoload', program };
    if (!this.#autoload.has(program)) return { errno: ENOENT, syscall: 'bpf_program__set_autoload', program };
    this.#autoload.set(program, autoload);
    return undefined;
  }

  setVerifierOptions(program: string, options: VerifierOptions): ObjectFailure | undefined {
    if (this.#loaded) return { errno: EBUSY, syscall: 'bpf_program__set_log_level', program };
    if (!this.#autoload.has(program)) return { errno: ENOENT, syscall: 'bpf_program__set_log_level', program };
    this.#verifierOptions.set(program, options);
    return undefined;
  }

  setProgramType(program: string, type: number): ObjectFailure | undefined {
    if (this.#loaded) return { errno: EBUSY, syscall: 'bpf_program__set_type', program };
    if (!this.#autoload.has(program)) return { errno: ENOENT, syscall: 'bpf_program__set_type', program };
    this.#types.set(program, type);
    return undefined;
  }

  initialValue(map: string): Uint8Array | number {
    const def = this.#parsed.maps.find((m) => m.name === map);
    if (!def) return ENOENT;
    const initial = this.#initial.get(map) ?? def.initial;
    return initial ? initial.slice() : EINVAL;
  }

  /** libbpf bpf_map__set_initial_value: a data section's map (not .kconfig), the whole value, before load. */
  setInitialValue(map: string, bytes: Uint8Array): ObjectFailure | undefined {
    const fail = (errno: number): ObjectFailure => ({ errno, syscall: 'bpf_map__set_initial_value', map });
    if (this.#loaded || this.#reused.has(map)) return fail(EBUSY);
    const def = this.#parsed.maps.find((m) => m.name === map);
    if (!def) return fail(ENOENT);
    if (!def.initial || bytes.length !== def.valueSize) return fail(EINVAL);
    this.#initial.set(map, bytes.slice());
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
    const kfunc = missingKfunc(this.#parsed, this.#emulator.kernelVersion, (name) => this.#autoload.get(name) === true);
    if (kfunc) return kfunc;
    // libbpf bpf_object__sanitize_and_load_btf: BTF the kernel refuses is "optional, ignoring" — maps are
    // created and programs loaded without it (emulator/btf-load.ts answers as BPF_BTF_LOAD).
    const kernelBtf = this.#parsed.kernelBtf;
    this.#withoutBtf = kernelBtf !== undefined && btfLoadRefusal(kernelBtf, this.#emulator.kernelVersion) !== undefined;
    // A map type the kernel has and the emulator does not: its programs are still verified (the kernel's
    // verdict comes first), then the load fails with ENOTSUPP.
    let unemulated: ObjectFailure | undefined;
    for (const def of defs) {
      const unemulatedType = unemulatedMap(def.type, this.#withoutBtf ? 0 : def.kptrs?.length ?? 0);
      if (unemulatedType !== undefined) {
        unemulated ??= { errno: ENOTSUPP, syscall: 'BPF_MAP_CREATE', map: def.name, detail: unemulatedType };
        continue;
      }
      const failure = this.#createMap(this.#withoutBtf ? { ...def, locks: [], kptrs: [], btfKeyTypeId: 0, btfValueTypeId: 0 } : def);
      if (failure) {
        this.#closeMaps();
        return failure;
      }
    }
    const filled = unemulated ? undefined : this.#fillMapsInMaps(defs);
    if (filled) {
      this.#closeMaps();
      return filled;
    }
    const relocated = this.#relocate();
    if (relocated) {
      this.#closeMaps();
      return relocated;
    }
    const maps = [...this.#maps].map(([name, map]) => ({ name, map }));
    for (const parsed of this.#parsed.programs) {
      if (!this.#autoload.get(parsed.name)) continue;
      const p = { ...parsed, type: this.#types.get(parsed.name) ?? parsed.type };
      // kernel/bpf/verifier.c check_btf_info, before the program is walked: it also decides which
      // subprograms are global (by their FUNC's linkage; without func_info, none).
      const types = this.#withoutBtf ? undefined : this.#parsed.types;
      const btfInfo = types && checkBtfInfo(p.insns, p.functions.map((f) => f.start), { btf: types, funcs: p.funcInfo, lines: p.lineInfo });
      if (btfInfo && 'errno' in btfInfo) {
        this.#closeMaps();
        return { errno: btfInfo.errno, syscall: 'BPF_PROG_LOAD', program: p.name, log: btfInfo.log };
      }
      const functions = p.functions.map((f, i) => ({ ...f, global: btfInfo?.global[i] ?? false }));
      const options = this.#verifierOptions.get(p.name);
      const verifier = { logLevel: options?.logLevel ?? 0, flags: p.progFlags | (options?.flags ?? 0) };
      const optionsRefused = verifierOptionsRefusal(this.#emulator.kernelVersion, verifier, p.name)
        ?? programTypeRefusal(this.#emulator.kernelVersion, p.type, p.expectedAttachType, p.name);
      if (optionsRefused) {
        this.#closeMaps();
        return optionsRefused;
      }
      const checked: CheckInput = {
        name: p.name, type: p.type, attachType: p.expectedAttachType, lines: p.lines, gpl: licenseIsGplCompatible(this.#parsed.license), insns: p.insns, relocs: p.relocs, functions,
        funcInfo: types !== undefined && p.funcInfo !== undefined, kernelVersion: this.#emulator.kernelVersion, btf: types, ...verifierInput(verifier),
        mapOf: (ref) => {
          const def = ref.name === undefined ? undefined : defs.find((m) => m.name === ref.name);
          const map = ref.name === undefined ? undefined : this.#maps.get(ref.name);
          if (!def) return undefined;
          const hasBtf = !this.#withoutBtf && def.btfValueTypeId !== 0;
          const kptrs = hasBtf ? def.kptrs ?? [] : [];
          if (map) return { ...checkedHandle(map), hasBtf, kptrs };
          if (!unemulated) return undefined;
          const { name, type, keySize, valueSize, maxEntries, flags } = def;
          return { name, type, keySize, valueSize, maxEntries, flags, hasBtf, locks: hasBtf ? def.locks : [], kptrs };
        },
      };
      const verdict = checkProgram(checked);
      if (!isVerified(verdict)) {
        this.#closeMaps();
        return refusalFailure(verdict, p.name);
      }
      if (unemulated) continue;
      const source: ProgramSource = {
        name: p.name, type: p.type, insns: p.insns, relocs: p.relocs, functions, lines: p.lines, maps,
        kernelVersion: this.#emulator.kernelVersion, objectHeap: this.#emulator.objects.buffer, inlinedLoopCalls: inlinedLoopCalls(checked),
        expectedAttachType: p.expectedAttachType, xdpHasFrags: (verifier.flags & ProgFlags.XdpHasFrags) !== 0,
        allocSizes: types && p.relocs.some((r) => r.kind === 'kfunc' && r.name === 'bpf_obj_new_impl') ? allocSizes(types) : undefined,
        maxCtxOffset: verdict.maxCtxOffset, ...coverageOf(this.#emulator, p.insns.length),
      };
      const linked = linkProgram(source, (ref) => (ref.name === undefined ? undefined : this.#maps.get(ref.name)));
      const failure = !('exec' in linked) ? linked : tailCallRefusal(source);
      if (failure || !('exec' in linked)) {
        this.#closeMaps();
        return failure;
      }
      recordCoverage(this.#emulator, source, this.#parsed.name);
      const state = programState(source);
      this.#emulator.registerProgram(state);
      this.#states.push(state);
      this.#programs.set(p.name, new EmulatorProgram(linked, this.#emulator, state, verdict.log));
    }
    if (unemulated) {
      this.#closeMaps();
      return unemulated;
    }
    const slots = this.#fillProgArrays(defs);
    if (slots) {
      this.close();
      return slots;
    }
    this.#loaded = true;
    return undefined;
  }

  /**
   * libbpf init_map_in_map_slots, once the maps exist: each `__array(values, ...)` slot of a map-in-map gets its
   * map (BPF_MAP_UPDATE_ELEM with the map's fd, here its id), the key the slot's index as an int.
   */
  #fillMapsInMaps(defs: MapDef[]): ObjectFailure | undefined {
    for (const def of defs) {
      const outer = this.#maps.get(def.name);
      for (const slot of def.slots ?? []) {
        if (!('map' in slot) || !outer) continue;
        const inner = this.#maps.get(slot.map);
        const rc = outer.update(u32Bytes(slot.index), u32Bytes(inner?.info.id ?? 0xffffffff), 0);
        if (rc < 0) return { errno: rc, syscall: 'BPF_MAP_UPDATE_ELEM', map: def.name, detail: `failed to initialize slot [${slot.index}] to map '${slot.map}'` };
      }
    }
    return undefined;
  }

  /**
   * libbpf bpf_object_init_prog_arrays, after the programs loaded: each `__array(values, ...)` slot gets its
   * program (init_prog_array_slots: BPF_MAP_UPDATE_ELEM with the program's fd, here its id).
   */
  #fillProgArrays(defs: MapDef[]): ObjectFailure | undefined {
    for (const def of defs) {
      const map = this.#maps.get(def.name);
      for (const slot of def.slots ?? []) {
        if (!('program' in slot)) continue;
        const { index, program } = slot;
        const state = this.#states.find((s) => s.source.name === program);
        // An unloaded program's fd is libbpf's -1 (bpf_program__fd), which BPF_MAP_UPDATE_ELEM refuses (EBADF).
        const rc = map ? map.update(u32Bytes(index), u32Bytes(state?.key ?? 0xffffffff), 0) : ENOENT;
        if (rc < 0) return { errno: rc, syscall: 'BPF_MAP_UPDATE_ELEM', map: def.name, detail: `failed to initialize slot [${index}] to prog '${program}'` };
      }
    }
    return undefined;
  }

  #createMap(def: MapDef): ObjectFailure | undefined {
    const reused = this.#reused.get(def.name);
    if (reused) {
      this.#maps.set(def.name, reused);
      return undefined;
    }
    // libbpf bpf_object__create_map: a map-in-map's template first ('<map>.inner'), destroyed once the map
    // exists (the map keeps what it needs of it).
    const template = def.inner ? this.#emulator.createMap(mapAttrs(def.inner)) : undefined;
    if (typeof template === 'number') return { errno: template, syscall: 'BPF_MAP_CREATE', map: def.inner!.name };
    const handle = this.#emulator.createMap({ ...mapAttrs(def), ...(template ? { innerMap: template } : {}) });
    template?.close();
    if (typeof handle === 'number') return { errno: handle, syscall: 'BPF_MAP_CREATE', map: def.name };
    this.#maps.set(def.name, handle);
    const initial = this.#initial.get(def.name) ?? def.initial;
    if (initial) {
      // libbpf bpf_object__populate_internal_map: the section's bytes (or those set before load) into
      // element 0, then .rodata frozen.
      const rc = handle.update(new Uint8Array(4), initial, 0);
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

  /**
   * libbpf bpf_object__relocate, once the maps exist: CO-RE relocations applied against the emulator's
   * types (programs/core.ts), where a relocation it cannot apply fails the load (EINVAL); then each
   * program to load linked with its func and line info (parseObject did it, and kept what failed: ENOENT).
   */
  #relocate(): ObjectFailure | undefined {
    const { loadRefusal, programs, types } = this.#parsed;
    if (loadRefusal) return { errno: EINVAL, syscall: 'bpf_object__load', detail: loadRefusal };
    for (const p of programs) {
      if (!this.#autoload.get(p.name)) continue; // "no need to apply CO-RE relocation if the program is not going to be loaded"
      let failure: string | undefined;
      try {
        failure = p.coreRelocs && applyCoreRelocs(p.insns, p.coreRelocs, types!, this.#emulator.kernelVersion);
      } catch (e) {
        // Malformed BTF met while relocating (a type that refers to itself, say).
        failure = (e as Error).message;
      }
      if (failure) return { errno: EINVAL, syscall: 'bpf_object__load', program: p.name, detail: `failed to perform CO-RE relocations: ${failure}` };
    }
    const unlinked = programs.find((p) => this.#autoload.get(p.name) && p.loadRefusal);
    if (unlinked) return { errno: ENOENT, syscall: 'bpf_object__load', program: unlinked.name, detail: unlinked.loadRefusal };
    return undefined;
  }

  #closeMaps(): void {
    for (const m of this.#maps.values()) m.close();
    for (const m of this.#reused.values()) m.close();
    this.#maps.clear();
    this.#reused.clear();
  }
}

/** Reads and parses the object. A file that is not a BPF ELF is refused with the errno libbpf gives. */
export function openEmulatorObject(emulator: ProgramHost, path: string): ObjectHandle | ObjectFailure {
  let parsed: ParsedObject;
  try {
    parsed = parseObject(readFileSync(path), basename(path));
  } catch (e) {
    const errno = errnoOfCode((e as NodeJS.ErrnoException).code);
    if (errno !== undefined) return { errno, syscall: 'bpf_object__open' };
    return { errno: e instanceof ObjectFormatError ? e.errno : ENOEXEC, syscall: 'bpf_object__open', detail: (e as Error).message };
  }
  return new EmulatorObject(emulator, parsed);
}

/** A u32 as the 4 little-endian bytes a key or value holds. */
function u32Bytes(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}

/** BPF_MAP_CREATE's attributes for a map of an object (libbpf bpf_object__create_map). */
function mapAttrs(def: MapDef): MapAttrs {
  return {
    type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags,
    // libbpf bpf_map_create copies the name with libbpf_strlcpy into the 16-byte map_name: longer names are cut.
    name: def.name.slice(0, BPF_OBJ_NAME_LEN - 1), numaNode: def.numaNode, mapExtra: BigInt(def.mapExtra ?? 0),
    ...(def.locks.length > 0 ? { locks: def.locks, btf: { data: new Uint8Array(0), keyTypeId: def.btfKeyTypeId, valueTypeId: def.btfValueTypeId } } : {}),
    ...(def.kptrs?.length ? { kptrs: def.kptrs.map((k) => ({ offset: k.offset, referenced: k.kind === 'ref' })) } : {}),
  };
}
