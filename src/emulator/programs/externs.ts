// `__kconfig` and `__ksym` extern variables, resolved as libbpf does (src/libbpf.c
// bpf_object__resolve_externs, set_kcfg_value_tri / set_kcfg_value_num) against what the emulator can
// truthfully say about itself: LINUX_KERNEL_VERSION from the Emulator's kernelVersion, the few CONFIG_*
// options below, and no kernel variables at all. Unresolved __weak externs read as zero; an unresolved
// strong one fails the load with libbpf's message and errno. kfunc externs (`__ksym` functions) are the
// kfunc linker's business, not this file's.
import { EINVAL, ESRCH } from '../../uapi/errno.js';
import type { ParsedExtern } from '../../elf/externs.js';

/**
 * The kernel configuration the emulator states, as a `.config` would: only options that are true of the
 * emulator itself (it implements the bpf() map and program calls). Anything else is unknown: a weak
 * extern reads 0, a strong one fails the load.
 */
export const emulatorKconfig: Readonly<Record<string, 'y' | 'm' | 'n'>> = {
  CONFIG_BPF: 'y',
  CONFIG_BPF_SYSCALL: 'y',
};

/** include/uapi/linux/version.h KERNEL_VERSION(a, b, c), as libbpf's get_kernel_version computes it. */
export function kernelVersionCode(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

export interface ExternFailure {
  errno: number;
  detail: string;
}

/** Fills the `.kconfig` map's bytes (`size` long) and checks every extern; a failure is libbpf's. */
export function resolveExterns(externs: readonly ParsedExtern[], kconfigSize: number, kernelVersion: string): Uint8Array | ExternFailure {
  const data = new Uint8Array(kconfigSize);
  const view = new DataView(data.buffer);
  for (const ext of externs) {
    const kcfg = ext.kcfg ?? { type: 'unknown' as const, signed: false };
    if (ext.kind === 'ksym') {
      if (ext.weak) continue; // libbpf: a weak ksym nobody has is a plain 0 (bpf_object__relocate_data)
      // The emulator has no kernel variables. A typed one fails in bpf_object__resolve_ksym_var_btf_id
      // (EINVAL, as this machine's libbpf answers); a typeless one is looked up in kallsyms and then
      // reported unresolved by the final pass of bpf_object__resolve_externs (ESRCH).
      if (ext.typeless) return { errno: ESRCH, detail: `extern '${ext.name}' (strong): not resolved (the emulator has no kernel symbols)` };
      return { errno: EINVAL, detail: `extern (var ksym) '${ext.name}': not found in kernel BTF (the emulator has no kernel symbols)` };
    }
    let value: bigint | undefined;
    if (ext.name === 'LINUX_KERNEL_VERSION') {
      value = BigInt(kernelVersionCode(kernelVersion));
    } else if (ext.name === 'LINUX_HAS_BPF_COOKIE') {
      value = 0n; // the emulator attaches nothing, so no program has a cookie (bpf_get_attach_cookie)
    } else if (ext.name.startsWith('LINUX_')) {
      return { errno: EINVAL, detail: `extern (kcfg) '${ext.name}': unrecognized virtual extern` };
    } else if (!ext.name.startsWith('CONFIG_')) {
      return { errno: EINVAL, detail: `unrecognized extern '${ext.name}'` };
    }
    const tri = Object.hasOwn(emulatorKconfig, ext.name) ? emulatorKconfig[ext.name] : undefined;
    if (value !== undefined) {
      // set_kcfg_value_num
      if (kcfg.type !== 'int' && kcfg.type !== 'char' && kcfg.type !== 'bool') {
        return { errno: EINVAL, detail: `extern (kcfg) '${ext.name}': value '${value}' implies integer, char, or boolean type` };
      }
      const bits = BigInt(ext.size * 8);
      if ((kcfg.type === 'bool' && value > 1n) || (kcfg.signed ? BigInt.asIntN(Number(bits), value) !== value : value >> bits !== 0n)) {
        return { errno: EINVAL, detail: `extern (kcfg) '${ext.name}': value '${value}' doesn't fit in ${ext.size} bytes` };
      }
      for (let i = 0; i < ext.size; i++) view.setUint8(ext.offset + i, Number((value >> BigInt(i * 8)) & 0xffn));
    } else if (tri !== undefined) {
      // set_kcfg_value_tri
      if (kcfg.type === 'bool') {
        if (tri === 'm') return { errno: EINVAL, detail: `extern (kcfg) '${ext.name}': value 'm' implies tristate or char type` };
        data[ext.offset] = tri === 'y' ? 1 : 0;
      } else if (kcfg.type === 'tristate') {
        view.setUint32(ext.offset, tri === 'y' ? 1 : tri === 'm' ? 2 : 0, true); // enum libbpf_tristate
      } else if (kcfg.type === 'char') {
        data[ext.offset] = tri.charCodeAt(0);
      } else {
        return { errno: EINVAL, detail: `extern (kcfg) '${ext.name}': value '${tri}' implies bool, tristate, or char type` };
      }
    } else if (!ext.weak) {
      return { errno: ESRCH, detail: `extern '${ext.name}' (strong): not resolved` };
    }
    // else: a weak extern the emulator cannot state stays 0 ("defaulting to zero")
  }
  return data;
}
