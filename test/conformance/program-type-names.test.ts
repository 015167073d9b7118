// loadProgram's type by name: a KernelProgramType name ('Xdp') or a section name as libbpf's SEC() takes it
// ('xdp', 'tc', 'sk_lookup'), which also brings the expected attach type and prog_flags libbpf loads it with.
import { expect, test } from 'vitest';
import { asm, encodeInsns } from '../../src/uapi/isa.js';
import { loadProgram, openObject, ProgramType } from '../../src/index.js';
import { programTypeByName } from '../../src/elf/sections.js';
import { AttachType } from '../../src/uapi/program-type.js';
import { ProgFlags } from '../../src/uapi/prog-flags.js';
import { describeEngines } from '../helpers/engines.js';
import { fixture, packet } from '../kernel/bpf-fixtures.js';

const returns = (n: number) => encodeInsns([asm.mov64Imm(0, n), asm.exit()]);

test('one table: section names resolve through libbpf\'s section definitions, enum names to the type alone', () => {
  expect(programTypeByName('xdp')).toEqual({ type: ProgramType.Xdp, expectedAttachType: AttachType.Xdp, progFlags: 0 });
  expect(programTypeByName('xdp.frags')).toEqual({ type: ProgramType.Xdp, expectedAttachType: AttachType.Xdp, progFlags: ProgFlags.XdpHasFrags });
  expect(programTypeByName('syscall')).toEqual({ type: ProgramType.Syscall, expectedAttachType: 0, progFlags: ProgFlags.Sleepable });
  expect(programTypeByName('tc/ingress')).toEqual({ type: ProgramType.SchedCls, expectedAttachType: AttachType.TcxIngress, progFlags: 0 });
  expect(programTypeByName('Xdp')).toEqual({ type: ProgramType.Xdp, expectedAttachType: 0, progFlags: 0 });
  expect(programTypeByName('LwtIn')).toEqual({ type: 10, expectedAttachType: 0, progFlags: 0 });
  for (const none of ['Unspec', 'XDP', 'xdpx', '', 'constructor']) expect(programTypeByName(none), none).toBeUndefined();
});

describeEngines('program types by name', (engine) => {
  test('\'xdp\', \'tc\' and \'syscall\' load as \'Xdp\', \'SchedCls\' and \'Syscall\' do', () => {
    const e = engine();
    for (const [section, typeName] of [['xdp', 'Xdp'], ['tc', 'SchedCls'], ['syscall', 'Syscall']] as const) {
      using bySection = loadProgram({ type: section, insns: returns(1), engine: e });
      using byEnum = loadProgram({ type: typeName, insns: returns(1), engine: e });
      expect([bySection.typeName, bySection.type]).toEqual([byEnum.typeName, ProgramType[typeName]]);
      const run = section === 'syscall' ? {} : { data: packet() };
      expect(bySection.run(run).retval).toBe(1);
    }
  });

  test('a section name brings its expected attach type: \'sk_lookup\' loads where \'SkLookup\' alone is EINVAL', () => {
    const e = engine();
    using prog = loadProgram({ type: 'sk_lookup', insns: returns(1), engine: e });
    expect(prog.typeName).toBe('SkLookup');
    // kernel/bpf/syscall.c bpf_prog_load_check_attach: an sk_lookup program must say BPF_SK_LOOKUP.
    expect(() => loadProgram({ type: 'SkLookup', insns: returns(1), engine: e })).toThrowError(expect.objectContaining({ code: 'EINVAL' }));
    using given = loadProgram({ type: 'SkLookup', insns: returns(1), engine: e, expectedAttachType: AttachType.SkLookup });
    expect(given.typeName).toBe('SkLookup');
  });

  test('a name that is neither is a TypeError saying what is taken; openObject\'s programTypes takes section names too', () => {
    expect(() => loadProgram({ type: 'xdpx', insns: returns(1), engine: engine() })).toThrowError(new TypeError(
      "loadProgram: type must be a ProgramType, a KernelProgramType name ('Xdp') or a libbpf section name ('xdp', 'tc', 'syscall'), got string \"xdpx\"",
    ));
    using obj = openObject(fixture('custom_section'), { engine: engine(), programTypes: { custom_classify: 'tc' } });
    expect(obj.programs.custom_classify!.typeName).toBe('SchedCls');
  });
});
