// runAsync on the emulator's CPUs goes out in batches (cpus/batch.ts): the calls made together become one
// message to each idle CPU, which share the runs out as they go. Each run still has its own arguments,
// results and errors; a long run holds up no other; a closed program's runs end with EINTR.
import { Worker } from 'node:worker_threads';
import { afterEach, expect, test } from 'vitest';
import { BpfError, Emulator, loadProgram, ProgramType } from '../../src/index.js';
import { AluOp, asm, encodeInsns, JmpOp } from '../../src/uapi/isa.js';

/** XDP: r0 = data[0] | data[1] << 8; data[2] ^= data[0] ^ 0x5a (the packet comes back changed). */
const echo = encodeInsns([
  asm.ldx(4, 2, 1, 0), // data
  asm.ldx(4, 3, 1, 4), // data_end
  asm.mov64Reg(4, 2),
  asm.alu64Imm(AluOp.Add, 4, 3),
  asm.jmpReg(JmpOp.Jgt, 4, 3, 9),
  asm.ldx(1, 0, 2, 0),
  asm.ldx(1, 5, 2, 1),
  asm.alu64Imm(AluOp.Lsh, 5, 8),
  asm.alu64Reg(AluOp.Or, 0, 5),
  asm.ldx(1, 5, 2, 2),
  asm.alu64Reg(AluOp.Xor, 5, 0),
  asm.alu64Imm(AluOp.Xor, 5, 0x5a),
  asm.stx(1, 2, 5, 2),
  asm.exit(),
  asm.mov64Imm(0, 0),
  asm.exit(),
]);
/** XDP: returns 7. */
const seven = encodeInsns([asm.mov64Imm(0, 7), asm.exit()]);

function packetFor(i: number, size = 64): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = i & 0xff;
  p[1] = (i >> 8) & 0xff;
  p[2] = (i * 7) & 0xff;
  p[size - 1] = 0xee;
  return p;
}

const posted = { batches: 0 };
const postMessage = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: readonly unknown[]) {
  if ((message as { op?: string }).op === 'batch') posted.batches++;
  return postMessage.call(this, message, transfer as never);
};
afterEach(() => {
  posted.batches = 0;
});

test('2000 runs issued together: each gets its own result and packet back, in a few messages', async () => {
  const emulator = new Emulator({ possibleCpus: 2 });
  using prog = loadProgram({ type: ProgramType.Xdp, insns: echo, engine: emulator });
  const n = 2000;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => prog.runAsync({ data: packetFor(i) })));
  for (let i = 0; i < n; i++) {
    const want = packetFor(i);
    want[2] = want[2]! ^ (i & 0xffff) ^ 0x5a;
    expect(results[i]!.retval).toBe(i & 0xffff);
    expect(results[i]!.data).toEqual(want);
  }
  // A message per CPU per batch, not one per run.
  expect(posted.batches).toBeGreaterThan(0);
  expect(posted.batches).toBeLessThan(n / 100);
});

test('runs of two programs in one batch, and runs a test run refuses, each get their own answer', async () => {
  const emulator = new Emulator({ possibleCpus: 2 });
  using a = loadProgram({ type: ProgramType.Xdp, insns: echo, engine: emulator });
  using b = loadProgram({ type: ProgramType.Xdp, insns: seven, engine: emulator });
  const runs = Array.from({ length: 300 }, (_, i) => {
    // net/bpf/test_run.c bpf_prog_test_run_xdp: a packet shorter than an Ethernet header is EINVAL.
    if (i % 3 === 2) return (i % 2 ? a : b).runAsync({ data: new Uint8Array(10) });
    return (i % 3 === 0 ? a : b).runAsync({ data: packetFor(i) });
  });
  const settled = await Promise.allSettled(runs);
  settled.forEach((s, i) => {
    if (i % 3 === 2) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(BpfError);
      expect(((s as PromiseRejectedResult).reason as BpfError).code).toBe('EINVAL');
    } else {
      expect(s.status).toBe('fulfilled');
      expect((s as PromiseFulfilledResult<{ retval: number }>).value.retval).toBe(i % 3 === 0 ? i & 0xffff : 7);
    }
  });
});

test('a long run holds up no other: runs issued with it finish while it runs; closing its program ends it', async () => {
  const emulator = new Emulator({ possibleCpus: 2 });
  using short = loadProgram({ type: ProgramType.Xdp, insns: seven, engine: emulator });
  const long = loadProgram({ type: ProgramType.Xdp, insns: seven, engine: emulator });
  const endless = long.runAsync({ data: packetFor(0), repeat: 2 ** 32 - 1 }); // minutes: only close() ends it
  const quick = Array.from({ length: 200 }, () => short.runAsync({ data: packetFor(1) }));
  // Issued in the same tick as the long run: with it in one batch, taken by the other CPU as it goes.
  expect((await Promise.all(quick)).every((r) => r.retval === 7)).toBe(true);
  long.close();
  await expect(endless).rejects.toMatchObject({ code: 'EINTR' });
});

test.each(['before they are sent', 'while the CPUs work through them'])('closing a program interrupts its queued runs with EINTR %s; another program\'s runs in the same batches complete', async (when) => {
  const emulator = new Emulator({ possibleCpus: 2 });
  using keep = loadProgram({ type: ProgramType.Xdp, insns: seven, engine: emulator });
  const closing = loadProgram({ type: ProgramType.Xdp, insns: seven, engine: emulator });
  const doomed = Array.from({ length: 500 }, () => closing.runAsync({ data: packetFor(2), repeat: 1000 }));
  const kept = Array.from({ length: 500 }, () => keep.runAsync({ data: packetFor(3), repeat: 10 }));
  // setImmediate: after the batches went out (a microtask), long before 500 × 1000 runs are done.
  if (when !== 'before they are sent') await new Promise((resolve) => setImmediate(resolve));
  closing.close();
  const settled = await Promise.allSettled(doomed);
  const interrupted = settled.filter((s) => s.status === 'rejected');
  for (const s of interrupted) expect(((s as PromiseRejectedResult).reason as BpfError).code).toBe('EINTR');
  for (const s of settled) if (s.status === 'fulfilled') expect(s.value.retval).toBe(7);
  if (when === 'before they are sent') expect(interrupted.length).toBe(500);
  else expect(interrupted.length).toBeGreaterThan(0);
  expect((await Promise.all(kept)).every((r) => r.retval === 7)).toBe(true);
});
