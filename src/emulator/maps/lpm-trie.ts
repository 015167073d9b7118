// LPM_TRIE (kernel/bpf/lpm_trie.c): a binary trie of struct lpm_trie_node { child[2], prefixlen, flags, data,
// value }, keyed by struct bpf_lpm_trie_key_u8 { u32 prefixlen (host order); u8 data[key_size - 4] } whose
// data is big-endian bit strings. Intermediate nodes (LPM_TREE_NODE_FLAG_IM) have no value, exactly two
// children, and do not count toward max_entries. The nodes live in one value slab (maps/shared.ts) addressed
// by index, so a program's lookup returns its value in place; children are node index + 1 (0: none).
//
// Locking as the kernel's: updates and deletes hold the trie's lock (a raw spinlock until 6.15, a resilient
// one since, whose EDEADLK/ETIMEDOUT no emulated context can provoke: none re-enters a map it holds), here a
// lock word (shared.ts lockWord); lookups and get_next_key take none (RCU in the kernel). Here a reader checks
// a sequence word writers make odd while they change the trie, and retries (then takes the lock) when it
// moved, since a freed node is reused at once where the kernel waits for a grace period.
import { roundUp8 } from '../../seam/map-layout.js';
import { LPM_KEY_DATA_OFFSET as LPM_KEY_DATA } from '../../uapi/bpf.js';
import { EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC } from '../../uapi/errno.js';
import { lpmNextKeyExactMatch, lpmUpdateHonoursFlags } from '../kernel-version.js';
import { lockWord, sharedInt32, sharedValueSlab, unlockWord } from './shared.js';
import { BPF_EXIST, BPF_NOEXIST, copyBytes, type MapShape } from './storage.js';

// Header words: the trie's lock, the readers' sequence word, the root (node + 1), n_entries, the next never-used
// node, the free list's head (node + 1).
const LOCK = 0;
const SEQ = 1;
const ROOT = 2;
const ENTRIES = 3;
const FRESH = 4;
const FREE = 5;
const HEADER = 6;
// A node's words: child[0], child[1], prefixlen, flags; its data from byte 16, its value after the data.
const CHILD0 = 0;
const PREFIXLEN = 2;
const FLAGS = 3;
const DATA_AT = 16;
/** LPM_TREE_NODE_FLAG_IM */
const FLAG_IM = 1;
/** Lock-free attempts before a reader takes the lock. */
const OPTIMISTIC_TRIES = 4;
/** Bytes one trie's node slab may reserve; a trie that needs more nodes than fit answers ENOMEM (as kmalloc would). */
const MAX_SLAB = 1 << 28;

/** An LpmTrieTable's shared memory: post it to a worker and attach there with `new LpmTrieTable(shape, version, state)`. */
export interface LpmTrieState {
  shape: MapShape;
  kernelVersion: string;
  header: Int32Array;
  nodes: Uint8Array;
}

export class LpmTrieTable {
  readonly shape: MapShape;
  readonly state: LpmTrieState;
  /** Bytes of a value as the syscall copies it: value_size (no per-CPU values). */
  readonly stride: number;
  /** trie->data_size and trie->max_prefixlen. */
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  readonly #node: number;
  readonly #nodeWords: number;
  readonly #valueAt: number;
  readonly #capacity: number;
  readonly #header: Int32Array;
  readonly #nodes: Uint8Array;
  /** The node slab's buffer as words (children, prefixlen, flags). */
  readonly #words: Int32Array;
  readonly #firstWord: number;
  readonly #honoursFlags: boolean;
  readonly #exactNextKey: boolean;
  /** #descend's results (this table's own: each thread has its table, and runs one operation at a time). */
  readonly #walkPath: Int32Array;
  #walkDepth = 0;
  #walkSlot = -1;
  #walkMatch = 0;

  constructor(shape: MapShape, kernelVersion: string, state?: LpmTrieState) {
    this.shape = shape;
    this.stride = shape.valueSize;
    this.dataSize = shape.keySize - LPM_KEY_DATA;
    this.maxPrefixlen = this.dataSize * 8;
    this.#valueAt = DATA_AT + roundUp8(this.dataSize);
    this.#node = this.#valueAt + roundUp8(shape.valueSize);
    this.#nodeWords = this.#node >> 2;
    // Intermediate nodes have two children each, so a trie of n entries has fewer than n of them; an update
    // holds a new node and maybe an intermediate one before it frees the node it replaces.
    this.#capacity = Math.min(2 * shape.maxEntries + 2, Math.floor(MAX_SLAB / this.#node));
    this.#header = state?.header ?? sharedInt32(HEADER);
    this.#nodes = state?.nodes ?? sharedValueSlab(this.#capacity * this.#node);
    this.#words = new Int32Array(this.#nodes.buffer);
    this.#firstWord = this.#nodes.byteOffset >> 2;
    this.#honoursFlags = lpmUpdateHonoursFlags(kernelVersion);
    this.#exactNextKey = lpmNextKeyExactMatch(kernelVersion);
    // A walk passes at most one node per prefix length, 0 to max_prefixlen.
    this.#walkPath = new Int32Array(this.maxPrefixlen + 1);
    this.state = { shape, kernelVersion, header: this.#header, nodes: this.#nodes };
  }

  /** trie->n_entries: the nodes that are not intermediate. */
  get count(): number {
    return Atomics.load(this.#header, ENTRIES);
  }

  // ---- nodes ----

  #at(n: number): number {
    return this.#firstWord + n * this.#nodeWords;
  }

  #child(n: number, bit: number): number {
    return this.#words[this.#at(n) + CHILD0 + bit]! - 1;
  }

  #setChild(n: number, bit: number, child: number): void {
    this.#words[this.#at(n) + CHILD0 + bit] = child + 1;
  }

  #prefixlen(n: number): number {
    return this.#words[this.#at(n) + PREFIXLEN]! >>> 0;
  }

  #isIm(n: number): boolean {
    return (this.#words[this.#at(n) + FLAGS]! & FLAG_IM) !== 0;
  }

  #root(): number {
    return this.#header[ROOT]! - 1;
  }

  /** A slot: -1 the root, else node * 2 + bit (that node's child[bit]). */
  #slotGet(slot: number): number {
    return slot < 0 ? this.#root() : this.#child(slot >> 1, slot & 1);
  }

  #slotSet(slot: number, n: number): void {
    if (slot < 0) this.#header[ROOT] = n + 1;
    else this.#setChild(slot >> 1, slot & 1, n);
  }

  /** lpm_trie_node_alloc: a node with flags 0 (the lock held), or -1 when the slab has none left (ENOMEM). */
  #alloc(): number {
    const h = this.#header;
    let n = h[FREE]! - 1;
    if (n >= 0) h[FREE] = this.#words[this.#at(n) + CHILD0]!;
    else if (h[FRESH]! < this.#capacity) n = h[FRESH]!++;
    else return -1;
    this.#words[this.#at(n) + FLAGS] = 0;
    return n;
  }

  #free(n: number): void {
    const h = this.#header;
    this.#words[this.#at(n) + CHILD0] = h[FREE]!;
    h[FREE] = n + 1;
  }

  // ---- bits ----

  /** extract_bit: bit `index` of the big-endian bit string at `off`. */
  static #bit(bytes: Uint8Array, off: number, index: number): number {
    return (bytes[off + (index >> 3)]! >> (7 - (index & 7))) & 1;
  }

  /** The key's prefixlen (a host-order u32 at `koff`). */
  static #keyPrefixlen(key: Uint8Array, koff: number): number {
    return (key[koff]! | (key[koff + 1]! << 8) | (key[koff + 2]! << 16) | (key[koff + 3]! << 24)) >>> 0;
  }

  /**
   * __longest_prefix_match: how many leading bits of node n's data and the key's data agree, at most
   * min(node->prefixlen, key->prefixlen). The kernel compares 8, 4, 2 then 1 bytes at a time; the count is
   * the same byte by byte.
   */
  #match(n: number, key: Uint8Array, koff: number, keyPrefixlen: number): number {
    const limit = Math.min(this.#prefixlen(n), keyPrefixlen);
    const nodes = this.#nodes;
    const base = n * this.#node + DATA_AT;
    const kd = koff + LPM_KEY_DATA;
    let prefixlen = 0;
    for (let i = 0; i < this.dataSize; i++) {
      const diff = nodes[base + i]! ^ key[kd + i]!;
      prefixlen += diff === 0 ? 8 : Math.clz32(diff) - 24;
      if (prefixlen >= limit) return limit;
      if (diff !== 0) return prefixlen;
    }
    return prefixlen;
  }

  // ---- readers (no lock: RCU in the kernel) ----
  // A reader runs between two equal even values of the sequence word (no writer in between), else, after a
  // few tries, under the lock. A reader racing a writer may follow reused nodes: walks are bounded by the depth
  // a trie can have (each step down adds to prefixlen), and the sequence check discards what they found. The
  // loops are written out in each reader: a closure per call would be an allocation per program lookup.

  /** The sequence word before a lock-free read: even, or -1 when a writer holds the trie. */
  #readBegin(): number {
    const v = Atomics.load(this.#header, SEQ);
    return v & 1 ? -1 : v;
  }

  /** No writer changed the trie since #readBegin gave `v`. */
  #readValid(v: number): boolean {
    return Atomics.load(this.#header, SEQ) === v;
  }

  /** Takes the trie's lock (the kernel's trie->lock) and marks a change under way for lock-free readers. */
  #lock(): void {
    lockWord(this.#header, LOCK);
    Atomics.add(this.#header, SEQ, 1);
  }

  #unlock(): void {
    Atomics.add(this.#header, SEQ, 1);
    unlockWord(this.#header, LOCK);
  }

  /** trie_lookup_elem: the node holding the longest prefix of the key that is in the trie, or -1. */
  #lookupNode(key: Uint8Array, koff: number): number {
    const keyPrefixlen = LpmTrieTable.#keyPrefixlen(key, koff);
    if (keyPrefixlen > this.maxPrefixlen) return -1;
    let found = -1;
    let hops = this.maxPrefixlen + 2;
    for (let node = this.#root(); node >= 0 && hops-- > 0; ) {
      // Every bit the trie can hold matches: an exact match, returned at once.
      const matchlen = this.#match(node, key, koff, keyPrefixlen);
      if (matchlen === this.maxPrefixlen) return node;
      // The node's prefix is not the key's: the last candidate above it is the answer.
      const prefixlen = this.#prefixlen(node);
      if (matchlen < prefixlen) break;
      if (!this.#isIm(node)) found = node;
      node = this.#child(node, LpmTrieTable.#bit(key, koff + LPM_KEY_DATA, prefixlen));
    }
    return found;
  }

  /** The syscall's lookup (bpf_map_copy_value): the matched node's value copied out. */
  lookup(key: Uint8Array, out: Uint8Array): number {
    const vs = this.shape.valueSize;
    for (let t = 0; t < OPTIMISTIC_TRIES; t++) {
      const v = this.#readBegin();
      if (v < 0) continue;
      const n = this.#lookupNode(key, 0);
      if (n >= 0) copyBytes(this.#nodes, this.#valueOf(n), out, 0, vs);
      if (this.#readValid(v)) return n < 0 ? ENOENT : 0;
    }
    this.#lock();
    try {
      const n = this.#lookupNode(key, 0);
      if (n < 0) return ENOENT;
      copyBytes(this.#nodes, this.#valueOf(n), out, 0, vs);
      return 0;
    } finally {
      this.#unlock();
    }
  }

  #valueOf(n: number): number {
    return n * this.#node + this.#valueAt;
  }

  /**
   * A program's bpf_map_lookup_elem: the byte offset of the matched node's value in `values` (in place), or
   * -1. The key is key_size bytes of `key` from `keyOffset` (a program's stack, read in place).
   */
  programValueOffset(key: Uint8Array, _cpu: number, keyOffset = 0, _setRef = true): number {
    let n = -2;
    for (let t = 0; t < OPTIMISTIC_TRIES && n === -2; t++) {
      const v = this.#readBegin();
      if (v < 0) continue;
      const found = this.#lookupNode(key, keyOffset);
      if (this.#readValid(v)) n = found;
    }
    if (n === -2) {
      this.#lock();
      n = this.#lookupNode(key, keyOffset);
      this.#unlock();
    }
    // RCU-like, as the kernel: the node may be replaced right after; its memory stays a value slot.
    return n < 0 ? -1 : this.#valueOf(n);
  }

  /** The node slab, where programs address values (fixed for the map's life). */
  get values(): Uint8Array {
    return this.#nodes;
  }

  // ---- writers (the trie's lock) ----

  /**
   * The walk trie_update_elem, trie_delete_elem and trie_get_next_key share: down while a node's whole prefix
   * matches the key and is shorter than it. It ends at the node where that stops (or -1, past a leaf), whose
   * slot (-1 the root, else parent * 2 + bit) and match length it leaves in #walkSlot and #walkMatch; the nodes
   * it passed, root first, are #walkPath[0 .. #walkDepth - 1], the end node included.
   */
  #descend(key: Uint8Array, koff: number, keyPrefixlen: number): number {
    let slot = -1;
    let matchlen = 0;
    let depth = 0;
    let node = this.#root();
    // Bounded for readers racing a writer (each step down adds to prefixlen, so a trie is no deeper).
    for (; node >= 0 && depth < this.#walkPath.length; node = this.#slotGet(slot)) {
      this.#walkPath[depth++] = node;
      matchlen = this.#match(node, key, koff, keyPrefixlen);
      const prefixlen = this.#prefixlen(node);
      if (prefixlen !== matchlen || prefixlen === keyPrefixlen) break;
      slot = node * 2 + LpmTrieTable.#bit(key, koff + LPM_KEY_DATA, prefixlen);
    }
    this.#walkSlot = slot;
    this.#walkMatch = matchlen;
    this.#walkDepth = depth;
    return node;
  }

  /**
   * trie_check_add_elem (6.13+): BPF_EXIST wants an element that is not there; a full trie takes no new one.
   * Counts the new element.
   */
  #addElem(flags: number): number {
    const h = this.#header;
    if (this.#honoursFlags && flags === BPF_EXIST) return ENOENT;
    if (this.#honoursFlags && h[ENTRIES] === this.shape.maxEntries) return ENOSPC;
    Atomics.add(h, ENTRIES, 1);
    return 0;
  }

  /**
   * trie_update_elem, from the syscall or a program: `flags` is the whole u64 (its upper half, checked by the
   * callers, is zero here). The new node is written before it is linked: a replaced node's children move to
   * it and the old node is freed.
   */
  update(key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number): number {
    if (flags > BPF_EXIST) return EINVAL;
    const keyPrefixlen = LpmTrieTable.#keyPrefixlen(key, koff);
    if (keyPrefixlen > this.maxPrefixlen) return EINVAL;
    this.#lock();
    try {
      // Before 6.13 a full trie refused every update, a replacing one too, before the walk; flags NOEXIST
      // and EXIST were taken as BPF_ANY.
      if (!this.#honoursFlags && this.#header[ENTRIES] === this.shape.maxEntries) return ENOSPC;
      const fresh = this.#alloc();
      if (fresh < 0) return ENOMEM;
      const rc = this.#insert(fresh, key, koff, value, voff, flags, keyPrefixlen);
      if (rc !== 0) this.#free(fresh);
      return rc;
    } finally {
      this.#unlock();
    }
  }

  #insert(fresh: number, key: Uint8Array, koff: number, value: Uint8Array, voff: number, flags: number, keyPrefixlen: number): number {
    const at = this.#at(fresh);
    const words = this.#words;
    words[at + PREFIXLEN] = keyPrefixlen;
    words[at + CHILD0] = 0;
    words[at + CHILD0 + 1] = 0;
    copyBytes(key, koff + LPM_KEY_DATA, this.#nodes, fresh * this.#node + DATA_AT, this.dataSize);
    copyBytes(value, voff, this.#nodes, this.#valueOf(fresh), this.shape.valueSize);

    // Find the slot to attach the new node: down while each node's whole prefix matches the key.
    const node = this.#descend(key, koff, keyPrefixlen);
    const slot = this.#walkSlot;
    const matchlen = this.#walkMatch;

    // An empty slot (a free child pointer or an empty root): the new node goes there.
    if (node < 0) {
      const rc = this.#addElem(flags);
      if (rc === 0) this.#slotSet(slot, fresh);
      return rc;
    }

    // The same prefix: the new node replaces the one there (an intermediate one becomes an element).
    if (this.#prefixlen(node) === matchlen) {
      if (!this.#isIm(node)) {
        if (this.#honoursFlags && flags === BPF_NOEXIST) return EEXIST;
      } else {
        const rc = this.#addElem(flags);
        if (rc) return rc;
      }
      words[at + CHILD0] = words[this.#at(node) + CHILD0]!;
      words[at + CHILD0 + 1] = words[this.#at(node) + CHILD0 + 1]!;
      this.#slotSet(slot, fresh);
      this.#free(node);
      return 0;
    }

    const rc = this.#addElem(flags);
    if (rc) return rc;

    // The new node's prefix is all of this node's match: it goes in between, as the node's parent.
    if (matchlen === keyPrefixlen) {
      this.#setChild(fresh, LpmTrieTable.#bit(this.#nodes, node * this.#node + DATA_AT, matchlen), node);
      this.#slotSet(slot, fresh);
      return 0;
    }

    // They part at bit `matchlen`: an intermediate node with the common prefix takes both.
    const im = this.#alloc();
    if (im < 0) {
      Atomics.sub(this.#header, ENTRIES, 1);
      return ENOMEM;
    }
    const imAt = this.#at(im);
    words[imAt + PREFIXLEN] = matchlen;
    words[imAt + FLAGS] = FLAG_IM;
    copyBytes(this.#nodes, node * this.#node + DATA_AT, this.#nodes, im * this.#node + DATA_AT, this.dataSize);
    const newBit = LpmTrieTable.#bit(key, koff + LPM_KEY_DATA, matchlen);
    this.#setChild(im, newBit, fresh);
    this.#setChild(im, newBit ^ 1, node);
    this.#slotSet(slot, im);
    return 0;
  }

  /**
   * trie_delete_elem: only an element with exactly the key's prefix. One with two children becomes an
   * intermediate node; a leaf under an intermediate parent takes the parent with it (its sibling moves up);
   * otherwise its one child, or nothing, takes its slot.
   */
  delete(key: Uint8Array, koff: number): number {
    const keyPrefixlen = LpmTrieTable.#keyPrefixlen(key, koff);
    if (keyPrefixlen > this.maxPrefixlen) return EINVAL;
    this.#lock();
    try {
      const node = this.#descend(key, koff, keyPrefixlen);
      const slot = this.#walkSlot;
      if (node < 0 || this.#prefixlen(node) !== keyPrefixlen || this.#prefixlen(node) !== this.#walkMatch || this.#isIm(node)) return ENOENT;
      // The node before it on the walk is its parent, held in the slot the grandparent's walk step chose.
      const parent = this.#walkDepth >= 2 ? this.#walkPath[this.#walkDepth - 2]! : -1;
      const parentSlot = this.#walkDepth >= 3 ? this.#slotOf(this.#walkPath[this.#walkDepth - 3]!, parent) : -1;
      Atomics.sub(this.#header, ENTRIES, 1);
      const c0 = this.#child(node, 0);
      const c1 = this.#child(node, 1);
      if (c0 >= 0 && c1 >= 0) {
        this.#words[this.#at(node) + FLAGS] |= FLAG_IM;
        return 0;
      }
      if (parent >= 0 && this.#isIm(parent) && c0 < 0 && c1 < 0) {
        this.#slotSet(parentSlot, this.#child(parent, this.#child(parent, 0) === node ? 1 : 0));
        this.#free(parent);
        this.#free(node);
        return 0;
      }
      this.#slotSet(slot, c0 >= 0 ? c0 : c1);
      this.#free(node);
      return 0;
    } finally {
      this.#unlock();
    }
  }

  /** The slot of `parent` that holds `child`. */
  #slotOf(parent: number, child: number): number {
    return parent * 2 + (this.#child(parent, 0) === child ? 0 : 1);
  }

  // ---- get_next_key ----

  /**
   * trie_get_next_key: postorder, more specific prefixes before less specific ones. No key, a prefixlen past
   * the trie's, or a key that is not an element: the leftmost element. After the last: ENOENT.
   */
  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    let n = -2;
    for (let t = 0; t < OPTIMISTIC_TRIES && n === -2; t++) {
      const v = this.#readBegin();
      if (v < 0) continue;
      const found = this.#nextNode(key);
      if (found >= 0) this.#copyNodeKey(found, next);
      if (this.#readValid(v)) n = found;
    }
    if (n === -2) {
      this.#lock();
      try {
        n = this.#nextNode(key);
        if (n >= 0) this.#copyNodeKey(n, next);
      } finally {
        this.#unlock();
      }
    }
    return n < 0 ? ENOENT : 0;
  }

  /** A node's key: its prefixlen (host order), then its data as the update that made it gave it. */
  #copyNodeKey(n: number, next: Uint8Array): void {
    const p = this.#prefixlen(n);
    next[0] = p & 0xff;
    next[1] = (p >>> 8) & 0xff;
    next[2] = (p >>> 16) & 0xff;
    next[3] = p >>> 24;
    copyBytes(this.#nodes, n * this.#node + DATA_AT, next, LPM_KEY_DATA, this.dataSize);
  }

  /** The node get_next_key returns, or -1 (an empty trie, or `key` the last element). */
  #nextNode(key: Uint8Array | null): number {
    const root = this.#root();
    if (root < 0) return -1;
    const keyPrefixlen = key ? LpmTrieTable.#keyPrefixlen(key, 0) : 0;
    if (!key || keyPrefixlen > this.maxPrefixlen) return this.#leftmost(root);
    const node = this.#descend(key, 0, keyPrefixlen);
    // The exact node for the key: 6.13 ("bpf: Fix exact match conditions in trie_get_next_key()") asks that
    // all of its prefix matched; before, that its prefixlen was the key's.
    const exact = node >= 0 && this.#prefixlen(node) === (this.#exactNextKey ? this.#walkMatch : keyPrefixlen);
    if (!exact || this.#isIm(node)) return this.#leftmost(root);
    // The first node in postorder after it: its right sibling's leftmost, else its first non-intermediate ancestor.
    const path = this.#walkPath;
    for (let i = this.#walkDepth - 1; i > 0; i--) {
      const parent = path[i - 1]!;
      if (this.#child(parent, 0) === path[i]) {
        const right = this.#child(parent, 1);
        if (right >= 0) return this.#leftmost(right);
      }
      if (!this.#isIm(parent)) return parent;
    }
    return -1;
  }

  /** find_leftmost: the first element in postorder under `from` (intermediate nodes have two children). */
  #leftmost(from: number): number {
    let found = -1;
    let hops = this.maxPrefixlen + 2;
    for (let node = from; node >= 0 && hops-- > 0; ) {
      if (this.#isIm(node)) {
        node = this.#child(node, 0);
      } else {
        found = node;
        node = this.#child(node, 0);
        if (node < 0) node = this.#child(found, 1);
      }
    }
    return found;
  }
}

