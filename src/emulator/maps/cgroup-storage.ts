// CGROUP_STORAGE and PERCPU_CGROUP_STORAGE (kernel/bpf/local_storage.c): storage a program gets per cgroup it
// is attached to, keyed by the cgroup's inode id (and attach type, for a 16-byte key). The emulator attaches
// nothing to cgroups, so userspace always sees the map empty, with local_storage.c's errnos; what programs
// use is BPF_PROG_TEST_RUN's storage (net/bpf/test_run.c bpf_cgroup_storages_alloc): zeroed for each test
// run, shared by its repeats, gone after it (programs/helpers.ts localStorage).
import { EINVAL, ENOENT } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_F_ALL_CPUS, BPF_F_CPU, BPF_F_LOCK, type MapShape } from './storage.js';

/** A CgroupStorageTable's memory: nothing but its shape (the emulator has no attached storage to share). */
export interface CgroupStorageState {
  shape: MapShape;
}

export class CgroupStorageTable {
  readonly shape: MapShape;
  readonly state: CgroupStorageState;
  /** No element lives in the map itself: programs reach their test run's storage (get_local_storage). */
  readonly values = new Uint8Array(0);

  constructor(shape: MapShape, state?: CgroupStorageState) {
    this.shape = shape;
    this.state = state ?? { shape };
  }

  /** cgroup_storage_lookup_elem / bpf_percpu_cgroup_storage_copy: no cgroup has storage here. */
  lookup(): number {
    return ENOENT;
  }

  /**
   * cgroup_storage_update_elem: BPF_F_LOCK and BPF_EXIST only (BPF_F_LOCK needing a lock), then the storage
   * must exist; bpf_percpu_cgroup_storage_update: BPF_EXIST and the per-CPU element flags, then likewise.
   */
  update(flags: number, spinLock: boolean): number {
    if (this.shape.percpu) return flags & ~(BPF_EXIST | BPF_F_CPU | BPF_F_ALL_CPUS) ? EINVAL : ENOENT;
    if (flags & ~(BPF_F_LOCK | BPF_EXIST)) return EINVAL;
    if ((flags & BPF_F_LOCK) && !spinLock) return EINVAL;
    return ENOENT;
  }

  /** cgroup_storage_delete_elem: storage goes with its cgroup, never by key. */
  delete(): number {
    return EINVAL;
  }

  /** cgroup_storage_get_next_key: an empty list. */
  getNextKey(): number {
    return ENOENT;
  }

  /** Programs reach storage through bpf_get_local_storage, never by lookup (the verifier's rule). */
  programValueOffset(): number {
    return -1;
  }
}
