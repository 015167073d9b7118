// The emulator's per-version rules (src/emulator/kernel-version.ts) and the emulator answering through
// them. The versions each rule names were measured in bpfkit vm: Debian's 6.1.0-57, 6.12.117, 7.2.13, and
// this machine's 6.18 (test/kernel and test/conformance check the same expectations against each kernel).
import { describe, expect, test } from 'vitest';
import { KernelMapType, MapFlags, MapType } from '../../src/uapi/bpf.js';
import type { MapAttrs } from '../../src/seam/engine.js';
import { Emulator } from '../../src/emulator/index.js';
import { AttachType, loadProgram, openObject, ProgramType, type BpfVerifierError } from '../../src/index.js';
import { fixture } from '../kernel/bpf-fixtures.js';
import { checkProgram } from '../../src/emulator/checker/index.js';
import type { CheckedMap } from '../../src/emulator/checker/types.js';
import { AluOp, Class, JmpOp, Mode, asm, encodeInsns, PseudoLd, type Insn } from '../../src/uapi/isa.js';
import { generateProgram, Prng } from '../diff/random-programs.js';
import {
  btfDatasecPrintableNames, btfKptrTagWalk, btfLayoutSection, btfOwnershipDepth, btfResSpinLock, btfStructMetas, btfStructMetasStrict, btfTagKindFlag,
  btfTypeTagsAnywhere, btfUptrTag, btfWideInfo, cpuV4Instructions, freezeChecksWriteAccess, freezeRefusesLockMaps, linfoFileLine, linkedConstOps,
  linkedRegsLiveOnly, linkedSyncFromDelta, lockInWrongMapErrno, lpmNextKeyExactMatch, lpmNodeHeaderSize, lpmUpdateHonoursFlags, lruTargetFreeScales, parseKernelVersion,
  percpuCpuFlags, percpuLookupCopiesPadding, refusalAt, kfuncAvailable, negEndTracked, xdpMetaMax, csumDiffFolds, adjustRoomDecapL3, tunnelKeyNoKeyFlag, innerMapLocks, resourceLeakWords, skbCtxInDataEnd,
  cpumapEntryErrno, fibLookupFlagMask, netfilterProgramType, tnumConstForm, verifierWorkExact, precisionPruning, staticRecursionCheck, releaseHelperWords, bpfMapShaHead, circularRanges, scalarRules, wrappingAddSub, versionAtLeast,
} from '../../src/emulator/kernel-version.js';
import { lruTargetFree } from '../../src/emulator/maps/lru.js';
import { scalarAlu } from '../../src/emulator/checker/scalar-alu.js';
import { scalarConst, scalarUnknown, withScalarRules, type Scalar } from '../../src/emulator/checker/scalar.js';
import { formatScalar } from '../../src/emulator/checker/scalar-format.js';
import { EACCES, EBADF, EBUSY, EINVAL, ENOMEM, ENOTSUPP, EOPNOTSUPP, EPERM } from '../../src/uapi/errno.js';

const attrs = (a: Partial<MapAttrs>): MapAttrs => ({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, name: '', numaNode: 0, ...a });

describe('version rules', () => {
  test('versions are MAJOR.MINOR; anything else is a TypeError naming the form', () => {
    expect(parseKernelVersion('6.12')).toEqual([6, 12]);
    for (const bad of ['6', '6.1.2', 'six', '', '6.x']) expect(() => parseKernelVersion(bad)).toThrow(/kernelVersion must look like '6.18'/);
    expect(() => new Emulator({ kernelVersion: '6.1.90' })).toThrow(TypeError);
    expect(versionAtLeast('6.9', '6.14')).toBe(false);
    expect(versionAtLeast('6.14', '6.14')).toBe(true);
    expect(versionAtLeast('7.0', '6.16')).toBe(true);
  });

  test('each rule flips at its version', () => {
    expect([freezeChecksWriteAccess('6.4'), freezeChecksWriteAccess('6.5')]).toEqual([false, true]);
    expect([freezeRefusesLockMaps('6.1'), freezeRefusesLockMaps('6.2')]).toEqual([false, true]);
    expect([lockInWrongMapErrno('6.1'), lockInWrongMapErrno('6.2')]).toEqual([ENOTSUPP, EOPNOTSUPP]);
    // The verifier's log: source lines with file:line and constant tnums in decimal (measured 6.1 old, 6.12 new).
    expect(['6.1', '6.3', '6.4', '6.12'].map(linfoFileLine)).toEqual([false, false, true, true]);
    expect(['6.1', '6.4', '6.12', '6.18', '7.2'].map(tnumConstForm)).toEqual(['hex', 'unsigned', 'unsigned', 'unsigned', 'signed']);
    // Linked scalars (measured 6.1 none, 6.12 64-bit additions, 6.18 and 7.2 all) and who collects them.
    expect(['6.1', '6.10', '6.11', '6.12', '6.17', '6.18', '7.2'].map(linkedConstOps)).toEqual(['none', 'none', 'add64', 'add64', 'add64', 'all', 'all']);
    expect(['6.12', '6.15', '6.16', '6.18'].map(linkedRegsLiveOnly)).toEqual([false, false, true, true]);
    expect(['6.12', '6.18', '6.19', '7.2'].map(verifierWorkExact)).toEqual([false, true, false, false]);
    expect(['6.1', '6.12', '6.18', '7.2'].map(precisionPruning)).toEqual([false, false, true, true]);
    expect(['6.18', '7.2', '7.3'].map(staticRecursionCheck)).toEqual([false, true, true]);
    expect(['6.18', '7.2', '7.3'].map(releaseHelperWords)).toEqual([false, true, true]);
    expect(['6.12', '6.17', '6.18', '7.2'].map(bpfMapShaHead)).toEqual([false, false, true, true]);
    expect(['6.18', '7.1', '7.2'].map(skbCtxInDataEnd)).toEqual([false, false, true]);
    expect(['6.12', '6.13', '6.14'].map(resourceLeakWords)).toEqual([false, false, true]);
    expect(['6.12', '6.17', '6.18', '7.2'].map(negEndTracked)).toEqual([false, false, true, true]);
    expect(['6.11', '6.12', '6.13', '6.18'].map(linkedSyncFromDelta)).toEqual([false, true, true, true]);
    // The BPF_F_CPU series (7.0): the per-CPU element flags, and updates that no longer store slot padding.
    expect(['6.18', '6.19', '7.0', '7.2'].map(percpuCpuFlags)).toEqual([false, false, true, true]);
    expect(['6.18', '6.19', '7.0', '7.2'].map(percpuLookupCopiesPadding)).toEqual([true, true, false, false]);
    // 6.16 upstream, and the stable series it was backported to.
    expect(['6.1', '6.5', '6.6', '6.12', '6.13', '6.15', '6.16', '7.2'].map(lruTargetFreeScales)).toEqual([false, false, true, true, false, true, true, true]);
    expect([lruTargetFree(4, 2, '6.1'), lruTargetFree(4, 2, '6.18')]).toEqual([128, 1]);
    // LPM tries: the 6.13 fixes, in the 6.1, 6.6 and 6.12 stables too; 6.14's smaller node header.
    expect(['6.1', '6.5', '6.6', '6.11', '6.12', '6.13', '7.2'].map(lpmUpdateHonoursFlags)).toEqual([true, false, true, false, true, true, true]);
    expect(['6.11', '6.12', '6.13'].map(lpmNextKeyExactMatch)).toEqual([false, true, true]);
    expect(['6.1', '6.12', '6.13', '6.14', '6.18'].map(lpmNodeHeaderSize)).toEqual([40, 40, 40, 24, 24]);
    // BPF_BTF_LOAD (src/emulator/btf-load.ts): the supported versions 6.1, 6.12, 6.18, 7.2 and the boundaries.
    const btf = ['6.1', '6.2', '6.7', '6.12', '6.13', '6.15', '6.18', '7.0', '7.2'];
    expect(btf.map(btfStructMetas)).toEqual([false, true, true, true, true, true, true, true, true]);
    expect(btf.map(btfDatasecPrintableNames)).toEqual([false, false, true, true, true, true, true, true, true]);
    expect(btf.map(btfUptrTag)).toEqual([false, false, false, false, true, true, true, true, true]);
    expect(btf.map(btfTagKindFlag)).toEqual([false, false, false, false, false, true, true, true, true]);
    expect(btf.map(btfResSpinLock)).toEqual([false, false, false, false, false, true, true, true, true]);
    // Debian's 6.12 has the struct metas hardening as stable backports, this machine's 6.18.44 not yet.
    expect(btf.map(btfStructMetasStrict)).toEqual([false, false, false, true, false, false, false, true, true]);
    expect(btf.map(btfOwnershipDepth)).toEqual([false, false, false, true, false, false, true, true, true]);
    for (const rule of [btfWideInfo, btfLayoutSection, btfTypeTagsAnywhere, btfKptrTagWalk]) {
      expect(btf.map(rule)).toEqual([false, false, false, false, false, false, false, true, true]);
    }
  });

  test('the packet helpers\' rules flip at their versions', () => {
    expect([xdpMetaMax('6.7'), xdpMetaMax('6.8')]).toEqual([32, 255]);
    expect([csumDiffFolds('6.12'), csumDiffFolds('6.13')]).toEqual([false, true]);
    expect([adjustRoomDecapL3('6.2'), adjustRoomDecapL3('6.3')]).toEqual([false, true]);
    expect([tunnelKeyNoKeyFlag('6.2'), tunnelKeyNoKeyFlag('6.3')]).toEqual([false, true]);
    expect([cpumapEntryErrno('6.18'), cpumapEntryErrno('6.19')]).toEqual([false, true]);
    expect([fibLookupFlagMask('6.9'), fibLookupFlagMask('6.10')]).toEqual([0x1f, 0x3f]);
  });

  test('an inner map\'s template may hold a lock from 6.2: before, the map-in-map is ENOTSUPP', () => {
    expect([innerMapLocks('6.1'), innerMapLocks('6.2')]).toEqual([false, true]);
    for (const [kernelVersion, errno] of [['6.1', ENOTSUPP], ['6.12', 0]] as const) {
      const emulator = new Emulator({ kernelVersion });
      const inner = emulator.createMap({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, name: '', numaNode: 0, locks: [{ kind: 'spin', offset: 0 }] });
      if (typeof inner === 'number') throw new Error(`inner map: ${inner}`);
      const outer = emulator.createMap({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, name: '', numaNode: 0, innerMap: inner });
      expect(typeof outer === 'number' ? outer : 0, kernelVersion).toBe(errno);
      if (typeof outer !== 'number') outer.close();
      inner.close();
    }
  });

  test('refusalAt rewords 6.18 refusals for older kernels, and passes the rest through', () => {
    const exit = { reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', errno: EINVAL };
    expect(refusalAt('6.12', exit)).toEqual({ reason: 'bpf_spin_unlock is missing', errno: EINVAL });
    expect(refusalAt('6.14', exit)).toEqual(exit);
    const global = { reason: 'global function calls are not allowed while holding a lock,\nuse static function instead', errno: EINVAL };
    expect(refusalAt('6.8', global)).toEqual({ reason: 'function calls are not allowed while holding a lock', errno: EINVAL });
    expect(refusalAt('6.9', global)).toEqual(global);
    expect(refusalAt('6.1', { reason: "map 'counter' has no valid bpf_spin_lock", errno: EINVAL }))
      .toEqual({ reason: "map 'counter' doesn't have 'struct bpf_spin_lock'", errno: EACCES });
    expect(refusalAt('6.1', { reason: "off 8 doesn't point to 'struct bpf_spin_lock' that is at 0", errno: EINVAL }))
      .toEqual({ reason: "off 8 doesn't point to 'struct bpf_spin_lock'", errno: EACCES });
    expect(refusalAt('6.1', { reason: 'bpf_spin_unlock of different lock', errno: EINVAL })).toEqual({ reason: 'bpf_spin_unlock of different lock', errno: EACCES });
    expect(refusalAt('6.2', { reason: 'bpf_spin_unlock of different lock', errno: EINVAL })).toEqual({ reason: 'bpf_spin_unlock of different lock', errno: EINVAL });
    const other = { reason: 'function calls are not allowed while holding a lock', errno: EINVAL };
    expect(refusalAt('6.1', other)).toEqual(other);
  });
});

describe('the emulator answers as its kernelVersion', () => {
  test('bpf_xdp_adjust_meta: 36 bytes of metadata are EACCES before 6.8', () => {
    const insns = encodeInsns([asm.mov64Imm(2, -36), asm.call(54), asm.exit()]);
    const rc = (kernelVersion: string) => {
      using p = loadProgram({ type: ProgramType.Xdp, insns, engine: new Emulator({ kernelVersion }) });
      return p.run({ data: new Uint8Array(64) }).retval;
    };
    expect([rc('6.1'), rc('6.18')]).toEqual([EACCES, 0]);
  });

  test('bpf_csum_diff: 32 bits and sizes in words before 6.13, folded to 16 bits since', () => {
    // csum_diff(fp-8 (4 or 3 bytes), fp-16 (4 bytes), seed 0)
    const diff = (kernelVersion: string, fromSize: number) => {
      const insns = encodeInsns([
        asm.st(4, 10, -8, 0x11223344), asm.st(4, 10, -16, 0x55667788), asm.mov64Reg(1, 10), asm.alu64Imm(AluOp.Add, 1, -8),
        asm.mov64Imm(2, fromSize), asm.mov64Reg(3, 10), asm.alu64Imm(AluOp.Add, 3, -16), asm.mov64Imm(4, 4), asm.mov64Imm(5, 0), asm.call(28), asm.exit(),
      ]);
      using p = loadProgram({ type: ProgramType.SchedCls, insns, engine: new Emulator({ kernelVersion }) });
      return p.run({ data: new Uint8Array(64) }).retval >>> 0;
    };
    const [old, folded] = [diff('6.12', 4), diff('6.18', 4)];
    expect(folded).toBeLessThan(0x10000);
    expect(old).toBeGreaterThan(0xffff);
    // Both are the ones' complement difference to - from: the same modulo 0xffff.
    expect(old % 0xffff).toBe(folded % 0xffff);
    expect([diff('6.12', 3) | 0, diff('6.18', 3) < 0x10000]).toEqual([EINVAL, true]);
  });

  test('a second BPF_MAP_FREEZE: EBUSY on 6.1, EPERM on 6.18; before 6.5 a read-only fd may freeze', () => {
    for (const [version, second] of [['6.1', EBUSY], ['6.18', EPERM]] as const) {
      const h = new Emulator({ kernelVersion: version }).createMap(attrs({}));
      if (typeof h === 'number') throw new Error(`createMap: ${h}`);
      expect(h.freeze()).toBe(0);
      expect(h.freeze()).toBe(second);
      const ro = new Emulator({ kernelVersion: version }).createMap(attrs({ flags: MapFlags.Rdonly }));
      if (typeof ro === 'number') throw new Error(`createMap: ${ro}`);
      expect(ro.freeze()).toBe(version === '6.1' ? 0 : EPERM);
    }
  });

  test('freezing a lock-bearing map: allowed on 6.1, ENOTSUPP on 6.18', () => {
    for (const [version, rc] of [['6.1', 0], ['6.18', ENOTSUPP]] as const) {
      const h = new Emulator({ kernelVersion: version }).createMap(attrs({ type: MapType.Array, valueSize: 16, locks: [{ kind: 'spin', offset: 0 }] }));
      if (typeof h === 'number') throw new Error(`createMap: ${h}`);
      expect(h.freeze()).toBe(rc);
    }
  });

  test('netfilter programs exist from 6.4: before, BPF_PROG_LOAD is EINVAL', () => {
    expect(['6.3', '6.4'].map(netfilterProgramType)).toEqual([false, true]);
    const insns = encodeInsns([asm.mov64Imm(0, 1), asm.exit()]);
    const load = (version: string) => () => loadProgram({ type: ProgramType.Netfilter, expectedAttachType: AttachType.Netfilter, insns, engine: new Emulator({ kernelVersion: version }) });
    expect(load('6.3')).toThrowError(expect.objectContaining({ code: 'EINVAL', message: expect.stringContaining('unknown to Linux 6.3') }));
    using prog = load('6.4')();
    expect(prog.run({ data: new Uint8Array(20) }).retval).toBe(1);
  });

  test('a CPUMAP entry naming no program: ENOMEM on 6.18, the fd\'s EBADF on 7.2', () => {
    for (const [version, rc] of [['6.18', ENOMEM], ['7.2', EBADF]] as const) {
      const h = new Emulator({ kernelVersion: version, possibleCpus: 2 }).createMap(attrs({ type: KernelMapType.Cpumap, valueSize: 8 }));
      if (typeof h === 'number') throw new Error(`createMap: ${h}`);
      expect(h.update(new Uint8Array(4), new Uint8Array(new Uint32Array([8, 12345]).buffer), 0)).toBe(rc);
      expect(h.update(new Uint8Array(4), new Uint8Array(new Uint32Array([8, 0]).buffer), 0)).toBe(0);
    }
  });

  test('an LRU value with a bpf_spin_lock: ENOTSUPP (524) on 6.1, EOPNOTSUPP on 6.18', () => {
    const lru = attrs({ type: MapType.LruHash, locks: [{ kind: 'spin', offset: 0 }] });
    expect(new Emulator({ kernelVersion: '6.1' }).createMap(lru)).toBe(ENOTSUPP);
    expect(new Emulator({ kernelVersion: '6.18' }).createMap(lru)).toBe(EOPNOTSUPP);
  });

  test('the checker words a refusal as the kernelVersion it is given', () => {
    const map: CheckedMap = { name: 'lockmap', type: 2, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0, hasBtf: true, locks: [{ kind: 'spin', offset: 0 }] };
    // r1 = &value + 8 (not the lock at 0), then bpf_spin_lock(r1).
    const insns = [...asm.ldImm64(1, 8n << 32n, PseudoLd.MapIdxValue), asm.call(93), asm.mov64Imm(0, 0), asm.exit()];
    const input = { name: 'raw', type: 3, insns, relocs: [], functions: [], mapOf: (ref: { index?: number }) => (ref.index === 0 ? map : undefined) };
    const now = checkProgram(input);
    expect(now?.errno).toBe(EINVAL);
    expect(now?.log).toMatch(/\noff 8 doesn't point to 'struct bpf_spin_lock' that is at 0\n$/);
    const then = checkProgram({ ...input, kernelVersion: '6.1' });
    expect(then?.errno).toBe(EACCES);
    expect(then?.log).toMatch(/\noff 8 doesn't point to 'struct bpf_spin_lock'\n$/);
    expect(then?.log.split('\n')[0]).toBe(now?.log.split('\n')[0]); // the instruction line stays
  });
});

test('an Emulator at 6.12 refuses a reject fixture with that kernel\'s words', () => {
  const path = fixture('reject_exit_locked');
  const refusal = (kernelVersion: string): string => {
    try {
      openObject(path, { engine: new Emulator({ kernelVersion }) });
    } catch (e) {
      return (e as BpfVerifierError).message;
    }
    throw new Error('loaded');
  };
  expect(refusal('6.12')).toMatch(/bpf_spin_unlock is missing/);
  expect(refusal('6.18')).toMatch(/cannot be used inside bpf_spin_lock-ed region/);
});

test('a leaked socket is worded as each version words it (check_resource_leak, 6.14)', () => {
  const skLookup = [asm.st(8, 10, -16, 0), asm.st(8, 10, -8, 0), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -16), asm.mov64Imm(3, 12),
    asm.mov64Imm(4, 0), asm.mov64Imm(5, 0), asm.call(84)];
  const exitLeak = [...skLookup, asm.mov64Imm(0, 0), asm.exit()];
  const ldAbsLeak = [asm.mov64Reg(6, 1), ...skLookup, { code: 0x20, dst: 0, src: 0, off: 0, imm: 0 }, asm.mov64Imm(0, 0), asm.exit()];
  const reason = (insns: Insn[], kernelVersion: string): string => {
    try {
      loadProgram({ type: ProgramType.SchedCls, insns: encodeInsns(insns), engine: new Emulator({ kernelVersion }) });
    } catch (e) {
      return (e as BpfVerifierError).message;
    }
    return 'loaded';
  };
  expect(reason(exitLeak, '6.12')).toMatch(/refused program '': Unreleased reference id=\d+ alloc_insn=7$/);
  expect(reason(exitLeak, '6.18')).toMatch(/refused program '': BPF_EXIT instruction in main prog would lead to reference leak$/);
  expect(reason(ldAbsLeak, '6.12')).toMatch(/: BPF_LD_\[ABS\|IND\] cannot be mixed with socket references$/);
  expect(reason(ldAbsLeak, '6.18')).toMatch(/: BPF_LD_\[ABS\|IND\] would lead to reference leak$/);
});

test('7.2 words what its verifier reworked: recursion before the walk, release helpers, pointer offsets in var_off', () => {
  const reason = (type: number, insns: Insn[], kernelVersion: string): string => {
    try {
      loadProgram({ type, insns: encodeInsns(insns), engine: new Emulator({ kernelVersion }) });
    } catch (e) {
      return `${(e as BpfVerifierError).code}: ${(e as BpfVerifierError).message.replace(/^.*refused program '': /, '')}`;
    }
    return 'loaded';
  };
  // A bpf-to-bpf recursion: 6.18 walks it until the stack is too deep, 7.2's sort_subprogs_topo refuses it.
  const recursion = [asm.mov64Imm(1, 0), asm.callLocal(1), asm.exit(), asm.alu64Imm(AluOp.Add, 1, 1), asm.mov64Reg(0, 1),
    asm.jmpImm(0xa5, 1, 4, 1), asm.exit(), asm.callLocal(-5), asm.exit()];
  expect(reason(ProgramType.SocketFilter, recursion, '6.18')).toBe('E2BIG: the call stack of 8 frames is too deep !');
  expect(reason(ProgramType.SocketFilter, recursion, '7.2')).toBe('EINVAL: recursive call from () to ()');
  // bpf_sk_release given the skb's own socket, which the program holds no reference to.
  const release = [asm.ldx(8, 1, 1, 168), asm.jmpImm(0x15, 1, 0, 1), asm.call(86), asm.mov64Imm(0, 0), asm.exit()];
  expect(reason(ProgramType.SchedCls, release, '6.18')).toBe('EINVAL: R1 must be referenced when passed to release function');
  expect(reason(ProgramType.SchedCls, release, '7.2')).toBe('EINVAL: release helper bpf_sk_release expects referenced PTR_TO_BTF_ID passed to R1');
  // A packet pointer moved 14 bytes and read unchecked: the offset is reg->off before 7.2, var_off in 7.2.
  const packet = [asm.ldx(4, 2, 1, 76), asm.alu64Imm(AluOp.Add, 2, 14), asm.ldx(1, 0, 2, 0), asm.mov64Imm(0, 0), asm.exit()];
  expect(reason(ProgramType.SchedCls, packet, '6.18')).toBe('EACCES: R2 offset is outside of the packet');
  expect(reason(ProgramType.SchedCls, packet, '7.2')).toBe('EACCES: R2 min value is outside of the allowed memory range');
  // A misaligned stack access names the frame offset as 7.2's tnum_strn prints a negative constant.
  const misaligned = [asm.mov64Reg(2, 10), asm.alu64Imm(AluOp.Add, 2, -8), asm.st(8, 10, -8, 0), asm.ldx(4, 0, 2, 2), asm.exit()];
  expect(reason(ProgramType.SocketFilter, misaligned, '6.18')).toBe('EACCES: misaligned stack access off 0+-8+2 size 4');
  expect(reason(ProgramType.SocketFilter, misaligned, '7.2')).toBe('EACCES: misaligned stack access off -8+2 size 4');
  // Branches 7.2 decides and 6.18 walks: a register compared with itself, and a signed remainder's range.
  const bad = asm.st(8, 10, 2, -3); // a store above the frame, misaligned
  const self = [asm.ldx(4, 0, 1, 0), asm.jmpReg(JmpOp.Jlt, 0, 0, 1), asm.ja(1), bad, asm.mov64Imm(0, 0), asm.exit()];
  expect(reason(ProgramType.SocketFilter, self, '6.18')).toMatch(/^EACCES: misaligned stack access/);
  expect(reason(ProgramType.SocketFilter, self, '7.2')).toBe('loaded');
  const remainder = [asm.mov32Imm(8, -1149058283), { ...asm.alu32Imm(AluOp.Mod, 8, 65), off: 1 }, asm.jmpImm(JmpOp.Jsgt, 8, -1800018996, 1), bad,
    asm.mov64Imm(0, 0), asm.exit()];
  expect(reason(ProgramType.SocketFilter, remainder, '6.18')).toMatch(/^EACCES: misaligned stack access/);
  expect(reason(ProgramType.SocketFilter, remainder, '7.2')).toBe('loaded');
});

test('7.2 keeps one circular range per width: after r |= 37 it knows umin alone, as its log prints', () => {
  const or37 = (version: string): string =>
    withScalarRules(scalarRules(version), () => formatScalar(scalarAlu(AluOp.Or, true, scalarUnknown(), scalarConst(37n)).dst));
  expect(or37('6.18')).toBe('scalar(smin=0x8000000000000025,umin=umin32=37,smin32=0x80000025,var_off=(0x25; 0xffffffffffffffda))');
  expect(or37('7.2')).toBe('scalar(umin=umin32=37,var_off=(0x25; 0xffffffffffffffda))');
  expect(['6.18', '7.2'].map(circularRanges)).toEqual([false, true]);
});

test('before 6.17 an unsigned add whose ends both wrap loses the range; from 6.17 it keeps it', () => {
  // [276, U64_MAX] + (-63): both ends wrap, to [213, U64_MAX - 63].
  const atLeast276: Scalar = scalarAlu(AluOp.Or, true, scalarUnknown(), scalarConst(0n)).dst;
  const from = (version: string): string => withScalarRules(scalarRules(version), () => {
    const r = scalarAlu(AluOp.Add, true, { ...atLeast276, umin: 276n }, scalarConst(-63n)).dst;
    return `${r.umin},${r.umax}`;
  });
  expect(from('6.12')).toBe(`0,${2n ** 64n - 1n}`);
  expect(from('6.18')).toBe(`213,${2n ** 64n - 64n}`);
  expect(['6.12', '6.16', '6.17', '6.18'].map(wrappingAddSub)).toEqual([false, false, true, true]);
});

test('bpf_res_spin_lock exists from 6.15: before, the object does not load', () => {
  // The fixtures declare the kfuncs __weak (bpf/include/bpfkit.h): libbpf poisons their calls, whose verdict
  // the emulator does not model; a strong extern is libbpf's ESRCH (test/kernel/locks.test.ts checks both).
  expect(() => openObject(fixture('res_spin_lock'), { engine: new Emulator({ kernelVersion: '6.12' }) })).toThrowError(expect.objectContaining({
    code: 'ENOTSUPP', syscall: 'bpf_object__load', message: expect.stringContaining("kfunc 'bpf_res_spin_lock' is not in Linux 6.12"),
  }));
  expect(() => openObject(fixture('res_strong'), { engine: new Emulator({ kernelVersion: '6.12' }) })).toThrowError(expect.objectContaining({
    code: 'ESRCH', syscall: 'bpf_object__load', message: expect.stringContaining("extern (func ksym) 'bpf_res_spin_lock': not found in kernel or module BTFs"),
  }));
  using obj = openObject(fixture('res_spin_lock'), { engine: new Emulator({ kernelVersion: '6.15' }) });
  expect(obj.programs.res_hash!.loaded).toBe(true);
  using strong = openObject(fixture('res_strong'), { engine: new Emulator({ kernelVersion: '6.15' }) });
  expect(strong.program('strong_inc').run({ data: new Uint8Array(64) }).retval).toBe(0);
  expect(['6.14', '6.15'].map((v) => kfuncAvailable('bpf_res_spin_unlock_irqrestore', v))).toEqual([false, true]);
});

test('a per-CPU lookup returns each slot\'s padding as stored on 6.18, zeros on 7.2', () => {
  for (const [kernelVersion, padding] of [['6.18', 4], ['7.2', 0]] as const) {
    const emulator = new Emulator({ kernelVersion, possibleCpus: 2 });
    const h = emulator.createMap(attrs({ type: MapType.PercpuArray, valueSize: 12, maxEntries: 1 }));
    if (typeof h === 'number') throw new Error(`create: ${h}`);
    expect(h.update(new Uint8Array(4), new Uint8Array(32).fill(4), 0)).toBe(0);
    const out = new Uint8Array(32).fill(0xaa); // 7.2 writes the padding (zeros), it does not skip it
    expect(h.lookup(new Uint8Array(4), out, 0)).toBe(0);
    expect([...out.subarray(8, 16)], kernelVersion).toEqual([4, 4, 4, 4, padding, padding, padding, padding]);
    h.close();
  }
});

test('an LPM trie before the 6.13 fixes (6.11): NOEXIST and EXIST are BPF_ANY, a full trie refuses even a replacing update, and get_next_key takes a node with the key\'s prefixlen for it', () => {
  const key = (prefixlen: number, ...data: number[]) => Uint8Array.of(prefixlen, 0, 0, 0, ...data);
  const value = Uint8Array.of(1, 0, 0, 0);
  const answers = (kernelVersion: string) => {
    const h = new Emulator({ kernelVersion }).createMap(attrs({ type: MapType.LpmTrie, keySize: 5, valueSize: 4, maxEntries: 2, flags: MapFlags.NoPrealloc }));
    if (typeof h === 'number') throw new Error(`create: ${h}`);
    const next = new Uint8Array(5);
    const rcs = [
      h.update(key(4, 0x10), value, 0), h.update(key(4, 0x10), value, 1), h.update(key(8, 0x20), value, 2),
      h.update(key(8, 0x20), value, 0), h.update(key(8, 0x20), value, 0), h.update(key(2, 0xc0), value, 0),
      // 0x00/4 is not in the trie: its walk (under the intermediate 0x00/2) ends at 0x10/4, which has its
      // prefixlen but matches 3 of its bits.
      h.getNextKey(key(4, 0x00), next), next[4],
    ];
    h.close();
    return rcs;
  };
  // 6.11: both flagged updates succeed; the trie is full after 0x20/8, so replacing it is ENOSPC; 0x00/4 is
  // taken for 0x10/4, whose successor in postorder is 0x20/8.
  expect(answers('6.11')).toEqual([0, 0, 0, -28, -28, -28, 0, 0x20]);
  // 6.18: EEXIST, ENOENT, then 0x20/8 is new, replaced when full; a new prefix ENOSPC; 0x00/4 is no element:
  // the first key, 0x10/4.
  expect(answers('6.18')).toEqual([0, -17, -2, 0, 0, -28, 0, 0x10]);
});

test('a lookup with bad flags on a write-only fd: EINVAL on 6.18, EPERM on 7.2', () => {
  for (const [kernelVersion, errno] of [['6.18', -22], ['7.2', -1]] as const) {
    const emulator = new Emulator({ kernelVersion });
    const h = emulator.createMap(attrs({ flags: MapFlags.Wronly }));
    if (typeof h === 'number') throw new Error(`create: ${h}`);
    expect(h.lookup(new Uint8Array(4), new Uint8Array(8), 1), kernelVersion).toBe(errno);
    h.close();
  }
});

test('programs for kernels before 6.6 keep to the instructions they have (test/diff random programs)', () => {
  expect(['6.1', '6.5', '6.6', '6.18'].map(cpuV4Instructions)).toEqual([false, false, true, true]);
  // A v4 instruction: BPF_MEMSX loads, MOVSX and signed DIV/MOD (off != 0 on ALU), BPF_ALU64 | BPF_END (bswap).
  const isV4 = (i: Insn): boolean => {
    const cls = i.code & 7;
    if (cls === Class.Ldx) return (i.code & 0xe0) === Mode.MemSx;
    if (cls === Class.Alu || cls === Class.Alu64) {
      const op = i.code & 0xf0;
      if (op === AluOp.End) return cls === Class.Alu64;
      return (op === AluOp.Mov || op === AluOp.Div || op === AluOp.Mod) && i.off !== 0;
    }
    return false;
  };
  const count = (isaV4: boolean): number => {
    const rng = new Prng(1);
    let n = 0;
    for (let p = 0; p < 300; p++) n += generateProgram(rng, { isaV4 }).insns.filter(isV4).length;
    return n;
  };
  expect(count(true)).toBeGreaterThan(100); // the check finds them where they are
  expect(count(false)).toBe(0);
});

test('before 6.6 the emulator refuses the v4 instructions with the words 6.1 used (measured in bpfkit vm)', () => {
  const pre = [asm.mov64Imm(0, 5), asm.mov64Imm(1, 3), asm.stx(8, 10, 0, -8)];
  const refusal = (insn: Insn, kernelVersion: string): string => {
    try {
      using p = loadProgram({ type: ProgramType.Syscall, insns: encodeInsns([...pre, insn, asm.exit()]), engine: new Emulator({ kernelVersion }) });
      return `retval ${p.run({ ctx: new Uint8Array(8) }).retval}`;
    } catch (e) {
      return (e as Error).message.split('\n').pop()!.replace(/^.*: /, '');
    }
  };
  const cases: [Insn, string, string][] = [
    [asm.ldxsx(4, 0, 10, -8), 'BPF_LDX uses reserved fields', 'retval 5'],
    [asm.movsx64(0, 1, 8), 'BPF_MOV uses reserved fields', 'retval 3'],
    [asm.alu64Reg(AluOp.Div, 0, 1, 1), 'BPF_ALU uses reserved fields', 'retval 1'],
    [asm.bswap(0, 64), 'unknown opcode d7', 'retval 0'],
  ];
  for (const [insn, old, now] of cases) {
    expect(refusal(insn, '6.1')).toBe(old);
    expect(refusal(insn, '6.5')).toBe(old);
    expect(refusal(insn, '6.6')).toBe(now);
  }
});
