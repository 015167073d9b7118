// The emulator's static lock checker (src/emulator/checker/lock-rules.ts over walk.ts) on hand-written programs. Raw
// programs run through loadProgram on every engine, so the kernel's verifier decides each expectation;
// the checker's own limits (pruning, the work cap) and every accepted fixture are checked directly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BpfVerifierError, createMap, Emulator, features, loadProgram, openObject, resSpinLock, spinLock, struct, u32, u64, type BpfMap } from '../../src/index.js';
import type { CheckedMap, CheckInput } from '../../src/emulator/checker/types.js';
import { checkLocks } from '../../src/emulator/checker/lock-rules.js';
import { DEFAULT_KERNEL_VERSION, disasmLoadAcquire, mapValueLoadsDistinctLocks, refusalAt } from '../../src/emulator/kernel-version.js';
import { asm, AtomicOp, encodeInsns, JmpOp, PseudoLd, type Insn } from '../../src/uapi/isa.js';
import { parseObject } from '../../src/elf/object.js';
import { packageRoot } from '../../src/package-root.js';
import { describeEngines } from '../helpers/engines.js';
import { kernelSkipReason } from '../helpers/kernel.js';
import { fixture, resLockSkipReason } from '../kernel/bpf-fixtures.js';

const SPIN_LOCK = 93;
const SPIN_UNLOCK = 94;
const MAP_LOOKUP_ELEM = 1;
const SCHED_CLS = 3;

const spinValue = struct({ lock: spinLock, count: u64 });
const resValue = struct({ lock: resSpinLock, count: u64 });

/** r`dst` = &maps[index]'s value + off (BPF_PSEUDO_MAP_IDX_VALUE): a global-data-like pointer, id 0. */
const valuePtr = (dst: number, index = 0, off = 0): Insn[] => asm.ldImm64(dst, (BigInt(off) << 32n) | BigInt(index), PseudoLd.MapIdxValue);
/** r`dst` = maps[index] (BPF_PSEUDO_MAP_IDX). */
const mapPtr = (dst: number, index = 0): Insn[] => asm.ldImm64(dst, BigInt(index), PseudoLd.MapIdx);
const ret0 = (): Insn[] => [asm.mov64Imm(0, 0), asm.exit()];
/** r0 = lookup(maps[index], key 0 on the stack at fp-4). */
const lookup = (index = 0): Insn[] => [
  asm.st(4, 10, -4, 0), asm.mov64Reg(2, 10), asm.alu64Imm(0x00, 2, -4), ...mapPtr(1, index), asm.call(MAP_LOOKUP_ELEM),
];

/** The reason line of a refusal, or 'accepted'. */
function outcome(load: () => { close(): void }): { reason: string; errno?: number } {
  try {
    load().close();
    return { reason: 'accepted' };
  } catch (e) {
    if (!(e instanceof BpfVerifierError)) throw e;
    const lines = e.log.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^processed \d+ insns/.test(l));
    return { reason: lines[lines.length - 1]!, errno: e.errno };
  }
}

/**
 * Locks, then a first branch sets r7 (0 on the fall-through, 1 on the taken side, which a depth-first walk
 * explores last), then 30 diamonds that write r3, never read again, then unlocks unless r7 == 1 (when
 * `violate`). Without pruning equal states the walk meets 2^30 paths before the violating ones.
 */
function diamondProgram(violate: boolean): Insn[] {
  const insns: Insn[] = [
    asm.ldx(4, 6, 1, 0), ...valuePtr(1), asm.call(SPIN_LOCK), // r6 = skb->len: unknown, survives calls
    asm.jmpImm(JmpOp.Jeq, 6, 100, 2), asm.mov64Imm(7, 0), asm.ja(1), asm.mov64Imm(7, 1),
  ];
  for (let i = 0; i < 30; i++) insns.push(asm.jmpImm(JmpOp.Jeq, 6, i, 1), asm.mov64Imm(3, i));
  insns.push(asm.jmpImm(JmpOp.Jeq, 7, violate ? 1 : 2, 3), ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0());
  return insns;
}

describeEngines('lock discipline of raw programs', (engine, name) => {
  // The expectations are Linux 6.18's words; the kernel engine's own version may word a refusal otherwise.
  const version = name === 'kernel' ? features.emulatorKernelVersion() : DEFAULT_KERNEL_VERSION;
  // The kernel engine's res-lock cases need a kernel that has the lock (6.15+).
  const resLocks = name !== 'kernel' || resLockSkipReason() === undefined;
  const want = (o: { reason: string; errno?: number }) => (o.errno === undefined ? o : refusalAt(version, { reason: o.reason, errno: o.errno }));
  const run = (insns: Insn[], maps: BpfMap<any, any>[], type = SCHED_CLS) =>
    outcome(() => loadProgram({ type, insns: encodeInsns(insns), maps, engine: engine(), name: 'lockcheck' }));
  const withMap = <T>(value: typeof spinValue | typeof resValue | typeof u64, body: (m: BpfMap<any, any>) => T): T => {
    using m = createMap({ type: 'array', key: u32, value: value as typeof u64, maxEntries: 1, name: 'lockmap', engine: engine() });
    return body(m);
  };

  test('lock then unlock of the same value is accepted (before 6.2, two loads of it are two locks)', () => {
    withMap(spinValue, (m) => {
      expect(run([...valuePtr(1), asm.call(SPIN_LOCK), ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0()], [m]))
        .toEqual(mapValueLoadsDistinctLocks(version) ? want({ reason: 'bpf_spin_unlock of different lock', errno: -22 }) : { reason: 'accepted' });
    });
  });

  test('branches: a lock taken on one path only is refused at that path\'s exit', () => {
    withMap(spinValue, (m) => {
      const insns = [
        asm.ldx(4, 2, 1, 0), // r2 = skb->len: unknown
        ...valuePtr(1),
        asm.jmpImm(JmpOp.Jeq, 2, 0, 1), // len == 0: skip the lock
        asm.call(SPIN_LOCK),
        ...ret0(),
      ];
      expect(run(insns, [m])).toEqual(want({ reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', errno: -22 }));
    });
  });

  test('branches: lock and unlock on both sides of a branch is accepted; a decided branch is not explored', () => {
    withMap(spinValue, (m) => {
      const both = [
        asm.ldx(4, 6, 1, 0), ...valuePtr(1), asm.call(SPIN_LOCK), // r6 = skb->len survives the call
        asm.jmpImm(JmpOp.Jeq, 6, 0, 5), ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0(),
        ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0(),
      ];
      expect(run(both, [m])).toEqual({ reason: 'accepted' });
      // r6 = 5 is known: "if r6 == 0" never jumps, so the path that would exit locked does not exist.
      const decided = [
        asm.mov64Imm(6, 5), ...valuePtr(1), asm.call(SPIN_LOCK),
        asm.jmpImm(JmpOp.Jeq, 6, 0, 5), ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0(),
        ...ret0(),
      ];
      expect(run(decided, [m])).toEqual({ reason: 'accepted' });
    });
  });

  test('two violations on two paths: the fall-through\'s is reported, as the kernel walks it first', () => {
    withMap(spinValue, (m) => {
      const insns = (fallthroughFirst: boolean) => {
        const unlocked = [...valuePtr(1), asm.call(SPIN_UNLOCK)]; // "without taking a lock"
        const misplaced = [...valuePtr(1, 0, 8), asm.call(SPIN_LOCK)]; // "off 8 doesn't point ..."
        const [first, second] = fallthroughFirst ? [unlocked, misplaced] : [misplaced, unlocked];
        return [asm.ldx(4, 6, 1, 0), asm.jmpImm(JmpOp.Jeq, 6, 0, 3), ...first, ...second, ...ret0()];
      };
      expect(run(insns(true), [m])).toEqual(want({ reason: 'bpf_spin_unlock without taking a lock', errno: -22 }));
      expect(run(insns(false), [m])).toEqual(want({ reason: 'off 8 doesn\'t point to \'struct bpf_spin_lock\' that is at 0', errno: -22 }));
    });
  });

  test('null checks: checking r0 also checks its copy, which then locks (and must unlock)', () => {
    withMap(spinValue, (m) => {
      const insns = (unlock: boolean) => [
        ...lookup(), asm.mov64Reg(6, 0),
        asm.jmpImm(JmpOp.Jne, 0, 0, 2), ...ret0(), // r0 == NULL: return (r6, the same lookup, is NULL too)
        asm.mov64Reg(1, 6), asm.call(SPIN_LOCK),
        ...(unlock ? [asm.mov64Reg(1, 6), asm.call(SPIN_UNLOCK)] : []),
        ...ret0(),
      ];
      expect(run(insns(true), [m])).toEqual({ reason: 'accepted' });
      expect(run(insns(false), [m])).toEqual(want({ reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', errno: -22 }));
    });
  });

  test('null checks: two lookups are two locks, so unlocking the other one is refused', () => {
    withMap(spinValue, (m) => {
      const insns = [
        ...lookup(), asm.mov64Reg(6, 0), ...lookup(), asm.mov64Reg(7, 0),
        asm.jmpImm(JmpOp.Jeq, 6, 0, 5), asm.jmpImm(JmpOp.Jeq, 7, 0, 4),
        asm.mov64Reg(1, 6), asm.call(SPIN_LOCK), asm.mov64Reg(1, 7), asm.call(SPIN_UNLOCK),
        ...ret0(),
      ];
      expect(run(insns, [m])).toEqual(want({ reason: 'bpf_spin_unlock of different lock', errno: -22 }));
    });
  });

  test('spills: a pointer spilled to the stack and filled back keeps its identity', () => {
    withMap(spinValue, (m) => {
      const body = (unlockSlot: number) => [
        ...lookup(), asm.mov64Reg(6, 0), ...lookup(), asm.mov64Reg(7, 0),
        asm.jmpImm(JmpOp.Jeq, 6, 0, 9), asm.jmpImm(JmpOp.Jeq, 7, 0, 8),
        asm.stx(8, 10, 6, -16), asm.stx(8, 10, 7, -24), // spill both
        asm.ldx(8, 1, 10, -16), asm.call(SPIN_LOCK), // fill the first, lock it
        asm.ldx(8, 1, 10, unlockSlot), asm.call(SPIN_UNLOCK),
        ...ret0(),
        ...ret0(),
      ];
      expect(run(body(-16), [m])).toEqual({ reason: 'accepted' });
      expect(run(body(-24), [m])).toEqual(want({ reason: 'bpf_spin_unlock of different lock', errno: -22 }));
    });
  });

  test('a second bpf_spin_lock while one is held is a call inside the locked region (6.18\'s message)', () => {
    withMap(spinValue, (m) => {
      const insns = [...valuePtr(1), asm.call(SPIN_LOCK), ...valuePtr(1), asm.call(SPIN_LOCK), ...ret0()];
      expect(run(insns, [m])).toEqual(want({ reason: 'function calls are not allowed while holding a lock', errno: -22 }));
    });
  });

  test('a lock in a static subprogram may outlive it; the caller unlocks', () => {
    withMap(spinValue, (m) => {
      const insns = [
        asm.callLocal(5), ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0(),
        ...valuePtr(1), asm.call(SPIN_LOCK), ...ret0(), // subprogram: returns holding the lock
      ];
      expect(run(insns, [m])).toEqual({ reason: 'accepted' });
    });
  });

  test('loads and stores of the lock word are refused with EACCES', () => {
    withMap(spinValue, (m) => {
      expect(run([...valuePtr(1), asm.st(4, 1, 0, 1), ...ret0()], [m])).toEqual(want({ reason: 'bpf_spin_lock cannot be accessed directly by load/store', errno: -13 }));
      expect(run([...valuePtr(1), asm.ldx(8, 0, 1, 0), ...ret0()], [m])).toEqual(want({ reason: 'bpf_spin_lock cannot be accessed directly by load/store', errno: -13 }));
      expect(run([...valuePtr(1), asm.ldx(8, 0, 1, 8), ...ret0()], [m])).toEqual({ reason: 'accepted' });
      // Atomics go through the same access check: an atomic add, and a load-acquire (dst = *(src + off)).
      const word = want({ reason: 'bpf_spin_lock cannot be accessed directly by load/store', errno: -13 });
      expect(run([...valuePtr(1), asm.mov64Imm(2, 1), asm.atomic(4, AtomicOp.Add, 1, 2, 0), ...ret0()], [m])).toEqual(word);
      // Load-acquire is 6.15's (before, check_atomic does not know the opcode).
      if (disasmLoadAcquire(version)) {
        expect(run([...valuePtr(1), asm.atomic(4, AtomicOp.LoadAcq, 0, 1, 0), ...ret0()], [m])).toEqual(word);
        expect(run([...valuePtr(1), asm.atomic(8, AtomicOp.LoadAcq, 0, 1, 8), ...ret0()], [m])).toEqual({ reason: 'accepted' });
      }
    });
    if (resLocks) {
      withMap(resValue, (m) => {
        expect(run([...valuePtr(1, 0, 2), asm.ldx(1, 0, 1, 0), ...ret0()], [m])).toEqual(want({ reason: 'bpf_res_spin_lock cannot be accessed directly by load/store', errno: -13 }));
      });
    }
  });

  test('where the lock is: constant offset, the lock field, a map with BTF', () => {
    withMap(spinValue, (m) => {
      expect(run([...valuePtr(1, 0, 8), asm.call(SPIN_LOCK), ...ret0()], [m])).toEqual(want({ reason: 'off 8 doesn\'t point to \'struct bpf_spin_lock\' that is at 0', errno: -22 }));
      const varOffset = [asm.ldx(4, 2, 1, 0), asm.alu64Imm(0x50, 2, 4), ...valuePtr(1), asm.alu64Reg(0x00, 1, 2), asm.call(SPIN_LOCK), ...ret0()];
      expect(run(varOffset, [m])).toEqual(want({ reason: 'R1 doesn\'t have constant offset. bpf_spin_lock has to be at the constant offset', errno: -22 }));
    });
    withMap(u64, (m) => {
      expect(run([...valuePtr(1), asm.call(SPIN_LOCK), ...ret0()], [m])).toEqual(want({ reason: 'map \'lockmap\' has to have BTF in order to use bpf_spin_lock', errno: -22 }));
    });
    withMap(resValue, (m) => {
      expect(run([...valuePtr(1), asm.call(SPIN_LOCK), ...ret0()], [m])).toEqual(want({ reason: 'map \'lockmap\' has no valid bpf_spin_lock', errno: -22 }));
    });
  });

  test('socket filters and tracing programs may not use lock-bearing maps at all', () => {
    withMap(spinValue, (m) => {
      expect(run([...valuePtr(1), ...ret0()], [m], 1)).toEqual(want({ reason: 'socket filter progs cannot use bpf_spin_lock yet', errno: -22 }));
      expect(run([...valuePtr(1), ...ret0()], [m], 2)).toEqual(want({ reason: 'tracing progs cannot use bpf_spin_lock yet', errno: -22 }));
    });
    // Before 6.15 struct bpf_res_spin_lock is no special field: nothing to refuse.
    if (resLocks) {
      withMap(resValue, (m) => {
        expect(run([...valuePtr(1), ...ret0()], [m], 1)).toEqual(want({ reason: 'socket filter progs cannot use bpf_spin_lock yet', errno: -22 }));
      });
    }
  });

  // Without pruning the walk would follow 2^30 paths and never end: the test's timeout is the proof.
  test('pruning: 30 sequential diamonds before a violation that only the last-explored paths reach', () => {
    withMap(spinValue, (m) => {
      expect(run(diamondProgram(true), [m])).toEqual(want({ reason: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', errno: -22 }));
      expect(run(diamondProgram(false), [m])).toEqual({ reason: 'accepted' });
    });
  });
});

/** A CheckInput over hand-written instructions and one map, for the checker alone. */
function rawInput(insns: Insn[], map: CheckedMap): CheckInput {
  return { name: 'raw', type: SCHED_CLS, insns, relocs: [], functions: [], mapOf: (ref) => (ref.index === 0 ? map : undefined) };
}
const lockMap: CheckedMap = { name: 'lockmap', type: 2, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0, hasBtf: true, locks: [{ kind: 'spin', offset: 0 }] };

test('6.1 gives each load of a lock-bearing map value its own id (check_ld_imm): a lock and its unlock through two loads differ', () => {
  const verdict = (kernelVersion: string) => {
    const engine = new Emulator({ kernelVersion });
    using m = createMap({ type: 'array', key: u32, value: spinValue, maxEntries: 1, name: 'lockmap', engine });
    return outcome(() => loadProgram({ type: SCHED_CLS, insns: encodeInsns([...valuePtr(1), asm.call(SPIN_LOCK), ...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0()]), maps: [m], engine }));
  };
  expect([verdict('6.1'), verdict('6.2')]).toEqual([{ reason: 'bpf_spin_unlock of different lock', errno: -13 }, { reason: 'accepted' }]);
});

describe('the lock checker alone', () => {
  test('pruning keeps 2^30 paths to a few states per instruction (else the walk would not end)', () => {
    expect(checkLocks(rawInput(diamondProgram(true), lockMap))?.log).toMatch(/BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region\n$/);
  });

  test('the work cap accepts rather than guess: a violation behind a 10^7-iteration loop is not reached', () => {
    const loop = [
      asm.mov64Imm(2, 0),
      asm.alu64Imm(0x00, 2, 1), asm.jmpImm(JmpOp.Jlt, 2, 10_000_000, -2), // r2 counts to 10^7
      ...valuePtr(1), asm.call(SPIN_LOCK), ...ret0(), // then exits locked
    ];
    expect(checkLocks(rawInput(loop, lockMap))).toBeUndefined();
    // The same violation with a short loop is found.
    loop[2] = asm.jmpImm(JmpOp.Jlt, 2, 10, -2);
    expect(checkLocks(rawInput(loop, lockMap))?.log).toMatch(/cannot be used inside bpf_spin_lock-ed region\n$/);
  }, 60_000);

  test('the log ends with the reason, after the instruction it refers to', () => {
    const failure = checkLocks(rawInput([...valuePtr(1), asm.call(SPIN_UNLOCK), ...ret0()], lockMap));
    expect(failure).toEqual({ errno: -22, log: '2: (85) call bpf_spin_unlock#94\nbpf_spin_unlock without taking a lock\n' });
  });
});

describe('every accepted fixture passes the lock checker (and the kernel, where it can load)', () => {
  const accepted = readdirSync(join(packageRoot(), 'bpf')).filter((f) => f.endsWith('.bpf.c') && !f.startsWith('reject_')).map((f) => f.replace(/\.bpf\.c$/, ''));
  const kernelSkip = kernelSkipReason();
  const resSkip = resLockSkipReason();
  if (resSkip) console.log(`skipped: kernel half for res_* fixtures: ${resSkip}`);
  // The fixtures that load on the kernel (others fail earlier on purpose: lock_in_lru's map cannot be
  // created, the externs_* fixtures test libbpf's extern resolution).
  const kernelLoadable = new Set(['spin_lock', 'res_spin_lock', 'res_deadlock', 'unlocked', 'loader_features', 'lru_touch', 'syscall_counter']);
  if (kernelSkip) console.log(`skipped: kernel half of the accepted-fixture checks: ${kernelSkip}`);
  for (const name of accepted) {
    test(name, () => {
      const parsed = parseObject(readFileSync(fixture(name)), name);
      expect(parsed.programs.length).toBeGreaterThan(0);
      // SEC("?...") programs load only when named: a fixture's deliberately refused ones (diff tests judge those).
      for (const p of parsed.programs.filter((q) => q.autoload)) {
        const failure = checkLocks({
          name: p.name, type: p.type, insns: p.insns, relocs: p.relocs, functions: p.functions,
          mapOf: (ref) => {
            const d = parsed.maps.find((m) => m.name === ref.name);
            return d && { name: d.name, type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags, hasBtf: d.btfValueTypeId !== 0, locks: d.locks };
          },
        });
        expect(failure, `${name}/${p.name}: ${failure?.log}`).toBeUndefined();
      }
      if (kernelSkip === undefined && kernelLoadable.has(name) && !(name.startsWith('res_') && resSkip !== undefined)) {
        expect(outcome(() => openObject(fixture(name), { engine: 'kernel' }))).toEqual({ reason: 'accepted' });
      }
    });
  }
});
