// PROG_ARRAY (kernel/bpf/arraymap.c prog_array_map_ops): max_entries slots, each empty or holding a program
// that bpf_tail_call jumps to. Userspace sets a slot by program (its fd on the kernel, its id here) and reads
// back the program's id; programs never read the map, they only tail-call through it. The slots are program
// ids in shared memory, so every emulated CPU sees the same array; the programs themselves are held on the
// thread that set them (a slot keeps its program alive, as the kernel's array holds a reference).
import { E2BIG, EINVAL, ENOENT } from '../../uapi/errno.js';
import { UpdateFlags } from '../../uapi/bpf.js';
import { sharedInt32 } from './shared.js';
import { arrayIndex, arrayNextKey } from './array.js';
import type { MapShape } from './storage.js';

/** A ProgArrayTable's shared memory: the slots' program ids (0: empty) and the array's owner. */
export interface ProgArrayState {
  shape: MapShape;
  slots: Int32Array;
  /** [OWNER_STATE, type, expected_attach_type, xdp_has_frags]: struct bpf_map_owner, once set. */
  owner: Int32Array;
}

/** What __bpf_prog_map_compatible compares of a program. */
export interface TailCallee {
  type: number;
  expectedAttachType: number;
  /** BPF_F_XDP_HAS_FRAGS (SEC("xdp.frags")). */
  xdpHasFrags: boolean;
}

/** A program a slot holds, as the thread that set it knows it. */
export interface SlotProgram<P> {
  id: number;
  program: P;
}

const OWNER_STATE = 0;
const UNOWNED = 0;
const OWNER_BEING_SET = 1;
const OWNED = 2;

export class ProgArrayTable<P = unknown> {
  readonly shape: MapShape;
  readonly state: ProgArrayState;
  /** Programs never see a prog array's slots as memory: there are no values to point at. */
  readonly values = new Uint8Array(0);
  /** The programs this thread put in the slots, by id. */
  readonly #held = new Map<number, P>();

  constructor(shape: MapShape, state?: ProgArrayState) {
    this.shape = shape;
    this.state = state ?? { shape, slots: sharedInt32(shape.maxEntries), owner: sharedInt32(4) };
  }

  /** bpf_fd_array_map_lookup_elem: the program's id (prog_fd_array_sys_lookup_elem), or ENOENT. */
  lookup(key: Uint8Array, out: Uint8Array): number {
    const i = arrayIndex(key, 0);
    const id = i < this.shape.maxEntries ? Atomics.load(this.state.slots, i) : 0;
    if (id === 0) return ENOENT;
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, id, true);
    return 0;
  }

  /**
   * bpf_fd_array_map_update_elem with the program the value named (`program` undefined: no such program,
   * which the caller answered): BPF_ANY only, the index in range, then prog_fd_array_get_ptr's rule.
   */
  update(key: Uint8Array, flags: number, program: SlotProgram<unknown> & { callee: TailCallee }): number {
    if (flags !== UpdateFlags.Any) return EINVAL;
    const i = arrayIndex(key, 0);
    if (i >= this.shape.maxEntries) return E2BIG;
    if (!this.compatible(program.callee)) return EINVAL;
    this.#held.set(program.id, program.program as P);
    const old = Atomics.exchange(this.state.slots, i, program.id);
    this.#release(old);
    return 0;
  }

  /** fd_array_map_delete_elem: E2BIG past the end, ENOENT for an empty slot. */
  delete(key: Uint8Array, koff = 0): number {
    const i = arrayIndex(key, koff);
    if (i >= this.shape.maxEntries) return E2BIG;
    const old = Atomics.exchange(this.state.slots, i, 0);
    if (old === 0) return ENOENT;
    this.#release(old);
    return 0;
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    return arrayNextKey(key, next, this.shape.maxEntries);
  }

  /** prog_array_map_clear (map_release_uref): the last user reference is gone, every slot empties. */
  clear(): void {
    for (let i = 0; i < this.shape.maxEntries; i++) Atomics.store(this.state.slots, i, 0);
    this.#held.clear();
  }

  /** The id in slot `index` for bpf_tail_call (0: empty or past the end). */
  slot(index: number): number {
    return index < this.shape.maxEntries ? Atomics.load(this.state.slots, index) : 0;
  }

  /** A program this thread put in the array, by id. */
  held(id: number): P | undefined {
    return this.#held.get(id);
  }

  /**
   * kernel/bpf/core.c __bpf_prog_map_compatible: the first program to use the array (to load with it, or to
   * be put in it) makes itself its owner; later ones must match its type, expected attach type (a prog
   * array's, since the 2025 fix that reached 6.12.y) and xdp_has_frags. (Both engines' programs are JITed,
   * the emulator has no cgroup storage, kprobe_override or tracing attach protos to compare.)
   */
  compatible(p: TailCallee): boolean {
    const o = this.state.owner;
    if (Atomics.compareExchange(o, OWNER_STATE, UNOWNED, OWNER_BEING_SET) === UNOWNED) {
      o[1] = p.type;
      o[2] = p.expectedAttachType;
      o[3] = p.xdpHasFrags ? 1 : 0;
      Atomics.store(o, OWNER_STATE, OWNED);
      return true;
    }
    while (Atomics.load(o, OWNER_STATE) !== OWNED);
    return o[1] === p.type && o[2] === p.expectedAttachType && o[3] === (p.xdpHasFrags ? 1 : 0);
  }

  /** A program no slot holds any more is no longer held by the array. */
  #release(id: number): void {
    if (id === 0) return;
    for (let i = 0; i < this.shape.maxEntries; i++) if (Atomics.load(this.state.slots, i) === id) return;
    this.#held.delete(id);
  }

  /** Programs cannot look a prog array up (the verifier allows only bpf_tail_call on it). */
  programValueOffset(): number {
    return -1;
  }
}
