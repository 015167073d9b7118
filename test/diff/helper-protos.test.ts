// The kernel is the oracle for the helper model (src/emulator/checker/helper-protos.ts):
// 1. availability: for every program type and expected attach type libbpf's section table gives (elf/sections.ts,
//    sleepable sections with BPF_F_SLEEPABLE), every helper id 0..BPF_FUNC_MAX_ID is loaded as
//    `call N; r0 = <valid>; exit` with a GPL license; the kernel's refusal before the arguments (unknown func, not
//    for this type, not allowed, might sleep, get_func_ip) must be the model's, and where it checks R1 (the
//    context) against the first argument, its `expected=` list must be the model's. Then with a non-GPL license:
//    every id for the first combination the kernel loads, and in the others the ids the kernel gave the program under GPL (an id
//    it refuses before the license check is refused the same way without it); BPFKIT_HELPER_PROTOS_SWEEP=full
//    loads every id in every combination both ways.
// 2. argument types: each prototype available somewhere is probed at each argument position with a scalar 0, the
//    context, a stack pointer and a map pointer (earlier arguments set to values their types accept); every
//    `Rn type=... expected=...` the kernel prints must be the model's, and every mismatch the model predicts must be
//    the kernel's answer unless an earlier check of check_func_arg answers first.
// A combination the kernel refuses before the verifier (not built in, or not allowed here) is skipped with its reason
// printed, as are StructOps and Ext, whose helpers are their target's (not modelled).
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { features } from '../../src/index.js';
import { decodeBtf } from '../../src/btf/decode.js';
import { sectionDefs } from '../../src/elf/sections.js';
import { loadAddon, type Addon, type NativeMap } from '../../src/kernel/binding.js';
import { BPF_FUNC_MAX_ID, funcIdName } from '../../src/uapi/helpers.js';
import { asm, encodeInsns, PseudoLd, type Insn } from '../../src/uapi/isa.js';
import { AttachType as AT, KernelProgramType as PT } from '../../src/uapi/program-type.js';
import { MapType } from '../../src/uapi/bpf.js';
import {
  ArgType, RegType, TypeFlag, baseType, helperProto, helperRefusal, helperRefusalAfterArgs, modelledProgramTypes,
  regTypeMatches, regTypeMismatch, type HelperProgramOptions,
} from '../../src/emulator/checker/helper-protos.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { refusedByBuild } from '../helpers/build-policies.js';

const BPF_F_SLEEPABLE = 1 << 4;
const skip = kernelSkipReason();
if (skip) console.log(`skipped: helper prototypes against the kernel: ${skip}`);
const fullSweep = process.env.BPFKIT_HELPER_PROTOS_SWEEP === 'full';

interface Combo {
  label: string;
  type: number;
  attach: number;
  sleepable: boolean;
  /** The attach target in vmlinux BTF for tracing and LSM programs. */
  target?: string;
}

/** Targets every kernel with BTF has: a tracepoint's typedef, test functions from net/bpf/test_run.c, LSM hooks, an iter. */
function targetFor(type: number, attach: number, sleepable: boolean): string | undefined {
  if (type === PT.Lsm) return attach === AT.LsmCgroup ? 'bpf_lsm_socket_bind' : 'bpf_lsm_file_open';
  if (type !== PT.Tracing) return undefined;
  if (attach === AT.TraceRawTp) return 'btf_trace_sched_switch';
  if (attach === AT.TraceIter) return 'bpf_iter_task';
  return sleepable || attach === AT.ModifyReturn ? 'bpf_modify_return_test' : 'bpf_fentry_test1';
}

/** Every (type, expected attach type, sleepable) an object's sections can give, once, for the modelled types. */
function combos(): Combo[] {
  const seen = new Map<string, Combo>();
  for (const d of sectionDefs()) {
    if (!modelledProgramTypes.includes(d.progType)) continue;
    const sleepable = /\.s(\+|\/|$)/.test(d.pattern) || d.progType === PT.Syscall;
    const key = `${d.progType}/${d.attachType}/${sleepable}`;
    if (seen.has(key)) continue;
    const target = targetFor(d.progType, d.attachType, sleepable);
    seen.set(key, { label: d.pattern, type: d.progType, attach: d.attachType, sleepable, ...(target ? { target } : {}) });
  }
  // An XDP program loaded without BPF_XDP (raw loads do that) gets the same helpers.
  seen.set('xdp0', { label: 'xdp (attach 0)', type: PT.Xdp, attach: 0, sleepable: false });
  return [...seen.values()];
}

/** The hooks whose programs must return 1 (kernel/bpf/verifier.c check_return_code). */
const returnsOne = new Set<number>([AT.CgroupUdp4Recvmsg, AT.CgroupUdp6Recvmsg, AT.CgroupUnixRecvmsg, AT.CgroupInet4Getpeername,
  AT.CgroupInet6Getpeername, AT.CgroupUnixGetpeername, AT.CgroupInet4Getsockname, AT.CgroupInet6Getsockname, AT.CgroupUnixGetsockname]);

class Loader {
  readonly log = new Uint8Array(1 << 16);
  readonly decoder = new TextDecoder();
  readonly btfIds = new Map<string, number>();
  loads = 0;
  constructor(readonly addon: Addon) {
    const types = decodeBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    for (const t of types) if (t.kind === 12 || (t.kind === 8 && t.name.startsWith('btf_trace_'))) this.btfIds.set(t.name, t.id);
  }
  /** The verifier's last meaningful line ('' when loaded) and the errno. */
  load(c: Combo, insns: Insn[], license = 'GPL', fdArray: Int32Array | null = null): { rc: number; last: string; lines: string[] } {
    const ret = returnsOne.has(c.attach) ? 1 : 0;
    const prog = encodeInsns([...insns, asm.mov64Imm(0, ret), asm.exit()]);
    const btfId = c.target ? this.btfIds.get(c.target) ?? 0 : 0;
    const fd = this.addon.progLoad(c.type, prog, license, 'helper_probe', fdArray, c.attach, c.sleepable ? BPF_F_SLEEPABLE : 0, this.log, 1, btfId);
    this.loads++;
    if (fd >= 0) this.addon.closeFd(fd);
    const text = this.decoder.decode(this.log.subarray(0, Math.max(0, this.log.indexOf(0))));
    const lines = text.split('\n').filter((l) => l !== '' && !/^(processed |verification time|stack depth|func#|;|\d+: )/.test(l));
    return { rc: fd >= 0 ? 0 : fd, last: lines.at(-1) ?? '', lines };
  }
}

/**
 * Why the kernel refuses the combination before the verifier looks at a helper (the same answer for helper 0, which
 * no program type has, and for an id past the last), or undefined when it gets that far.
 */
function notLoadable(loader: Loader, c: Combo): string | undefined {
  const unspec = loader.load(c, [asm.call(0)]);
  const past = loader.load(c, [asm.call(BPF_FUNC_MAX_ID)]);
  if (unspec.rc !== past.rc || unspec.last !== past.last) return undefined;
  return `errno ${unspec.rc}, ${unspec.last === '' ? 'refused before the verifier logged a line' : JSON.stringify(unspec.last)}`;
}

const refusalLine = /^(invalid func |program of this type cannot use helper |cannot call GPL-restricted|helper call |func bpf_\w+#\d+ |sleepable helper )/;
const typeLine = /^R(\d) type=(\S+) expected=(.*)$/;

const opts = (c: Combo): HelperProgramOptions => ({ sleepable: c.sleepable, ...(c.target ? { attachBtfName: c.target } : {}) });

test.skipIf(skip !== undefined)('availability: every helper id in every program type, GPL and not', () => {
  const addon = loadAddon() as Addon;
  const loader = new Loader(addon);
  const version = features.emulatorKernelVersion();
  const divergences: string[] = [];
  const skipped: string[] = [];
  let compared = 0;
  let available = 0;
  let typeLists = 0;
  let mitSwept = false; // a non-GPL load of every id, in the first combination the kernel loads
  const allIds = Array.from({ length: BPF_FUNC_MAX_ID + 1 }, (_, id) => id);
  for (const c of combos()) {
    const reason = notLoadable(loader, c);
    if (reason) {
      skipped.push(`${c.label} (type ${c.type}, attach ${c.attach}${c.sleepable ? ', sleepable' : ''}): ${reason}`);
      continue;
    }
    let availableUnderGpl: number[] = [];
    for (const license of ['GPL', 'MIT']) {
      const answers: { id: number; rc: number; last: string }[] = [];
      const ids = license === 'GPL' || fullSweep || !mitSwept ? allIds : availableUnderGpl;
      if (license === 'MIT') mitSwept = true;
      for (const id of ids) answers.push({ id, ...loader.load(c, [asm.call(id)], license) });
      if (license === 'GPL') {
        availableUnderGpl = answers.filter((a) => !/^(invalid func|program of this type cannot use helper) /.test(a.last)).map((a) => a.id);
      }
      for (const a of answers) {
        if (refusedByBuild(c.type, a.id)) continue;
        compared++;
        const o = opts(c);
        const model = helperRefusal(a.id, c.type, c.attach, license === 'GPL', version, o) ?? helperRefusalAfterArgs(a.id, c.type, c.attach, version, o);
        const kernel = refusalLine.test(a.last) ? a.last : undefined;
        if (model?.log !== kernel || (kernel !== undefined && model?.errno !== a.rc)) {
          divergences.push(`${c.label} ${license} ${funcIdName(a.id)}#${a.id}: kernel ${JSON.stringify(a.last)} (${a.rc}), model ${JSON.stringify(model ?? null)}`);
          continue;
        }
        const proto = helperProto(a.id, c.type, c.attach, version, o);
        if (!proto || model) continue;
        if (license === 'GPL') available++;
        // R1 is the context at entry: the first argument's check of it, in the kernel's words.
        const predicted = proto.args[0] === undefined ? undefined : regTypeMismatch(1, RegType.PTR_TO_CTX, proto.args[0], version);
        const printed = typeLine.test(a.last) && a.last.startsWith('R1 ') ? a.last : undefined;
        if (predicted !== printed && (printed !== undefined || !/^R1 /.test(a.last))) {
          divergences.push(`${c.label} ${funcIdName(a.id)}#${a.id}: kernel ${JSON.stringify(a.last)}, model ${JSON.stringify(predicted ?? 'R1 accepted')}`);
        }
        if (printed) typeLists++;
        // "R2 !read_ok": R1 passed and the helper has a second argument.
        if (a.last === 'R2 !read_ok' && (proto.args.length < 2 || predicted !== undefined)) {
          divergences.push(`${c.label} ${funcIdName(a.id)}#${a.id}: kernel reads R2, model has args ${proto.args.length}`);
        }
      }
    }
  }
  console.log(`helper availability on ${version}: ${compared} (type, helper, license) loads compared, ${available} available, ` +
    `${typeLists} R1 lists, ${divergences.length} divergences; ${loader.loads} loads`);
  for (const s of skipped) console.log(`  not loadable here: ${s}`);
  for (const d of sectionDefs()) {
    if (!modelledProgramTypes.includes(d.progType)) console.log(`  not modelled (the target's helpers): ${d.pattern} (type ${d.progType})`);
  }
  expect(divergences).toEqual([]);
  expect(compared).toBeGreaterThan(10_000);
});

type Kind = 'scalar' | 'size' | 'ctx' | 'fp' | 'map_ptr';
const kindReg: Record<Kind, number> = {
  scalar: RegType.SCALAR_VALUE, size: RegType.SCALAR_VALUE, ctx: RegType.PTR_TO_CTX, fp: RegType.PTR_TO_STACK, map_ptr: RegType.CONST_PTR_TO_MAP,
};

/** Instructions that put a register of `kind` in `reg` (r6 holds the context, fp-64.. is zeroed, fdArray[0] a hash map). */
function setReg(reg: number, kind: Kind): Insn[] {
  switch (kind) {
    case 'scalar': return [asm.mov64Imm(reg, 0)];
    case 'size': return [asm.mov64Imm(reg, 8)];
    case 'ctx': return [asm.mov64Reg(reg, 6)];
    case 'fp': return [asm.mov64Reg(reg, 10), asm.alu64Imm(0x00, reg, -64)];
    case 'map_ptr': return asm.ldImm64(reg, 0n, PseudoLd.MapIdx);
  }
}

/** A value the argument type accepts, or undefined where this probe cannot make one (then later arguments are not probed). */
function acceptable(argType: number): Kind | undefined {
  const base = baseType(argType);
  if (argType & TypeFlag.PTR_MAYBE_NULL) return 'scalar';
  switch (base) {
    case ArgType.ARG_CONST_MAP_PTR: return 'map_ptr';
    case ArgType.ARG_PTR_TO_MAP_KEY: case ArgType.ARG_PTR_TO_MAP_VALUE: case ArgType.ARG_PTR_TO_MEM: case ArgType.ARG_PTR_TO_STACK:
      return 'fp';
    case ArgType.ARG_PTR_TO_CTX: return 'ctx';
    case ArgType.ARG_ANYTHING: case ArgType.ARG_SCALAR: return 'scalar';
    case ArgType.ARG_CONST_SIZE: case ArgType.ARG_CONST_SIZE_OR_ZERO: case ArgType.ARG_CONST_ALLOC_SIZE_OR_ZERO: return 'size';
    default: return undefined;
  }
}

/**
 * check_func_arg's checks that come before check_reg_type and so may answer instead of a type mismatch:
 * no map for a map value, packet access, a NULL-able scalar.
 */
const beforeTypeCheck = /^(invalid map_ptr to access map->(type|value)|helper access to the packet is not allowed|R\d leaks addr)/;

test.skipIf(skip !== undefined)('argument types: the kernel\'s expected= lists, argument by argument', () => {
  const addon = loadAddon() as Addon;
  const loader = new Loader(addon);
  const version = features.emulatorKernelVersion();
  const map = addon.NativeMap.create(MapType.Hash, 8, 8, 4, 0, 'helper_probe', 0, 0, 0, 0) as NativeMap | number;
  if (typeof map === 'number') throw new Error(`map create: ${map}`);
  const fdArray = new Int32Array([map.fd]);
  const prologue: Insn[] = [asm.mov64Reg(6, 1), ...Array.from({ length: 8 }, (_, i) => asm.st(8, 10, -8 * (i + 1), 0))];
  const divergences: string[] = [];
  const preempted: string[] = [];
  let probes = 0;
  let mismatches = 0;
  const done = new Set<string>();
  try {
    for (const c of combos()) {
      // Skip a combination the kernel does not load at all (the availability test names it).
      if (notLoadable(loader, c)) continue;
      for (let id = 1; id < BPF_FUNC_MAX_ID; id++) {
        const o = opts(c);
        const proto = helperProto(id, c.type, c.attach, version, o);
        if (!proto || done.has(proto.name) || helperRefusal(id, c.type, c.attach, true, version, o) || refusedByBuild(c.type, id)) continue;
        done.add(proto.name);
        const setup: Insn[] = [];
        for (let arg = 0; arg < proto.args.length; arg++) {
          const argType = proto.args[arg]!;
          const reg = arg + 1;
          for (const kind of ['scalar', 'ctx', 'fp', 'map_ptr'] as const) {
            const { last } = loader.load(c, [...prologue, ...setup, ...setReg(reg, kind), asm.call(id)], 'GPL', fdArray);
            probes++;
            const nullOk = kind === 'scalar' && (argType & TypeFlag.PTR_MAYBE_NULL) !== 0;
            const predicted = nullOk || argType === ArgType.ARG_ANYTHING ? undefined : regTypeMismatch(reg, kindReg[kind], argType, version);
            const m = typeLine.exec(last);
            const printed = m && Number(m[1]) === reg ? last : undefined;
            const where = `${proto.name} (${funcIdName(id)}#${id}, ${c.label}) arg${reg} ${kind}`;
            if (printed !== undefined) {
              mismatches++;
              if (printed !== predicted) divergences.push(`${where}: kernel ${JSON.stringify(printed)}, model ${JSON.stringify(predicted ?? 'accepted')}`);
            } else if (predicted !== undefined) {
              if (beforeTypeCheck.test(last)) preempted.push(`${where}: ${last}`);
              else divergences.push(`${where}: kernel ${JSON.stringify(last)}, model ${JSON.stringify(predicted)}`);
            }
          }
          const good = acceptable(argType);
          if (!good || !regTypeMatches(kindReg[good], argType, version)) break;
          // A size argument is 8: the 64 zeroed stack bytes cover any memory argument before it.
          setup.push(...setReg(reg, good));
        }
      }
    }
  } finally {
    map.close();
  }
  console.log(`helper argument types on ${version}: ${done.size} prototypes, ${probes} probes, ${mismatches} kernel type lists, ` +
    `${preempted.length} answered by an earlier check, ${divergences.length} divergences`);
  expect(divergences).toEqual([]);
  expect(mismatches).toBeGreaterThan(500);
});
