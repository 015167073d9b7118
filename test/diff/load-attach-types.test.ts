// kernel/bpf/syscall.c bpf_prog_load_check_attach (and bpf_prog_load_fixup_attach_type): which
// expected_attach_type each program type loads with. The running kernel is the oracle for every pair of
// these types and attach types; the emulator answers at its version (features.emulatorKernelVersion()).
import { expect, test } from 'vitest';
import { Emulator, features, loadProgram } from '../../src/index.js';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { AttachType as A, KernelProgramType as P } from '../../src/uapi/program-type.js';
import { getKernelEngine } from '../../src/kernel/engine.js';
import type { Engine } from '../../src/seam/engine.js';
import { describeKernel } from '../helpers/kernel.js';

const insns = encodeInsns([asm.mov64Imm(0, 0), asm.exit()]);
const types = [P.CgroupSock, P.CgroupSockAddr, P.CgroupSkb, P.CgroupSockopt, P.SkLookup, P.SkReuseport, P.Netfilter, P.Syscall, P.Xdp, P.SchedCls];
const attachTypes = [
  0, A.CgroupInetEgress, A.CgroupInet4PostBind, A.CgroupInetSockRelease, A.CgroupUdp6Recvmsg, A.CgroupUnixConnect, A.CgroupGetsockopt,
  A.SkLookup, A.SkReuseportSelectOrMigrate, A.Netfilter, A.Xdp, 200,
];

function verdict(engine: Engine, type: number, expectedAttachType: number): string {
  try {
    loadProgram({ type, insns, expectedAttachType, engine }).close();
    return 'loads';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describeKernel('expected_attach_type per program type, kernel vs emulator', () => {
  test(`${types.length} program types × ${attachTypes.length} attach types`, () => {
    const emulator = new Emulator({ kernelVersion: features.emulatorKernelVersion() });
    const answers = (engine: Engine) => types.flatMap((t) => attachTypes.map((a) => `type ${t} attach ${a}: ${verdict(engine, t, a)}`));
    const kernel = answers(getKernelEngine());
    // Not vacuous: the kernel both loads and refuses among these.
    expect(kernel.some((l) => l.endsWith('loads')) && kernel.some((l) => l.endsWith('EINVAL'))).toBe(true);
    expect(answers(emulator)).toEqual(kernel);
  });
});
