// Hints for the kernel errnos beginners hit, in one place: each names the rule behind the errno and where
// the kernel applies it. A hint only adds words to a BpfError's message (and its `hint`); the errno, code
// and syscall stay the kernel's.
import { ETH_HLEN } from '../uapi/net.js';
import { BPF_OBJ_NAME_LEN, MapType, isArrayType, isHashType, isLru, isQueueStack, type Syscall } from '../uapi/bpf.js';
import { errnoCode } from '../uapi/errno.js';

export interface HintContext {
  syscall: Syscall;
  /** Negative errno, as engines return it. */
  errno: number;
  /** The map's type and size, for element operations. */
  mapType?: number;
  maxEntries?: number;
  /** The map name asked for at BPF_MAP_CREATE. */
  mapName?: string;
  /** The bpffs path of a pin or BPF_OBJ_GET. */
  path?: string;
  /** The path's directory is on a bpf filesystem (the engine's answer), when known. */
  onBpffs?: boolean;
  /** BPF_PROG_TEST_RUN: the packet's length, when one was given. */
  dataLength?: number;
}

/** kernel/bpf/syscall.c bpf_obj_name_cpy: at most BPF_OBJ_NAME_LEN - 1 characters of [A-Za-z0-9_.]. */
const validMapName = new RegExp(`^[A-Za-z0-9_.]{0,${BPF_OBJ_NAME_LEN - 1}}$`);

const element = new Set(['BPF_MAP_UPDATE_ELEM', 'BPF_MAP_UPDATE_BATCH']);
const writes = new Set(['BPF_MAP_UPDATE_ELEM', 'BPF_MAP_DELETE_ELEM', 'BPF_MAP_UPDATE_BATCH', 'BPF_MAP_DELETE_BATCH', 'BPF_MAP_LOOKUP_AND_DELETE_ELEM', 'BPF_MAP_LOOKUP_AND_DELETE_BATCH']);
const reads = new Set(['BPF_MAP_LOOKUP_ELEM', 'BPF_MAP_GET_NEXT_KEY', 'BPF_MAP_LOOKUP_BATCH']);

/** The hint for this failure, or undefined when the errno says enough on its own. */
/**
 * A hint for a verifier refusal whose usual cause is how the object was built, from the refusal's reason
 * (the log's last line). Both engines refuse with the same reason, so both get the same hint.
 */
export function verifierHint(reason: string): string | undefined {
  // Without optimisation clang calls through a register (callx, BPF_JMP | BPF_CALL | BPF_X), an
  // instruction the verifier does not know (kernel/bpf/verifier.c check_subprogs / do_check).
  if (reason === 'unknown opcode 8d') return 'clang emits indirect calls (callx, opcode 0x8d) without optimisation: build BPF programs with clang -O2';
  return undefined;
}

/**
 * A hint for an object that did not open, from its failure's words (both engines use libbpf's). An object
 * with a `.maps` section needs BTF to describe them (libbpf bpf_object__init_btf): clang writes it with -g.
 */
export function objectHint(syscall: Syscall, errno: number, detail: string | undefined): string | undefined {
  if (syscall === 'bpf_object__open' && errnoCode(errno) === 'ENOENT' && detail?.includes('BTF is required, but is missing')) {
    return 'the object has no BTF for its maps: compile it with clang -g (and -O2)';
  }
  return undefined;
}

export function hintFor(c: HintContext): string | undefined {
  const code = errnoCode(c.errno);
  const { syscall } = c;
  if (syscall === 'BPF_OBJ_GET' && code === 'ENOENT' && c.onBpffs) {
    return `nothing is pinned at ${c.path ?? 'that path'} (its directory is on a bpf filesystem): check the name, or pin the map there first`;
  }
  if ((syscall === 'BPF_OBJ_GET' || syscall === 'BPF_OBJ_PIN') && code === 'ENOENT') {
    return `nothing at ${c.path ?? 'that path'}${syscall === 'BPF_OBJ_PIN' ? "'s directory" : ''}: pins live on a bpf filesystem; is one mounted there? (sudo mount -t bpf bpf /sys/fs/bpf)`;
  }
  if (syscall === 'BPF_OBJ_PIN' && code === 'EPERM') {
    // kernel/bpf/inode.c bpf_obj_do_pin: the parent directory must be on a bpffs.
    return `${c.path ?? 'the path'} is not on a bpf filesystem: pin under a mounted bpffs (sudo mount -t bpf bpf /sys/fs/bpf)`;
  }
  if (syscall === 'BPF_MAP_CREATE' && code === 'EINVAL' && c.mapName !== undefined && !validMapName.test(c.mapName)) {
    return `map names are at most 15 characters of [A-Za-z0-9_.] (kernel/bpf/syscall.c bpf_obj_name_cpy); '${c.mapName}' is not`;
  }
  if (element.has(syscall) && code === 'E2BIG' && c.mapType !== undefined) {
    if (isArrayType(c.mapType)) return `array indexes are 0 to ${c.maxEntries === undefined ? 'max_entries' : c.maxEntries - 1} (kernel/bpf/arraymap.c array_map_update_elem)`;
    if (isQueueStack(c.mapType)) {
      return `the queue is full (max_entries ${c.maxEntries ?? '?'}; kernel/bpf/queue_stack_maps.c queue_stack_map_push_elem): pop first, or push with UpdateFlags.Exist to drop the oldest value`;
    }
    if (isHashType(c.mapType) && !isLru(c.mapType)) {
      return `the map is full (max_entries ${c.maxEntries ?? '?'}; kernel/bpf/hashtab.c alloc_htab_elem): delete entries, create it bigger, or use an LRU map, which evicts`;
    }
  }
  if (element.has(syscall) && code === 'ENOSPC' && c.mapType === MapType.LpmTrie) {
    return `the trie is full (max_entries ${c.maxEntries ?? '?'} prefixes; kernel/bpf/lpm_trie.c trie_check_add_elem): delete prefixes or create it bigger; replacing a prefix it holds still works`;
  }
  if ((element.has(syscall) || syscall === 'BPF_MAP_DELETE_ELEM') && code === 'EINVAL' && c.mapType === MapType.LpmTrie) {
    return 'a prefixlen is at most 8 × the key\'s data bytes, and an update\'s flags are BPF_ANY, BPF_NOEXIST or BPF_EXIST (kernel/bpf/lpm_trie.c trie_update_elem, trie_delete_elem)';
  }
  if (writes.has(syscall) && code === 'EPERM') {
    // kernel/bpf/syscall.c map_update_elem/map_delete_elem: FMODE_CAN_WRITE and bpf_map_write_active.
    return 'the map is frozen (freeze()), or this handle was opened read-only (MapFlags.Rdonly): syscall writes are refused';
  }
  if (reads.has(syscall) && code === 'EPERM') return 'this handle was opened write-only (MapFlags.Wronly): syscall reads are refused';
  if (syscall === 'BPF_MAP_DELETE_ELEM' && code === 'EINVAL' && c.mapType !== undefined && isArrayType(c.mapType)) {
    return 'array elements always exist and cannot be deleted (kernel/bpf/arraymap.c array_map_delete_elem): set the element to zero instead';
  }
  if (syscall === 'BPF_PROG_TEST_RUN' && code === 'EINVAL' && c.dataLength !== undefined && c.dataLength < ETH_HLEN) {
    return `the packet is ${c.dataLength} bytes; skb programs (tc, socket filters, cgroup_skb) need at least an Ethernet header, ${ETH_HLEN} bytes (net/bpf/test_run.c bpf_prog_test_run_skb)`;
  }
  return undefined;
}
