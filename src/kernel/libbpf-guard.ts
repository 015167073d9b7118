// What the kernel engine keeps from libbpf. Debian 12's libbpf (1.1) crashes or hangs on some malformed
// objects that newer ones refuse (or still hang on); measured over 30,000 mutated objects against libbpf
// 1.1.2, 1.5.0 and 1.7.0 and 10^4 more from test/reliability/object-fuzz.test.ts (issue 19), every crash
// and hang came from the object's BTF (btf/sanity.ts) or from the ELF rule below.
import { readFileSync, statSync } from 'node:fs';
import { checkBtfSection } from '../btf/sanity.js';
import { BtfFormatError } from '../btf/types.js';
import { ElfConst, libbpfIgnores, ObjectFormatError, readElf, type ElfFile } from '../elf/reader.js';
import { ENOEXEC } from '../uapi/errno.js';
import type { ObjectFailure } from '../seam/engine.js';

/**
 * libbpf 1.1 bpf_object__collect_prog_relos reads the executable section a kept SHT_REL section applies to
 * without checking that libelf could (newer ones check): such a section lies within the file. Reading it
 * (`data`) throws ObjectFormatError otherwise.
 */
function checkRelocatedSections(elf: ElfFile): void {
  for (const rel of elf.sections) {
    if (rel.type !== ElfConst.SHT_REL || libbpfIgnores(rel, rel.name)) continue;
    const target = elf.sections[rel.info];
    if (target && target.type !== ElfConst.SHT_NOBITS && (target.flags & ElfConst.SHF_EXECINSTR) !== 0) void target.data;
  }
}

/**
 * The object at `path` checked with the rules above before libbpf sees it: a failure is ENOEXEC with the
 * reason. What is not a readable ELF file is left to libbpf, which refuses it itself.
 */
export function guardForLibbpf(path: string): ObjectFailure | undefined {
  let elf: ElfFile;
  try {
    // Only a regular file is read here (a FIFO or a device could block or never end).
    if (!statSync(path).isFile()) return undefined;
    elf = readElf(new Uint8Array(readFileSync(path)), path);
  } catch {
    return undefined;
  }
  try {
    checkRelocatedSections(elf);
    const btf = elf.sectionByName('.BTF');
    if (btf) checkBtfSection(btf.data);
  } catch (e) {
    if (!(e instanceof BtfFormatError) && !(e instanceof ObjectFormatError)) throw e;
    return { errno: ENOEXEC, syscall: 'bpf_object__open', detail: `bpfkit refused it before libbpf, which would crash or hang on it: ${e.message}` };
  }
  return undefined;
}
