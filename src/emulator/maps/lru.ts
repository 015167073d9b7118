// The kernel's LRU for LRU_HASH and LRU_PERCPU_HASH maps (kernel/bpf/bpf_lru_list.c), node for node. It is
// not an exact LRU: nodes move to a CPU's local free list in batches (target_free), new elements wait on
// a per-CPU pending list, and eviction scans the inactive list from its tail honouring the ref bit that
// BPF-program lookups set. Which keys survive depends on all of that, so it is ported, not approximated.
//
// Nodes are the map's element indices 0..n-1; list heads are sentinel indices n.. in the same link arrays
// (circular doubly-linked lists like the kernel's struct list_head). Nothing is allocated per operation.

const ACTIVE = 0;
const INACTIVE = 1;
const FREE = 2;
const LOCAL_FREE = 3;
const LOCAL_PENDING = 4;

import { sharedBytes, sharedInt32 } from './shared.js';
import { lruTargetFreeScales } from '../kernel-version.js';

const LOCAL_FREE_TARGET = 128;
const PERCPU_FREE_TARGET = 4;

/** lru->target_free. kernel/bpf/bpf_lru_list.c bpf_common_lru_populate: it scales with the map since 6.16 (kernel-version.ts). */
export function lruTargetFree(nrElems: number, ncpu: number, kernelVersion: string): number {
  if (!lruTargetFreeScales(kernelVersion)) return LOCAL_FREE_TARGET;
  return Math.min(Math.max(Math.floor(Math.floor(nrElems / ncpu) / 2), 1), LOCAL_FREE_TARGET);
}

export interface LruOptions {
  nrElems: number;
  ncpu: number;
  /** BPF_F_NO_COMMON_LRU: one LRU per CPU. */
  percpu: boolean;
  targetFree: number;
}

/** The LRU's memory, shared with every thread that attaches to the same map (see maps/shared.ts). */
export interface LruState {
  next: Int32Array;
  prev: Int32Array;
  type: Uint8Array;
  ref: Uint8Array;
  cpu: Uint16Array;
  /** Per list: the active and inactive counts and the rotation cursor. */
  lists: Int32Array;
  /** Common LRU: each CPU's next CPU to steal from. */
  steal: Int32Array;
}

/** One struct bpf_lru_list: its three list heads (fixed), its counts and rotation cursor (shared). */
class LruList {
  readonly #st: Int32Array;
  readonly #at: number;
  constructor(readonly active: number, readonly inactive: number, readonly free: number, st: Int32Array, at: number) {
    this.#st = st;
    this.#at = at;
  }
  get nextInactiveRotation(): number {
    return this.#st[this.#at + 2]!;
  }
  set nextInactiveRotation(node: number) {
    this.#st[this.#at + 2] = node;
  }
  /** The count of ACTIVE or INACTIVE nodes. */
  count(type: number): number {
    return this.#st[this.#at + type]!;
  }
  addCount(type: number, delta: number): void {
    this.#st[this.#at + type] = this.#st[this.#at + type]! + delta;
  }
}

export class BpfLru {
  readonly #percpu: boolean;
  readonly #ncpu: number;
  readonly #n: number;
  readonly #nrScans: number;
  readonly #targetFree: number;
  readonly #evict: (node: number) => boolean;
  readonly state: LruState;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #type: Uint8Array;
  readonly #ref: Uint8Array;
  readonly #cpu: Uint16Array;
  /** Common LRU: one list. Per-CPU LRU: one per CPU. */
  readonly #lists: LruList[] = [];
  /** Common LRU only: each CPU's local free and pending list heads, and its next CPU to steal from. */
  readonly #localFree: number[] = [];
  readonly #localPending: number[] = [];
  readonly #nextSteal: Int32Array;

  /**
   * evict(node) is htab_lru_map_delete_node: unlink that element from its bucket, true if it was there.
   * Given `state` (another thread's LRU of the same map), attaches to it instead of making a new one.
   */
  constructor(opts: LruOptions, evict: (node: number) => boolean, state?: LruState) {
    this.#percpu = opts.percpu;
    this.#ncpu = opts.ncpu;
    this.#n = opts.nrElems;
    this.#targetFree = opts.targetFree;
    this.#nrScans = opts.percpu ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
    this.#evict = evict;
    const nLists = opts.percpu ? opts.ncpu : 1;
    const heads = 3 * nLists + (opts.percpu ? 0 : 2 * opts.ncpu);
    this.state = state ?? {
      next: sharedInt32(this.#n + heads),
      prev: sharedInt32(this.#n + heads),
      type: sharedBytes(this.#n),
      ref: sharedBytes(this.#n),
      cpu: new Uint16Array(sharedBytes(2 * this.#n).buffer, 0, this.#n),
      lists: sharedInt32(3 * nLists),
      steal: sharedInt32(opts.ncpu),
    };
    this.#next = this.state.next;
    this.#prev = this.state.prev;
    this.#type = this.state.type;
    this.#ref = this.state.ref;
    this.#cpu = this.state.cpu;
    this.#nextSteal = this.state.steal;
    let h = this.#n;
    const head = (): number => {
      if (!state) this.#next[h] = this.#prev[h] = h;
      return h++;
    };
    for (let i = 0; i < nLists; i++) {
      const active = head();
      const inactive = head();
      const list = new LruList(active, inactive, head(), this.state.lists, 3 * i);
      // bpf_lru_list_init: the rotation cursor starts at the inactive list's head.
      if (!state) list.nextInactiveRotation = inactive;
      this.#lists.push(list);
    }
    if (!opts.percpu) {
      for (let c = 0; c < opts.ncpu; c++) {
        this.#localFree.push(head());
        this.#localPending.push(head());
        if (!state) this.#nextSteal[c] = c;
      }
    }
  }

  /** bpf_lru_populate: every node starts free (per-CPU: nrElems / ncpu nodes on each CPU's list). */
  populate(): void {
    if (!this.#percpu) {
      const l = this.#lists[0]!;
      for (let i = 0; i < this.#n; i++) {
        this.#type[i] = FREE;
        this.#ref[i] = 0;
        this.#add(i, l.free);
      }
      return;
    }
    const perCpu = Math.floor(this.#n / this.#ncpu);
    let i = 0;
    for (let cpu = 0; cpu < this.#ncpu && i < this.#n; cpu++) {
      do {
        this.#cpu[i] = cpu;
        this.#type[i] = FREE;
        this.#ref[i] = 0;
        this.#add(i, this.#lists[cpu]!.free);
        i++;
      } while (i < this.#n && i % perCpu !== 0);
    }
  }

  /** bpf_lru_node_set_ref: only BPF-program lookups (and in-place LRU updates) call this. */
  setRef(node: number): void {
    this.#ref[node] = 1;
  }

  /** bpf_lru_pop_free: a free node for a new element on `cpu`, or -1. */
  popFree(cpu: number, hash: number): number {
    void hash; // the hash map keeps each element's hash itself
    return this.#percpu ? this.#percpuPopFree(cpu) : this.#commonPopFree(cpu);
  }

  /** bpf_lru_push_free */
  pushFree(node: number): void {
    if (this.#percpu) {
      this.#move(this.#lists[this.#cpu[node]!]!, node, FREE);
      return;
    }
    const type = this.#type[node]!;
    if (type === FREE || type === LOCAL_FREE) return;
    if (type === LOCAL_PENDING) {
      this.#type[node] = LOCAL_FREE;
      this.#ref[node] = 0;
      this.#listMove(node, this.#localFree[this.#cpu[node]!]!);
      return;
    }
    this.#move(this.#lists[0]!, node, FREE);
  }

  // ---- list primitives (include/linux/list.h) ----

  #add(x: number, head: number): void {
    const n = this.#next[head]!;
    this.#next[head] = x;
    this.#prev[x] = head;
    this.#next[x] = n;
    this.#prev[n] = x;
  }

  #del(x: number): void {
    const p = this.#prev[x]!;
    const n = this.#next[x]!;
    this.#next[p] = n;
    this.#prev[n] = p;
  }

  #listMove(x: number, head: number): void {
    this.#del(x);
    this.#add(x, head);
  }

  #empty(head: number): boolean {
    return this.#next[head] === head;
  }

  #headOf(l: LruList, type: number): number {
    return type === ACTIVE ? l.active : type === INACTIVE ? l.inactive : l.free;
  }

  // ---- bpf_lru_list.c ----

  /** __bpf_lru_node_move_to_free */
  #moveToFree(l: LruList, node: number, freeList: number, freeType: number): void {
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[node]!;
    const t = this.#type[node]!;
    if (t < 2) l.addCount(t, -1);
    this.#type[node] = freeType;
    this.#listMove(node, freeList);
  }

  /** __bpf_lru_node_move_in: from a local list into the LRU list. */
  #moveIn(l: LruList, node: number, type: number): void {
    if (type < 2) l.addCount(type, 1);
    this.#type[node] = type;
    this.#ref[node] = 0;
    this.#listMove(node, this.#headOf(l, type));
  }

  /** __bpf_lru_node_move: within or between active/inactive (and to free, for push_free). */
  #move(l: LruList, node: number, type: number): void {
    const t = this.#type[node]!;
    if (t !== type) {
      if (t < 2) l.addCount(t, -1);
      if (type < 2) l.addCount(type, 1);
      this.#type[node] = type;
    }
    this.#ref[node] = 0;
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.#prev[node]!;
    this.#listMove(node, this.#headOf(l, type));
  }

  /** __bpf_lru_list_rotate_active: from the tail, referenced nodes go back to the head, others to inactive. */
  #rotateActive(l: LruList): void {
    const head = l.active;
    const first = this.#next[head]!;
    let i = 0;
    for (let node = this.#prev[head]!, tmp = this.#prev[node]!; node !== head; node = tmp, tmp = this.#prev[node]!) {
      this.#move(l, node, this.#ref[node] ? ACTIVE : INACTIVE);
      if (++i === this.#nrScans || node === first) break;
    }
  }

  /** __bpf_lru_list_rotate_inactive: from the cursor towards the head, referenced nodes go to active. */
  #rotateInactive(l: LruList): void {
    const head = l.inactive;
    if (this.#empty(head)) return;
    let last = this.#next[l.nextInactiveRotation]!;
    if (last === head) last = this.#next[last]!;
    let cur = l.nextInactiveRotation;
    let next = head;
    let i = 0;
    while (i < this.#nrScans) {
      if (cur === head) {
        cur = this.#prev[cur]!;
        continue;
      }
      next = this.#prev[cur]!;
      if (this.#ref[cur]) this.#move(l, cur, ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    l.nextInactiveRotation = next;
  }

  /** __bpf_lru_list_shrink_inactive: evict unreferenced nodes from the inactive tail. */
  #shrinkInactive(l: LruList, target: number, freeList: number, freeType: number): number {
    const head = l.inactive;
    let shrunk = 0;
    let i = 0;
    for (let node = this.#prev[head]!, tmp = this.#prev[node]!; node !== head; node = tmp, tmp = this.#prev[node]!) {
      if (this.#ref[node]) {
        this.#move(l, node, ACTIVE);
      } else if (this.#evict(node)) {
        this.#moveToFree(l, node, freeList, freeType);
        if (++shrunk === target) break;
      }
      if (++i === this.#nrScans) break;
    }
    return shrunk;
  }

  /** __bpf_lru_list_shrink: as above, else force-evict one node ignoring the ref bit. */
  #shrink(l: LruList, target: number, freeList: number, freeType: number): number {
    const shrunk = this.#shrinkInactive(l, target, freeList, freeType);
    if (shrunk) return shrunk;
    const head = this.#empty(l.inactive) ? l.active : l.inactive;
    for (let node = this.#prev[head]!, tmp = this.#prev[node]!; node !== head; node = tmp, tmp = this.#prev[node]!) {
      if (this.#evict(node)) {
        this.#moveToFree(l, node, freeList, freeType);
        return 1;
      }
    }
    return 0;
  }

  /** __bpf_lru_list_rotate */
  #rotate(l: LruList): void {
    if (l.count(INACTIVE) < l.count(ACTIVE)) this.#rotateActive(l);
    this.#rotateInactive(l);
  }

  /** bpf_percpu_lru_pop_free */
  #percpuPopFree(cpu: number): number {
    const l = this.#lists[cpu]!;
    this.#rotate(l);
    if (this.#empty(l.free)) this.#shrink(l, PERCPU_FREE_TARGET, l.free, FREE);
    if (this.#empty(l.free)) return -1;
    const node = this.#next[l.free]!;
    this.#ref[node] = 0;
    this.#move(l, node, INACTIVE);
    return node;
  }

  /** __local_list_flush: the CPU's pending nodes enter the LRU list, oldest first. */
  #flushLocal(l: LruList, cpu: number): void {
    const head = this.#localPending[cpu]!;
    for (let node = this.#prev[head]!, tmp = this.#prev[node]!; node !== head; node = tmp, tmp = this.#prev[node]!) {
      this.#moveIn(l, node, this.#ref[node] ? ACTIVE : INACTIVE);
    }
  }

  /** bpf_lru_list_pop_free_to_local: refill a CPU's local free list with up to target_free nodes. */
  #popFreeToLocal(cpu: number): void {
    const l = this.#lists[0]!;
    const localFree = this.#localFree[cpu]!;
    this.#flushLocal(l, cpu);
    this.#rotate(l);
    let nfree = 0;
    for (let node = this.#next[l.free]!, tmp = this.#next[node]!; node !== l.free; node = tmp, tmp = this.#next[node]!) {
      this.#moveToFree(l, node, localFree, LOCAL_FREE);
      if (++nfree === this.#targetFree) break;
    }
    if (nfree < this.#targetFree) this.#shrink(l, this.#targetFree - nfree, localFree, LOCAL_FREE);
  }

  #popLocalFree(cpu: number): number {
    const head = this.#localFree[cpu]!;
    if (this.#empty(head)) return -1;
    const node = this.#next[head]!;
    this.#del(node);
    return node;
  }

  /** __local_list_pop_pending: steal the oldest pending node, unreferenced ones first. */
  #popLocalPending(cpu: number): number {
    const head = this.#localPending[cpu]!;
    for (const force of [false, true]) {
      for (let node = this.#prev[head]!; node !== head; node = this.#prev[node]!) {
        if ((!this.#ref[node] || force) && this.#evict(node)) {
          this.#del(node);
          return node;
        }
      }
    }
    return -1;
  }

  /** __local_list_add_pending */
  #addPending(cpu: number, node: number): void {
    this.#cpu[node] = cpu;
    this.#type[node] = LOCAL_PENDING;
    this.#ref[node] = 0;
    this.#add(node, this.#localPending[cpu]!);
  }

  /** bpf_common_lru_pop_free */
  #commonPopFree(cpu: number): number {
    let node = this.#popLocalFree(cpu);
    if (node < 0) {
      this.#popFreeToLocal(cpu);
      node = this.#popLocalFree(cpu);
    }
    if (node >= 0) {
      this.#addPending(cpu, node);
      return node;
    }
    // Nothing free anywhere: steal from the CPUs' local free/pending lists, round robin.
    const first = this.#nextSteal[cpu]!;
    let steal = first;
    do {
      node = this.#popLocalFree(steal);
      if (node < 0) node = this.#popLocalPending(steal);
      steal = (steal + 1) % this.#ncpu;
    } while (node < 0 && steal !== first);
    this.#nextSteal[cpu] = steal;
    if (node >= 0) this.#addPending(cpu, node);
    return node;
  }
}
