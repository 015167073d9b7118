// BPF_BTF_LOAD's last step (kernel/bpf/btf.c btf_parse_struct_metas, 6.2+): every struct with a member of a
// special type (bpf_spin_lock, bpf_list_head/node, bpf_rb_root/node, bpf_refcount, or a kptr) has its fields
// parsed (btf_parse_fields) and their ownership checked; a failure refuses the BTF with nothing logged, so
// the reason is the last line check_meta wrote. btf-load.ts calls it.
//
// The running kernel matters here: btf_parse_kptr looks a kptr's pointee up by name in vmlinux and module BTF,
// and a kernel struct held as a referenced kptr needs a registered destructor (else ENOENT). The caller may
// say which structs the kernel has (KernelStructs); by default the model knows a few (builtinKernelStructs)
// and treats every other pointee as a program type.
import { BtfKind as K, MAX_RESOLVE_DEPTH } from '../btf/decode.js';
import { errnoByCode } from '../uapi/errno.js';
import { NULL, type BtfEnv } from './btf-load-env.js';
import {
  btfKptrTagWalk, btfOwnershipDepth, btfResSpinLock, btfStructMetasStrict, btfTagKindFlag, btfUptrTag, versionAtLeast,
} from './kernel-version.js';

const { EINVAL, E2BIG, ELOOP, EEXIST, EFAULT, ENOENT } = errnoByCode;

const F = {
  SpinLock: 1 << 0, KptrUnref: 1 << 2, KptrRef: 1 << 3, KptrPercpu: 1 << 4, ListHead: 1 << 5, ListNode: 1 << 6,
  RbRoot: 1 << 7, RbNode: 1 << 8, Refcount: 1 << 9, Uptr: 1 << 11, ResSpinLock: 1 << 12,
} as const;
const KPTR = F.KptrUnref | F.KptrRef | F.KptrPercpu;
const GRAPH_ROOT = F.ListHead | F.RbRoot, GRAPH_NODE = F.ListNode | F.RbNode;
/** include/linux/bpf.h BTF_FIELDS_MAX */
const BTF_FIELDS_MAX = 11;
/** include/linux/bpf.h btf_field_type_size / btf_field_type_align of the fields struct metas look for. */
const FIELD_SIZE: Record<number, [number, number]> = {
  [F.SpinLock]: [4, 4], [F.ResSpinLock]: [4, 4], [F.Refcount]: [4, 4], [F.KptrUnref]: [8, 8], [F.KptrRef]: [8, 8],
  [F.KptrPercpu]: [8, 8], [F.Uptr]: [8, 8], [F.ListHead]: [16, 8], [F.ListNode]: [24, 8], [F.RbRoot]: [16, 8], [F.RbNode]: [32, 8],
};
/**
 * btf_get_field_type's names, in its order; a `unique` type may appear once per struct, or per record where
 * btfStructMetasStrict (E2BIG); so may bpf_refcount where btfStructMetasStrict.
 */
const FIELD_NAMES: [number, string, boolean][] = [
  [F.SpinLock, 'bpf_spin_lock', true], [F.ResSpinLock, 'bpf_res_spin_lock', true], [F.ListHead, 'bpf_list_head', false],
  [F.ListNode, 'bpf_list_node', false], [F.RbRoot, 'bpf_rb_root', false], [F.RbNode, 'bpf_rb_node', false],
  [F.Refcount, 'bpf_refcount', false],
];
/** btf_find_kptr's type tags. */
const KPTR_TAGS = new Map([['kptr_untrusted', F.KptrUnref], ['kptr', F.KptrRef], ['percpu_kptr', F.KptrPercpu], ['uptr', F.Uptr]]);
/** BTF_FIELD_IGNORE (a found field is returned as its FieldInfo) */
const IGNORE = 0;

/**
 * Whether the running kernel has a struct of this name in vmlinux or module BTF (bpf_find_btf_id): undefined
 * when not, else whether a destructor kfunc is registered for it.
 */
export type KernelStructs = (name: string) => boolean | undefined;

/**
 * Structs of vmlinux that btf_parse_kptr finds by name (bpf_find_btf_id), the version whose BTF has them,
 * and whether a destructor kfunc is registered for them (register_btf_id_dtor_kfuncs: kernel/bpf/helpers.c,
 * cpumask.c, crypto.c), which alone may be referenced kptrs. Measured on 6.18: `kptr` to sk_buff, node or
 * bpf_list_node is ENOENT, to task_struct, cgroup, bpf_cpumask or bpf_crypto_ctx accepted, and
 * `kptr_untrusted`/`percpu_kptr` to any of them accepted; test/diff/btf-load.test.ts checks each entry against
 * the running kernel. sk_buff has a destructor where the BPF qdisc is built in (net/sched/bpf_qdisc.c, 6.16+,
 * CONFIG_NET_SCH_BPF): Debian's 7.2 has it (measured), this machine's 6.18 not; modelled from 7.0 on.
 */
const KERNEL_STRUCTS = new Map<string, { since: string; dtor?: (version: string) => boolean }>([
  ['task_struct', { since: '6.1', dtor: () => true }], ['cgroup', { since: '6.1', dtor: () => true }],
  ['bpf_cpumask', { since: '6.3', dtor: () => true }], ['bpf_crypto_ctx', { since: '6.10', dtor: () => true }],
  ['sk_buff', { since: '6.1', dtor: (v) => versionAtLeast(v, '7.0') }],
  ['bpf_spin_lock', { since: '6.1' }], ['bpf_timer', { since: '6.1' }], ['bpf_dynptr', { since: '6.1' }],
  ['bpf_list_head', { since: '6.2' }], ['bpf_list_node', { since: '6.2' }], ['bpf_rb_root', { since: '6.3' }],
  ['bpf_rb_node', { since: '6.3' }], ['bpf_refcount', { since: '6.4' }], ['bpf_wq', { since: '6.10' }],
  ['bpf_res_spin_lock', { since: '6.15' }], ['bpf_task_work', { since: '6.18' }],
  ...['sock', 'file', 'inode', 'mm_struct', 'cpumask', 'net_device', 'node'].map((n): [string, { since: string }] => [n, { since: '6.1' }]),
]);

/** The names of the kernel structs the model knows by default on `version`. */
export function builtinKernelStructNames(version: string): string[] {
  return [...KERNEL_STRUCTS].filter(([, s]) => versionAtLeast(version, s.since)).map(([n]) => n);
}

/** The kernel structs the model knows by default (KERNEL_STRUCTS), as `version` has them. */
export function builtinKernelStructs(version: string): KernelStructs {
  return (name) => {
    const s = KERNEL_STRUCTS.get(name);
    return s && versionAtLeast(version, s.since) ? s.dtor?.(version) ?? false : undefined;
  };
}

interface FieldInfo { type: number; off: number; kptrId?: number; kernel?: boolean; valueId?: number; nodeName?: string }
interface Meta { id: number; fields: FieldInfo[]; mask: number }

class StructMetas {
  readonly infos: FieldInfo[] = [];
  readonly strict: boolean;
  readonly ownershipDepth: boolean;
  constructor(readonly e: BtfEnv, readonly kernelStructs: KernelStructs) {
    this.strict = btfStructMetasStrict(e.version);
    this.ownershipDepth = btfOwnershipDepth(e.version);
  }

  nameOf(t: number): string { return this.e.logName(this.e.nameOff(t)); }
  isStructKind(t: number): boolean { return this.e.is(t, K.Struct); } // __btf_type_is_struct: not unions
  /** btf_find_by_name_kind */
  findByNameKind(name: string, kind: number): number {
    for (let id = 1; id < this.e.types.length; id++) {
      const t = this.e.types[id]!;
      if (this.e.kind(t) === kind && this.e.str(this.e.nameOff(t)) === name) return id;
    }
    return -ENOENT;
  }

  /** btf_find_kptr: a PTR (maybe VOLATILE) to a kptr type tag to a struct. */
  findKptr(t: number, off: number, mask: number): number | FieldInfo {
    const e = this.e, version = e.version;
    if (e.is(t, K.Volatile)) t = e.byId(e.st(t));
    if (!e.is(t, K.Ptr)) return IGNORE;
    if (btfKptrTagWalk(version)) return this.findKptrWalk(t, off, mask);
    t = e.byId(e.st(t));
    if (!e.is(t, K.TypeTag) || (btfTagKindFlag(version) && e.kflag(t))) return IGNORE;
    if (e.is(e.byId(e.st(t)), K.TypeTag)) return -EINVAL;
    const tag = this.nameOf(t);
    const type = tag === 'kptr_untrusted' ? F.KptrUnref : tag === 'kptr' ? F.KptrRef : tag === 'percpu_kptr' ? F.KptrPercpu
      : tag === 'uptr' && btfUptrTag(version) ? F.Uptr : 0;
    if (!type) return -EINVAL;
    if (btfUptrTag(version) && !(type & mask)) return IGNORE;
    let id = e.st(t), p = e.byId(id);
    while (e.isModifier(p)) p = e.byId(id = e.st(p));
    if (!this.isStructKind(p)) return -EINVAL;
    return { type, off, kptrId: id };
  }

  /** btf_find_kptr after btf_type_tag_walk (btfKptrTagWalk): the kptr tags anywhere among the modifiers. */
  findKptrWalk(t: number, off: number, mask: number): number | FieldInfo {
    const e = this.e;
    let type = 0, id = 0;
    for (;;) {
      t = e.byId(id = e.st(t));
      if (!e.isModifier(t)) break;
      if (e.is(t, K.TypeTag) && !e.kflag(t)) type |= KPTR_TAGS.get(this.nameOf(t)) ?? 0;
    }
    if (type & (type - 1)) return -EINVAL; // more than one kind of kptr tag
    if (!(type & mask)) return IGNORE;
    if (!this.isStructKind(t)) return -EINVAL;
    return { type, off, kptrId: id };
  }

  /** btf_parse_struct_metas */
  parse(): number {
    const e = this.e, n = e.types.length;
    const aof = new Set<number>();
    for (const name of ['bpf_spin_lock', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount']) {
      const id = this.findByNameKind(name, K.Struct);
      if (id > 0) aof.add(id);
    }
    for (let i = 1; i < n; i++) if (typeof this.findKptr(e.types[i]!, 0, KPTR) === 'object') aof.add(i);
    if (!aof.size) return 0;
    const mask = F.SpinLock | (btfResSpinLock(e.version) ? F.ResSpinLock : 0) | F.ListHead | F.ListNode | F.RbRoot | F.RbNode | F.Refcount | KPTR;
    const tab: Meta[] = [];
    for (let i = 1; i < n; i++) {
      const t = e.types[i]!;
      if (!this.isStructKind(t)) continue;
      let special = false;
      for (let j = 0; j < e.vlen(t) && !special; j++) special = aof.has(e.member(t, j).type);
      if (!special) continue;
      const fields = this.parseFields(t, mask, e.st(t));
      if (typeof fields === 'number') return fields || -EFAULT;
      tab.push({ id: i, fields, mask: fields.reduce((m, f) => m | f.type, 0) });
    }
    return this.ownershipDepth ? this.checkOwnershipDepth(tab) : this.checkOwnership(tab);
  }

  /** btf_parse_fields: the fields found, or -errno (0: none). */
  parseFields(t: number, mask: number, valueSize: number): FieldInfo[] | number {
    this.infos.length = 0;
    const cnt = this.structFields(t, mask, 0, BTF_FIELDS_MAX, 0, { seen: 0 });
    if (cnt <= 0) return cnt;
    const fields = this.infos.slice(0, cnt);
    let nextOff = 0, spin = false, res = false, refcount = false, has = 0;
    for (const f of fields) {
      const size = FIELD_SIZE[f.type]![0];
      if (f.off + size > valueSize) return -EFAULT; // WARN_ONCE("verifier bug") in the kernel
      if (f.off < nextOff) return -EEXIST;
      nextOff = f.off + size;
      has |= f.type;
      if (f.type === F.SpinLock) spin = true;
      else if (f.type === F.ResSpinLock) res = true;
      else if (f.type === F.Refcount) refcount = true;
      else if (f.type & GRAPH_ROOT) {
        const err = this.graphRoot(f, f.type === F.ListHead ? 'bpf_list_node' : 'bpf_rb_node');
        if (err) return err;
      } else if (f.type & KPTR) { // btf_parse_kptr
        const dtor = this.kernelStructs(this.nameOf(this.e.byId(f.kptrId!)));
        if (dtor === false && f.type === F.KptrRef) return -ENOENT;
        f.kernel = dtor !== undefined;
      }
    }
    if (spin && res) return -EINVAL;
    if (has & GRAPH_ROOT && !spin && !res) return -EINVAL; // bpf_{list_head,rb_root} need a lock
    if (!refcount && has & F.ListNode && has & F.RbNode) return -EINVAL;
    return fields.sort((a, b) => a.off - b.off);
  }

  /**
   * btf_find_struct_field: into infos[base..base+cnt). Which unique fields were seen is kept per struct, or
   * for the whole record (nested structs included) where btfStructMetasStrict.
   */
  structFields(t: number, mask: number, base: number, cnt: number, level: number, seen: { seen: number }): number {
    const e = this.e;
    if (!this.strict) seen = { seen: 0 };
    let idx = 0;
    for (let i = 0; i < e.vlen(t); i++) {
      const m = e.member(t, i), off = e.memberBitOffset(t, m);
      if (off % 8) return -EINVAL;
      const ret = this.fieldOne(t, e.byId(m.type), i, off / 8, mask, seen, base + idx, cnt - idx, level);
      if (ret < 0) return ret;
      idx += ret;
    }
    return idx;
  }

  /** btf_find_field_one (for a struct member: no expected size) */
  fieldOne(st: number, vt: number, idx: number, off: number, mask: number, seen: { seen: number }, base: number, cnt: number, level: number): number {
    const e = this.e;
    let nelems = 1, i = 0;
    for (; i < MAX_RESOLVE_DEPTH && e.is(vt, K.Array); i++) {
      nelems = Math.imul(nelems, e.extra(vt, 2)) >>> 0;
      vt = e.byId(e.extra(vt, 0));
    }
    if (i === MAX_RESOLVE_DEPTH) return -E2BIG;
    if (nelems === 0) return 0;
    // btf_get_field_type: by name, whatever the kind; else a kptr candidate when not a struct.
    const name = this.nameOf(vt);
    let type = 0;
    for (const [ft, fname, unique] of FIELD_NAMES) {
      if (!(mask & ft) || name !== fname) continue;
      if (unique || (ft === F.Refcount && this.strict)) {
        if (seen.seen & ft) return -E2BIG;
        seen.seen |= ft;
      }
      type = ft;
      break;
    }
    if (!type && mask & KPTR && !this.isStructKind(vt)) type = F.KptrRef;
    if (!type) return this.isStructKind(vt) ? this.nested(vt, off, nelems, mask, base, cnt, level, seen) : 0;
    const [sz, align] = FIELD_SIZE[type]!;
    if (off % align) return 0;
    let found: number | FieldInfo;
    if (type & KPTR) found = this.findKptr(vt, off, mask);
    else if (!this.isStructKind(vt) || e.st(vt) !== sz) found = IGNORE; // btf_find_struct, btf_find_graph_root
    else if (type & GRAPH_ROOT) found = this.findGraphRoot(st, idx, type, off);
    else found = { type, off };
    if (typeof found === 'number') return found; // IGNORE or -errno
    if (!cnt) return -E2BIG;
    this.infos[base] = found;
    return nelems > 1 ? this.repeat(base, cnt, 1, nelems - 1, sz) || nelems : nelems;
  }

  /** btf_find_nested_struct */
  nested(t: number, off: number, nelems: number, mask: number, base: number, cnt: number, level: number, seen: { seen: number }): number {
    if (++level >= MAX_RESOLVE_DEPTH) return -E2BIG;
    const ret = this.structFields(t, mask, base, cnt, level, seen);
    if (ret <= 0) return ret;
    for (let i = 0; i < ret; i++) this.infos[base + i]!.off = (this.infos[base + i]!.off + off) >>> 0;
    if (nelems <= 1) return ret;
    return this.repeat(base, cnt, ret, nelems - 1, this.e.st(t)) || ret * nelems;
  }

  /** btf_repeat_fields: arrays of kptrs and graph roots only. */
  repeat(base: number, cnt: number, fieldCnt: number, repeatCnt: number, elemSize: number): number {
    for (let i = 0; i < fieldCnt; i++) if (!(this.infos[base + i]!.type & (KPTR | F.Uptr | GRAPH_ROOT))) return -EINVAL;
    if (fieldCnt * (repeatCnt + 1) > cnt) return -E2BIG;
    for (let r = 1; r <= repeatCnt; r++) {
      for (let j = 0; j < fieldCnt; j++) {
        const f = this.infos[base + j]!;
        this.infos[base + r * fieldCnt + j] = { ...f, off: (f.off + r * elemSize) >>> 0 };
      }
    }
    return 0;
  }

  /** btf_find_graph_root: a "contains:<struct>:<node member>" decl tag on the member says what it holds. */
  findGraphRoot(st: number, compIdx: number, type: number, off: number): number | FieldInfo {
    const e = this.e, key = 'contains:';
    const tagged = (from: number): number => {
      for (let i = from; i < e.types.length; i++) {
        const t = e.types[i]!;
        if (e.is(t, K.DeclTag) && e.byId(e.st(t)) === st && (e.extra(t, 0) | 0) === compIdx && this.nameOf(t).startsWith(key)) return i;
      }
      return -1;
    };
    const id = tagged(1);
    if (id < 0 || tagged(id + 1) >= 0) return -EINVAL;
    const value = this.nameOf(e.types[id]!).slice(key.length), colon = value.indexOf(':');
    if (colon < 0) return -EINVAL;
    const valueId = this.findByNameKind(value.slice(0, colon), K.Struct);
    if (valueId < 0) return valueId;
    if (colon === value.length - 1) return -EINVAL;
    return { type, off, valueId, nodeName: value.slice(colon + 1) };
  }

  /** btf_parse_graph_root: the value struct has one member of that name, a bpf_list_node/bpf_rb_node, aligned. */
  graphRoot(f: FieldInfo, nodeType: string): number {
    const e = this.e, t = e.byId(f.valueId!);
    let n = NULL;
    for (let i = 0; i < e.vlen(t); i++) {
      const m = e.member(t, i);
      if (e.logName(m.nameOff) !== f.nodeName) continue;
      if (n !== NULL) return -EINVAL;
      n = e.byId(m.type);
      if (!this.isStructKind(n) || this.nameOf(n) !== nodeType) return -EINVAL;
      const offset = e.memberBitOffset(n, m); // sic: the node type's kind_flag
      if (offset % 8 || (offset / 8) % 8) return -EINVAL;
    }
    return n === NULL ? -ENOENT : 0;
  }

  /**
   * btf_check_and_fixup_fields: a graph root's value struct has a record (else EFAULT), and a type that is
   * both a graph root and a graph node owns no graph root (ELOOP), so that ownership has no cycle.
   */
  checkOwnership(tab: Meta[]): number {
    const byId = new Map(tab.map((m) => [m.id, m]));
    for (const m of tab) {
      for (const f of m.fields) {
        if (!(f.type & GRAPH_ROOT)) continue;
        const value = byId.get(f.valueId!);
        if (!value) return -EFAULT;
        if (m.mask & GRAPH_NODE && value.mask & GRAPH_ROOT) return -ELOOP;
      }
    }
    return 0;
  }

  /**
   * Where btfOwnershipDepth: btf_check_and_fixup_fields (a graph root's value struct has a record), then
   * btf_check_ownership_depth: no chain of ownership (graph roots, referenced kptrs to program types) is
   * deeper than BTF_MAX_OWNERSHIP_DEPTH (8) or a cycle (ELOOP).
   */
  checkOwnershipDepth(tab: Meta[]): number {
    const index = new Map(tab.map((m, i) => [m.id, i]));
    for (const m of tab) for (const f of m.fields) if (f.type & GRAPH_ROOT && !index.has(f.valueId!)) return -EFAULT;
    const depth = new Uint8Array(tab.length);
    const owned = (f: FieldInfo): number => {
      const id = f.type & GRAPH_ROOT ? f.valueId! : (f.type === F.KptrRef || f.type === F.KptrPercpu) && !f.kernel ? f.kptrId! : -1;
      const i = index.get(id);
      return i ?? (f.type & GRAPH_ROOT ? -EFAULT : -ENOENT);
    };
    const walk = (idx: number, left: number): number => {
      if (!left) return -ELOOP;
      if (!depth[idx]) {
        let max = 0;
        for (const f of tab[idx]!.fields) {
          let r = owned(f);
          if (r === -ENOENT) continue;
          if (r >= 0) r = walk(r, left - 1);
          if (r < 0) return r;
          max = Math.max(max, r);
        }
        depth[idx] = max + 1;
      }
      return depth[idx]! > left ? -ELOOP : depth[idx]!;
    };
    for (let i = 0; i < tab.length; i++) {
      const r = walk(i, 8);
      if (r < 0) return r;
    }
    return 0;
  }
}

/** btf_parse_struct_metas with btf_check_and_fixup_fields and the ownership checks: 0 or -errno. */
export function parseStructMetas(e: BtfEnv, kernelStructs: KernelStructs): number {
  return new StructMetas(e, kernelStructs).parse();
}

