// Which helpers take which map types (kernel/bpf/verifier.c check_map_func_compatibility, the same in 6.12
// and 7.2 for every type here): a two-way check, from the map's type and from the helper, both refused as
// "cannot pass map_type N into func bpf_x#M".
import { funcIdName } from '../../../uapi/helpers.js';
import { KernelMapType as M } from '../../../uapi/bpf.js';
import { KernelProgramType as PT, AttachType as AT } from '../../../uapi/program-type.js';

const ringbufHelpers = ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'];

/** The map's side: the only helpers a map of the type may be given (types not listed take any). */
const helpersOfMap: ReadonlyMap<number, readonly string[]> = new Map<number, readonly string[]>([
  [M.ProgArray, ['tail_call']],
  [M.PerfEventArray, ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output']],
  [M.Ringbuf, ringbufHelpers],
  [M.UserRingbuf, ['user_ringbuf_drain']],
  [M.StackTrace, ['get_stackid']],
  [M.CgroupArray, ['skb_under_cgroup', 'current_task_under_cgroup']],
  [M.CgroupStorage, ['get_local_storage']],
  [M.PercpuCgroupStorage, ['get_local_storage']],
  [M.Devmap, ['redirect_map', 'map_lookup_elem']],
  [M.DevmapHash, ['redirect_map', 'map_lookup_elem']],
  [M.Cpumap, ['redirect_map']],
  [M.Xskmap, ['redirect_map', 'map_lookup_elem']],
  [M.ArrayOfMaps, ['map_lookup_elem']],
  [M.HashOfMaps, ['map_lookup_elem']],
  [M.Sockmap, ['sk_redirect_map', 'sock_map_update', 'msg_redirect_map', 'sk_select_reuseport', 'map_lookup_elem']],
  [M.Sockhash, ['sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash', 'sk_select_reuseport', 'map_lookup_elem']],
  [M.ReuseportSockarray, ['sk_select_reuseport']],
  [M.Queue, ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [M.Stack, ['map_peek_elem', 'map_pop_elem', 'map_push_elem']],
  [M.SkStorage, ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg']],
  [M.InodeStorage, ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg']],
  [M.TaskStorage, ['task_storage_get', 'task_storage_delete', 'kptr_xchg']],
  [M.CgrpStorage, ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg']],
  [M.BloomFilter, ['map_peek_elem', 'map_push_elem']],
]);

/** The helper's side: the only map types a helper may be given (helpers not listed take any). */
const mapsOfHelper: ReadonlyMap<string, readonly number[]> = new Map<string, readonly number[]>([
  ['tail_call', [M.ProgArray]],
  ...['perf_event_read', 'perf_event_output', 'perf_event_read_value', 'skb_output', 'xdp_output'].map((h) => [h, [M.PerfEventArray]] as const),
  ...ringbufHelpers.map((h) => [h, [M.Ringbuf]] as const),
  ['user_ringbuf_drain', [M.UserRingbuf]],
  ['get_stackid', [M.StackTrace]],
  ['current_task_under_cgroup', [M.CgroupArray]],
  ['skb_under_cgroup', [M.CgroupArray]],
  ['redirect_map', [M.Devmap, M.DevmapHash, M.Cpumap, M.Xskmap]],
  ...['sk_redirect_map', 'msg_redirect_map', 'sock_map_update'].map((h) => [h, [M.Sockmap]] as const),
  ...['sk_redirect_hash', 'msg_redirect_hash', 'sock_hash_update'].map((h) => [h, [M.Sockhash]] as const),
  ['get_local_storage', [M.CgroupStorage, M.PercpuCgroupStorage]],
  ['sk_select_reuseport', [M.ReuseportSockarray, M.Sockmap, M.Sockhash]],
  ['map_pop_elem', [M.Queue, M.Stack]],
  ['map_peek_elem', [M.Queue, M.Stack, M.BloomFilter]],
  ['map_push_elem', [M.Queue, M.Stack, M.BloomFilter]],
  ['map_lookup_percpu_elem', [M.PercpuArray, M.PercpuHash, M.LruPercpuHash]],
  ['sk_storage_get', [M.SkStorage]],
  ['sk_storage_delete', [M.SkStorage]],
  ['inode_storage_get', [M.InodeStorage]],
  ['inode_storage_delete', [M.InodeStorage]],
  ['task_storage_get', [M.TaskStorage]],
  ['task_storage_delete', [M.TaskStorage]],
  ['cgrp_storage_get', [M.CgrpStorage]],
  ['cgrp_storage_delete', [M.CgrpStorage]],
]);

/** may_update_sockmap: program types where a sockmap or sockhash may be updated (or deleted from) directly. */
function mayUpdateSockmap(helper: string, progType: number, attachType: number): boolean {
  if (helper !== 'map_update_elem' && helper !== 'map_delete_elem') return false;
  switch (progType) {
    case PT.Tracing: return attachType === AT.TraceIter;
    case PT.SockOps: return helper === 'map_delete_elem';
    case PT.SocketFilter: case PT.SchedCls: case PT.SchedAct: case PT.Xdp: case PT.SkReuseport: case PT.FlowDissector: case PT.SkLookup:
      return true;
    default: return false;
  }
}

/**
 * check_map_func_compatibility's refusal for helper `id` given a map of `mapType` (its log lines, the reason
 * last), or undefined.
 */
export function mapFuncRefusal(mapType: number, id: number, progType: number, attachType: number): string[] | undefined {
  const name = funcIdName(id);
  const helper = name.replace(/^bpf_/, '');
  const mapOk = helpersOfMap.get(mapType)?.includes(helper) ?? true;
  const sockmap = mapType === M.Sockmap || mapType === M.Sockhash;
  const sockmapUpdate = sockmap && !mapOk && mayUpdateSockmap(helper, progType, attachType);
  const helperOk = mapsOfHelper.get(helper)?.includes(mapType) ?? true;
  if ((mapOk || sockmapUpdate) && helperOk) return undefined;
  // may_update_sockmap says why an update or delete is refused before the refusal itself.
  const why = sockmap && !mapOk && (helper === 'map_update_elem' || helper === 'map_delete_elem') ? ['cannot update sockmap in this context'] : [];
  return [...why, `cannot pass map_type ${mapType} into func ${name}#${id}`];
}
