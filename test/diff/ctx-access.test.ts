// The context-access model (src/emulator/checker/ctx/) against this machine's verifier: for every program
// type with its own is_valid_access (and the attach types that change its rules), every offset from -8 to
// the context's size + 16, every size, as a load (and a sign-extending load where the kernel has them), a
// store from a register and a store of an immediate, a tiny program is loaded at log level 2 and the kernel's
// verdict compared with checkCtxAccess: accepted or refused, the errno, the refusal's words, and for a load the
// destination register's type (a scalar's bounds, or the pointer type). Plus, per type, a moved context
// pointer and the atomic forms. Every divergence is printed as `type off size form: kernel ... / model ...`.
//
// By default (make test, about five seconds of loads on the host) every program type the model has rules for,
// at every offset, with one attach type of the families whose attach types share rules, 4-aligned offsets only
// for a program type whose rules are another's and for BPF_ST; BPFKIT_CTX_FULL=1 sweeps everything whole. In
// bpfkit vm the same file measures another kernel against the model at that version (kernel-version.ts):
// 6.1 and 7.2 measured so, 0 divergences. BTF-typed contexts (tracing, lsm, struct_ops, ext) are not modelled.
import { describe, expect, test } from 'vitest';
import { features } from '../../src/index.js';
import { loadAddon } from '../../src/kernel/binding.js';
import { AtomicOp, asm, encodeInsns, type Insn } from '../../src/uapi/isa.js';
import { AttachType as A, KernelProgramType as P } from '../../src/uapi/program-type.js';
import { cpuV4Instructions, versionAtLeast } from '../../src/emulator/kernel-version.js';
import {
  checkCtxAccess, ctxModelledProgramTypes, ctxResultLogName, ctxScalarBounds, type CtxAccess, type CtxAccessResult, type CtxInsnForm,
} from '../../src/emulator/checker/ctx/index.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { describeUnless } from '../helpers/skip.js';

interface Config {
  name: string;
  progType: number;
  attachType: number;
  /** prog_flags the type needs to load at all (syscall programs are sleepable). */
  flags?: number;
  /** The context's size: offsets -8 .. size + 16 are swept (or `offsets`). */
  size: number;
  offsets?: number[];
  /** Only in the full sweep (BPFKIT_CTX_FULL=1): attach types whose rules another config already covers. */
  fullOnly?: boolean;
  /**
   * Outside the full sweep, 4-aligned offsets only: a program type whose is_valid_access is another's, swept
   * whole there (so every program type is loaded in make test at a fraction of the time).
   */
  aligned?: boolean;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const BPF_F_SLEEPABLE = 1 << 4;

const sockAddr = (name: string, attachType: number, fullOnly = false): Config =>
  ({ name: `cgroup_sock_addr/${name}`, progType: P.CgroupSockAddr, attachType, size: 72, fullOnly });

const CONFIGS: Config[] = [
  { name: 'socket_filter', progType: P.SocketFilter, attachType: 0, size: 192 },
  { name: 'sched_cls', progType: P.SchedCls, attachType: 0, size: 192 },
  { name: 'sched_cls/tcx_ingress', progType: P.SchedCls, attachType: A.TcxIngress, size: 192, fullOnly: true },
  { name: 'sched_act', progType: P.SchedAct, attachType: 0, size: 192, aligned: true },
  { name: 'xdp', progType: P.Xdp, attachType: A.Xdp, size: 24 },
  { name: 'xdp/none', progType: P.Xdp, attachType: 0, size: 24, fullOnly: true },
  { name: 'xdp/devmap', progType: P.Xdp, attachType: A.XdpDevmap, size: 24 },
  { name: 'xdp/cpumap', progType: P.Xdp, attachType: A.XdpCpumap, size: 24, fullOnly: true },
  { name: 'cgroup_skb/ingress', progType: P.CgroupSkb, attachType: A.CgroupInetIngress, size: 192 },
  { name: 'cgroup_skb/egress', progType: P.CgroupSkb, attachType: A.CgroupInetEgress, size: 192, fullOnly: true },
  { name: 'cgroup_sock/sock_create', progType: P.CgroupSock, attachType: A.CgroupInetSockCreate, size: 80 },
  { name: 'cgroup_sock/none', progType: P.CgroupSock, attachType: 0, size: 80, fullOnly: true },
  { name: 'cgroup_sock/sock_release', progType: P.CgroupSock, attachType: A.CgroupInetSockRelease, size: 80, fullOnly: true },
  { name: 'cgroup_sock/post_bind4', progType: P.CgroupSock, attachType: A.CgroupInet4PostBind, size: 80 },
  { name: 'cgroup_sock/post_bind6', progType: P.CgroupSock, attachType: A.CgroupInet6PostBind, size: 80 },
  sockAddr('bind4', A.CgroupInet4Bind),
  sockAddr('bind6', A.CgroupInet6Bind),
  sockAddr('connect4', A.CgroupInet4Connect, true),
  sockAddr('connect6', A.CgroupInet6Connect, true),
  sockAddr('connect_unix', A.CgroupUnixConnect),
  sockAddr('sendmsg4', A.CgroupUdp4Sendmsg),
  sockAddr('sendmsg6', A.CgroupUdp6Sendmsg),
  sockAddr('sendmsg_unix', A.CgroupUnixSendmsg, true),
  sockAddr('recvmsg4', A.CgroupUdp4Recvmsg, true),
  sockAddr('recvmsg6', A.CgroupUdp6Recvmsg, true),
  sockAddr('recvmsg_unix', A.CgroupUnixRecvmsg, true),
  sockAddr('getpeername4', A.CgroupInet4Getpeername, true),
  sockAddr('getpeername6', A.CgroupInet6Getpeername, true),
  sockAddr('getpeername_unix', A.CgroupUnixGetpeername, true),
  sockAddr('getsockname4', A.CgroupInet4Getsockname, true),
  sockAddr('getsockname6', A.CgroupInet6Getsockname, true),
  sockAddr('getsockname_unix', A.CgroupUnixGetsockname, true),
  { name: 'lwt_in', progType: P.LwtIn, attachType: 0, size: 192 },
  { name: 'lwt_out', progType: P.LwtOut, attachType: 0, size: 192, aligned: true },
  { name: 'lwt_xmit', progType: P.LwtXmit, attachType: 0, size: 192, aligned: true },
  { name: 'lwt_seg6local', progType: P.LwtSeg6local, attachType: 0, size: 192, aligned: true },
  { name: 'sockops', progType: P.SockOps, attachType: A.CgroupSockOps, size: 224 },
  { name: 'sk_skb/stream_parser', progType: P.SkSkb, attachType: A.SkSkbStreamParser, size: 192 },
  { name: 'sk_skb/stream_verdict', progType: P.SkSkb, attachType: A.SkSkbStreamVerdict, size: 192, fullOnly: true },
  { name: 'sk_skb/verdict', progType: P.SkSkb, attachType: A.SkSkbVerdict, size: 192, fullOnly: true },
  { name: 'cgroup_device', progType: P.CgroupDevice, attachType: A.CgroupDevice, size: 12 },
  { name: 'sk_msg', progType: P.SkMsg, attachType: A.SkMsgVerdict, size: 80 },
  { name: 'sk_reuseport/select', progType: P.SkReuseport, attachType: A.SkReuseportSelect, size: 56 },
  { name: 'sk_reuseport/migrate', progType: P.SkReuseport, attachType: A.SkReuseportSelectOrMigrate, size: 56, fullOnly: true },
  { name: 'flow_dissector', progType: P.FlowDissector, attachType: A.FlowDissector, size: 192 },
  { name: 'cgroup_sysctl', progType: P.CgroupSysctl, attachType: A.CgroupSysctl, size: 8 },
  { name: 'cgroup_sockopt/getsockopt', progType: P.CgroupSockopt, attachType: A.CgroupGetsockopt, size: 40 },
  { name: 'cgroup_sockopt/setsockopt', progType: P.CgroupSockopt, attachType: A.CgroupSetsockopt, size: 40 },
  { name: 'sk_lookup', progType: P.SkLookup, attachType: A.SkLookup, size: 72 },
  { name: 'kprobe', progType: P.Kprobe, attachType: 0, size: 168 },
  { name: 'kprobe/multi', progType: P.Kprobe, attachType: A.TraceKprobeMulti, size: 168, fullOnly: true },
  { name: 'tracepoint', progType: P.Tracepoint, attachType: 0, size: 8192, offsets: [...range(-8, 72), ...range(8168, 8208)] },
  { name: 'raw_tracepoint', progType: P.RawTracepoint, attachType: 0, size: 96 },
  { name: 'raw_tracepoint.w', progType: P.RawTracepointWritable, attachType: 0, size: 96 },
  { name: 'perf_event', progType: P.PerfEvent, attachType: 0, size: 184 },
  // The instruction's off is an s16: a syscall context past 32767 is out of an instruction's reach.
  { name: 'syscall', progType: P.Syscall, attachType: 0, flags: BPF_F_SLEEPABLE, size: 65535, offsets: [...range(-8, 72), ...range(32752, 32768)] },
  { name: 'netfilter', progType: P.Netfilter, attachType: A.Netfilter, size: 16 },
  { name: 'lirc_mode2', progType: P.LircMode2, attachType: A.LircMode2, size: 4 },
];

const full = process.env.BPFKIT_CTX_FULL === '1';
const skip = kernelSkipReason();
const log = new Uint8Array(1 << 16);
const decoder = new TextDecoder();

interface KernelAnswer {
  rc: number;
  log: string;
}

function kernelLoad(c: Config, body: Insn[]): KernelAnswer {
  const addon = loadAddon();
  if (addon instanceof Error) throw addon;
  log[0] = 0;
  const insns = encodeInsns([...body, asm.mov64Imm(0, 1), asm.exit()]);
  const fd = addon.progLoad(c.progType, insns, 'GPL', 'ctx_access', null, c.attachType, c.flags ?? 0, log, 2);
  const text = decoder.decode(log.subarray(0, Math.max(0, log.indexOf(0))));
  if (fd >= 0) addon.closeFd(fd);
  return { rc: fd >= 0 ? 0 : fd, log: text };
}

/** One access as a program: the access itself (after any setup), and the index of the instruction that loads. */
interface Probe {
  access: CtxAccess;
  body: Insn[];
  loadAt: number;
  what: string;
}

function probe(c: Config, version: string, form: CtxInsnForm, off: number, size: 1 | 2 | 4 | 8, regOff = 0): Probe {
  const write = form === 'stx' || form === 'st' || form === 'atomic' || form === 'store_release';
  const access: CtxAccess = { progType: c.progType, attachType: c.attachType, off, size, write, kernelVersion: version, form, regOff };
  const body: Insn[] = [];
  if (regOff !== 0) body.push(asm.alu64Imm(0x00, 1, regOff)); // r1 += regOff
  if (form === 'stx' || form === 'atomic' || form === 'store_release') body.push(asm.mov64Imm(2, 1));
  const loadAt = body.length;
  const insnOff = off - regOff;
  switch (form) {
    case 'ldx': body.push(asm.ldx(size, 2, 1, insnOff)); break;
    case 'ldsx': body.push(asm.ldxsx(size as 1 | 2 | 4, 2, 1, insnOff)); break;
    case 'stx': body.push(asm.stx(size, 1, 2, insnOff)); break;
    case 'st': body.push(asm.st(size, 1, insnOff, 0)); break;
    case 'atomic': body.push(asm.atomic(size, AtomicOp.Add, 1, 2, insnOff)); break;
    case 'load_acquire': body.push(asm.atomic(size, AtomicOp.LoadAcq, 2, 1, insnOff)); break;
    case 'store_release': body.push(asm.atomic(size, AtomicOp.StoreRel, 1, 2, insnOff)); break;
  }
  const what = `${c.name} off=${off} size=${size} ${form}${regOff ? ` (r1 += ${regOff})` : ''}`;
  return { access, body, loadAt, what };
}

/** The refusal's last `n` lines before the verifier's statistics (and before 7.3's error report). */
function reasonOf(text: string, n: number): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let end = lines.findIndex((l) => /^processed \d+ insns|^Verification failed: /.test(l));
  if (end < 0) end = lines.length;
  return lines.slice(Math.max(0, end - n), end).join('\n');
}

/** The loaded register's printed state after instruction `at` ("pkt(r=0)", "scalar(...)"), or undefined. */
function loadedRegister(text: string, at: number): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${at}: (`) && l.includes(';'));
  if (!line) return undefined;
  const state = line.slice(line.indexOf(';') + 1);
  const m = / R2(?:_w)?=(.*?)(?= R\d+(?:_w)?=|$)/.exec(state);
  return m?.[1]?.trim();
}

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

function parseBound(key: string, v: string): bigint {
  const neg = v.startsWith('-');
  const n = BigInt(neg ? v.slice(1) : v) * (neg ? -1n : 1n);
  return key.startsWith('s') ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n);
}

/** Whether a printed scalar ("scalar(smin=0,smax=umax=0xff,var_off=...)") has the model's 64-bit bounds. */
function scalarMatches(printed: string, expected: { smin: bigint; smax: bigint; umin: bigint; umax: bigint }): boolean {
  const inner = /^scalar\((.*)\)$/.exec(printed)?.[1];
  if (inner === undefined) return false;
  const seen = new Map<string, bigint>();
  for (const item of inner.split(',')) {
    if (item.startsWith('var_off') || item.startsWith('id=')) continue;
    const parts = item.split('=');
    const value = parts.pop()!;
    for (const key of parts) {
      if (key === 'smin' || key === 'smax' || key === 'umin' || key === 'umax') seen.set(key, parseBound(key, value));
      // Older kernels spell them smin_value etc.
      const m = /^(smin|smax|umin|umax)_value$/.exec(key);
      if (m) seen.set(m[1]!, parseBound(m[1]!, value));
    }
  }
  const defaults = { smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX };
  for (const key of ['smin', 'smax', 'umin', 'umax'] as const) {
    const v = seen.get(key);
    if (v !== undefined) {
      if (v !== expected[key]) return false;
      continue;
    }
    // Not printed: the default, or (6.1's printer) equal to its unsigned twin.
    const twin = key === 'smin' ? expected.umin : key === 'smax' ? expected.umax : undefined;
    if (expected[key] !== defaults[key] && expected[key] !== twin) return false;
  }
  return true;
}

/** The kernel's and the model's answers as comparable strings; equal when they agree. */
function compare(p: Probe, k: KernelAnswer, m: CtxAccessResult): { kernel: string; model: string } {
  if (m.ok === null) return { kernel: k.rc === 0 ? 'loaded' : `errno ${-k.rc}`, model: `not modelled: ${m.notModelled}` };
  if (!m.ok) {
    const model = `errno ${-m.errno}: ${m.log}`;
    const kernel = k.rc === 0 ? 'loaded' : `errno ${-k.rc}: ${reasonOf(k.log, m.log.split('\n').length)}`;
    return { kernel, model };
  }
  if (k.rc !== 0) return { kernel: `errno ${-k.rc}: ${reasonOf(k.log, 1)}`, model: 'loaded' };
  if (p.access.write) return { kernel: 'loaded', model: 'loaded' };
  const printed = loadedRegister(k.log, p.loadAt) ?? '(no state printed)';
  const r = m.result;
  if (r.type === 'SCALAR_VALUE') {
    const bounds = ctxScalarBounds(r);
    const model = `loaded, R2=scalar of ${r.size} bytes${r.signExtended ? ' sign-extended' : ''}`;
    return { kernel: scalarMatches(printed, bounds) ? model : `loaded, R2=${printed}`, model };
  }
  const name = printed.replace(/\(.*$/, '');
  return { kernel: `loaded, R2=${name}`, model: `loaded, R2=${ctxResultLogName(r)}` };
}

/** Sweeps one configuration; returns the number of accesses compared and the divergences. */
function sweep(c: Config, version: string): { compared: number; divergences: string[] } {
  const probes: Probe[] = [];
  const all = c.offsets ?? range(-8, c.size + 16);
  const offsets = c.aligned && !full ? all.filter((off) => off % 4 === 0) : all;
  const sizes = [1, 2, 4, 8] as const;
  const ldsx = cpuV4Instructions(version);
  for (const off of offsets) {
    for (const size of sizes) {
      probes.push(probe(c, version, 'ldx', off, size));
      if (ldsx && size !== 8) probes.push(probe(c, version, 'ldsx', off, size));
      probes.push(probe(c, version, 'stx', off, size));
      // BPF_ST meets the same checks as BPF_STX once it reaches the context: sampled outside the full sweep.
      if (full || off % 4 === 0) probes.push(probe(c, version, 'st', off, size));
    }
  }
  // A moved context pointer, and the atomic forms (refused whatever the offset).
  for (const [regOff, off] of [[8, 8], [4, 8], [-8, 0], [16, 16]] as const) {
    probes.push(probe(c, version, 'ldx', off, 4, regOff));
    probes.push(probe(c, version, 'ldx', off, 8, regOff));
  }
  for (const size of [4, 8] as const) probes.push(probe(c, version, 'atomic', 0, size));
  // Before 6.15 a 1- or 2-byte atomic is an unknown opcode (resolve_pseudo_ldimm64), refused before any pointer.
  if (versionAtLeast(version, '6.15')) {
    probes.push(probe(c, version, 'atomic', 0, 2));
    probes.push(probe(c, version, 'load_acquire', 0, 4));
    probes.push(probe(c, version, 'store_release', 0, 8));
  }
  const divergences: string[] = [];
  for (const p of probes) {
    const { kernel, model } = compare(p, kernelLoad(c, p.body), checkCtxAccess(p.access));
    if (kernel !== model) divergences.push(`${p.what}: kernel ${JSON.stringify(kernel)} / model ${JSON.stringify(model)}`);
  }
  return { compared: probes.length, divergences };
}

describeUnless(skip, 'context accesses: the model answers as the kernel', () => {
  const version = features.emulatorKernelVersion();
  const configs = CONFIGS.filter((c) => full || !c.fullOnly);
  const totals = new Map<string, number>();
  const missing = new Set<number>();

  test.for(configs.map((c) => [c.name, c] as const))('%s', ([, c], ctx) => {
    const baseline = kernelLoad(c, []);
    if (baseline.rc !== 0) {
      // A program type or attach type this kernel does not have (lirc_mode2 without CONFIG_BPF_LIRC_MODE2).
      console.log(`skipped: ctx access ${c.name}: the kernel refuses the access-free program (errno ${-baseline.rc})`);
      missing.add(c.progType);
      ctx.skip();
    }
    const { compared, divergences } = sweep(c, version);
    totals.set(c.name, compared);
    console.log(`ctx access ${c.name} (${version}): ${compared} accesses compared, ${divergences.length} divergences`);
    for (const d of divergences.slice(0, 40)) console.log(`  ${d}`);
    expect(divergences).toEqual([]);
  });

  test('the sweep covered every program type with context rules', () => {
    // Only a type this kernel lacks (its access-free program refused, printed above) may go unswept.
    const swept = new Set(configs.filter((c) => totals.has(c.name)).map((c) => c.progType));
    const configured = new Set(CONFIGS.map((c) => c.progType));
    for (const t of ctxModelledProgramTypes) {
      expect(configured.has(t), `program type ${t} has no configuration`).toBe(true);
      if (!swept.has(t)) expect(missing.has(t), `program type ${t} was not swept`).toBe(true);
    }
  });
});

describe('context accesses: the model alone', () => {
  test('BTF-typed contexts are not modelled, not guessed', () => {
    for (const progType of [P.Tracing, P.Lsm, P.StructOps, P.Ext]) {
      const r = checkCtxAccess({ progType, attachType: 0, off: 0, size: 8, write: false, kernelVersion: '6.18' });
      expect(r.ok).toBeNull();
    }
  });

  test('a form that contradicts write is a TypeError', () => {
    expect(() => checkCtxAccess({ progType: P.SchedCls, attachType: 0, off: 0, size: 4, write: false, form: 'stx', kernelVersion: '6.18' }))
      .toThrow(TypeError);
  });

  test('narrow loads are bounded by their size; packet pointers come from data and data_end', () => {
    const at = (off: number, size: 1 | 2 | 4 | 8) =>
      checkCtxAccess({ progType: P.SchedCls, attachType: 0, off, size, write: false, kernelVersion: '6.18' });
    expect(at(0, 1)).toEqual({ ok: true, result: { type: 'SCALAR_VALUE', size: 1, signExtended: false }, ctxFieldSize: 4 });
    expect(at(76, 4)).toMatchObject({ ok: true, result: { type: 'PTR_TO_PACKET' } });
    expect(at(80, 4)).toMatchObject({ ok: true, result: { type: 'PTR_TO_PACKET_END' } });
    expect(at(76, 2)).toEqual({ ok: false, log: 'invalid bpf_context access off=76 size=2', errno: -13 });
  });
});
