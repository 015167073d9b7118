// Helper prototypes and their availability, as the kernel's verifier sees them (kernel/bpf/verifier.c
// check_helper_call): the bpf_func_proto a program of a given type and attach type gets for each helper id
// (helper-protos/program-types.ts, each type's get_func_proto as root), the prototypes themselves
// (helper-protos/protos.ts) and the vocabulary of argument, return and register types with the lists
// check_reg_type prints (helper-protos/types.ts). helperRefusal gives check_helper_call's refusals before
// it looks at arguments, in its order and words. test/diff/helper-protos.test.ts compares all of it with the
// running kernel; kernel-version.ts holds what differs between versions.
import { EINVAL, ENOTSUPP } from '../../uapi/errno.js';
import { BPF_FUNC_MAX_ID, funcIdName, HelperId } from '../../uapi/helpers.js';
import { AttachType as AT, KernelProgramType as PT } from '../../uapi/program-type.js';
import { DEFAULT_KERNEL_VERSION, getFuncIpNamesFsession, helperProtoFlags613, loopCountIsScalar, sleepableHelperNamesHelper } from '../kernel-version.js';
import { defaultHostConfig, funcProtoName, hasTrampoline, modelledProgramTypes, type HostConfig, type ProgContext } from './helper-protos/program-types.js';
import { loopProtoAnything, protoBefore613, protos, type HelperProto } from './helper-protos/protos.js';

export type { HelperProto } from './helper-protos/protos.js';
export { protos as helperProtoTable } from './helper-protos/protos.js';
export { defaultHostConfig, modelledProgramTypes, type HostConfig } from './helper-protos/program-types.js';
export {
  ArgType, RetType, RegType, TypeFlag, baseType, compatibleRegTypes, expectedRegTypes, regTypeMatches, regTypeMismatch,
  regTypeStr,
} from './helper-protos/types.js';

/** What the verifier knows of the program beyond its type and attach type. */
export interface HelperProgramOptions {
  /** BPF_F_SLEEPABLE (syscall programs are always sleepable). Default false. */
  sleepable?: boolean;
  /** The kernel's build and lockdown; default this project's test machine (defaultHostConfig). */
  config?: HostConfig;
  /** The attach target's name in vmlinux BTF: an LSM hook (`bpf_lsm_file_open`), iter target (`bpf_iter_tcp`) or traced function. */
  attachBtfName?: string;
}

const DEFAULT_VERSION = DEFAULT_KERNEL_VERSION;

function context(progType: number, attachType: number, version: string, o: HelperProgramOptions): ProgContext {
  return {
    type: progType, attachType, version, sleepable: o.sleepable ?? false, config: o.config ?? defaultHostConfig,
    ...(o.attachBtfName !== undefined ? { attachBtfName: o.attachBtfName } : {}),
  };
}

/**
 * The bpf_func_proto a program of `progType` (expected attach type `attachType`) gets for helper `id` on
 * `kernelVersion`, or undefined where its get_func_proto returns NULL ("program of this type cannot use
 * helper"). Also undefined for the program types not modelled (StructOps, Ext: see modelledProgramTypes).
 */
export function helperProto(
  id: number, progType: number, attachType: number, kernelVersion = DEFAULT_VERSION, options: HelperProgramOptions = {},
): HelperProto | undefined {
  if (!Number.isInteger(id) || id <= 0 || id >= BPF_FUNC_MAX_ID) return undefined;
  const name = funcProtoName(id, context(progType, attachType, kernelVersion, options));
  if (name === undefined) return undefined;
  if (name === 'bpf_loop_proto' && !loopCountIsScalar(kernelVersion)) return loopProtoAnything;
  const proto = (!helperProtoFlags613(kernelVersion) ? protoBefore613.get(name) : undefined) ?? protos.get(name);
  if (!proto) throw new Error(`helper-protos: ${name} is returned by a get_func_proto but not defined`);
  return proto;
}

/** A refusal: the verifier's last log line and the errno BPF_PROG_LOAD fails with (negative, as uapi/errno.ts). */
export interface HelperRefusal {
  log: string;
  errno: number;
}

/**
 * check_helper_call's refusals before the argument checks, in its order (kernel/bpf/verifier.c):
 * bpf_get_helper_proto's range check ("invalid func unknown#N"), a NULL get_func_proto ("program of this type
 * cannot use helper bpf_x#N"), gpl_only in a non-GPL program, fn->allowed, and (through 6.18) might_sleep
 * in a program that is not sleepable. All EINVAL. A refusal that depends on the verifier's state at the call
 * (an RCU, preempt or IRQ region, a held lock) is the walk's to add. For a program type not modelled
 * (modelledProgramTypes) only the range check is answered.
 */
export function helperRefusal(
  id: number, progType: number, attachType: number, gpl: boolean, kernelVersion = DEFAULT_VERSION, options: HelperProgramOptions = {},
): HelperRefusal | undefined {
  if (!Number.isInteger(id) || id < 0 || id >= BPF_FUNC_MAX_ID) return { log: `invalid func ${funcIdName(id)}#${id}`, errno: EINVAL };
  if (!modelledProgramTypes.includes(progType)) return undefined;
  const prog = context(progType, attachType, kernelVersion, options);
  const fn = helperProto(id, progType, attachType, kernelVersion, options);
  if (!fn) return { log: `program of this type cannot use helper ${funcIdName(id)}#${id}`, errno: EINVAL };
  if (!gpl && fn.gplOnly) return { log: 'cannot call GPL-restricted function from non-GPL compatible program', errno: EINVAL };
  if (fn.allowed && !allowed(fn.allowed, prog)) return { log: 'helper call is not allowed in probe', errno: EINVAL };
  if (fn.mightSleep && !sleepable(prog) && !sleepableHelperNamesHelper(kernelVersion)) {
    return { log: 'helper call might sleep in a non-sleepable prog', errno: EINVAL };
  }
  return undefined;
}

/**
 * check_helper_call's refusals that come after a helper's arguments passed check_func_arg, for the helpers
 * whose refusal depends only on the program: bpf_get_func_ip outside kprobes and trampoline programs
 * (check_get_func_ip, ENOTSUPP), and (since 6.19's rewording) might_sleep in a non-sleepable program.
 */
export function helperRefusalAfterArgs(
  id: number, progType: number, attachType: number, kernelVersion = DEFAULT_VERSION, options: HelperProgramOptions = {},
): HelperRefusal | undefined {
  const prog = context(progType, attachType, kernelVersion, options);
  const fn = helperProto(id, progType, attachType, kernelVersion, options);
  if (!fn) return undefined;
  if (fn.mightSleep && !sleepable(prog) && sleepableHelperNamesHelper(kernelVersion)) {
    return { log: `sleepable helper ${funcIdName(id)}#${id} in non-sleepable prog`, errno: EINVAL };
  }
  if (id !== HelperId.GetFuncIp) return undefined;
  const name = funcIdName(id);
  if (progType === PT.Tracing) {
    if (hasTrampoline(prog)) return undefined;
    const kinds = getFuncIpNamesFsession(kernelVersion) ? 'fentry/fexit/fsession/fmod_ret' : 'fentry/fexit/fmod_ret';
    return { log: `func ${name}#${id} supported only for ${kinds} programs`, errno: ENOTSUPP };
  }
  if (progType === PT.Kprobe) return undefined;
  return { log: `func ${name}#${id} not supported for program type ${progType}`, errno: ENOTSUPP };
}

/** in_sleepable(env): the program was loaded BPF_F_SLEEPABLE (syscall programs must be). */
const sleepable = (prog: ProgContext): boolean => prog.sleepable;

/** kernel/trace/bpf_trace.c btf_allowlist_d_path (7.2). */
const dPathAllowlist = new Set(['security_file_permission', 'security_inode_getattr', 'security_file_open',
  'security_path_truncate', 'vfs_truncate', 'vfs_fallocate', 'dentry_open', 'vfs_getattr', 'filp_close']);

/** kernel/bpf/bpf_lsm.c sleepable_lsm_hooks (7.2, hook names without bpf_lsm_; CONFIG_SECURITY_PATH and _NETWORK on). */
const sleepableLsmHooks = new Set(('bpf bpf_map bpf_map_create bpf_map_free bpf_prog bpf_prog_load bpf_token_create ' +
  'bpf_token_free bpf_token_cmd bpf_token_capable bprm_check_security bprm_committed_creds bprm_committing_creds ' +
  'bprm_creds_for_exec bprm_creds_from_file capget capset cred_prepare file_ioctl file_lock file_open file_post_open ' +
  'file_receive inode_create inode_free_security inode_getattr inode_getxattr inode_mknod inode_need_killpriv ' +
  'inode_post_setxattr inode_post_removexattr inode_readlink inode_removexattr inode_rename inode_rmdir inode_setattr ' +
  'inode_setxattr inode_symlink inode_unlink kernel_module_request kernel_read_file kernfs_init_security path_unlink ' +
  'path_mkdir path_rmdir path_truncate path_symlink path_link path_rename path_chmod path_chown mmap_file netlink_send ' +
  'path_notify release_secctx sb_alloc_security sb_eat_lsm_opts sb_kern_mount sb_mount sb_remount sb_set_mnt_opts ' +
  'sb_show_options sb_statfs sb_umount settime socket_accept socket_bind socket_connect socket_create ' +
  'socket_getpeername socket_getpeersec_dgram socket_getsockname socket_getsockopt socket_listen socket_post_create ' +
  'socket_recvmsg socket_sendmsg socket_shutdown socket_socketpair syslog task_alloc task_prctl task_setscheduler ' +
  'userns_create bdev_alloc_security bdev_setintegrity').split(' '));
const isSleepableLsmHook = (prog: ProgContext): boolean => sleepableLsmHooks.has((prog.attachBtfName ?? '').replace(/^bpf_lsm_/, ''));

/** The protos' `allowed` callbacks (fn->allowed). */
function allowed(callback: string, prog: ProgContext): boolean {
  switch (callback) {
    // kernel/trace/bpf_trace.c bpf_d_path_allowed
    case 'bpf_d_path_allowed':
      if (prog.type === PT.Tracing && prog.attachType === AT.TraceIter) return true;
      if (prog.type === PT.Lsm) return isSleepableLsmHook(prog);
      return dPathAllowlist.has(prog.attachBtfName ?? '');
    // kernel/bpf/bpf_lsm.c bpf_ima_inode_hash_allowed (bpf_ima_file_hash's too)
    case 'bpf_ima_inode_hash_allowed':
      return isSleepableLsmHook(prog);
    // net/core/bpf_sk_storage.c bpf_sk_storage_tracing_allowed (no freplace programs here: dst_prog is NULL)
    case 'bpf_sk_storage_tracing_allowed':
      if (prog.attachType === AT.TraceIter || prog.attachType === AT.TraceRawTp) return true;
      if (prog.attachType === AT.TraceFentry || prog.attachType === AT.TraceFexit) return !(prog.attachBtfName ?? '').startsWith('bpf_sk_storage');
      return false;
    default:
      throw new Error(`helper-protos: unknown allowed callback ${callback}`);
  }
}
