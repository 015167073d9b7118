// BPF_BTF_LOAD's verdict, as kernel/bpf/btf.c btf_parse() gives it, in its order: the header
// (btf_parse_hdr), the string section (btf_parse_str_sec), every record's own checks (btf_check_all_metas;
// these three in btf-load-env.ts), the resolution of every reference (btf_check_all_types: btf_resolve and
// each kind's resolve and check_member, btf_func_proto_check), type tags (btf_check_type_tags), then the
// special fields of structs (btf_parse_struct_metas). The first refusal the kernel reports is the one
// reported here, with its errno and the last line the kernel writes to a level-1 log.
//
// libbpf (1.1, Debian's) loads an object's BTF this way before its maps and programs; when the kernel
// refuses it, libbpf warns "BTF is optional, ignoring" and goes on without BTF.
//
// Approximated: btf_parse_kptr looks a kptr's pointee up by name in the running kernel's vmlinux and module
// BTF, and a kernel type held as a referenced kptr needs a registered destructor (else ENOENT). The model
// knows a few kernel structs (KERNEL_STRUCTS) and treats every other pointee as a program type.
import { BtfKind as K, MAX_RESOLVE_DEPTH } from '../btf/decode.js';
import { errnoByCode } from '../uapi/errno.js';
import { BtfEnv, Mode, NULL, VOID, type Member, type Vertex } from './btf-load-env.js';
import { btfResSpinLock, btfStructMetas, btfStructMetasStrict, btfTagKindFlag, btfUptrTag, parseKernelVersion } from './kernel-version.js';

const { EINVAL, E2BIG, ELOOP, EEXIST, EFAULT, ENOENT } = errnoByCode;

/** kernel/bpf/btf.c BTF_MAX_SIZE: btf_parse refuses more before reading anything (E2BIG, nothing logged). */
const BTF_MAX_SIZE = 16 * 1024 * 1024;

/**
 * What kernel/bpf/btf.c btf_parse() (BPF_BTF_LOAD) answers for these bytes on `version` ('6.18' form):
 * undefined when it accepts them, else the errno (positive, e.g. EINVAL) and the verifier-log line the
 * kernel writes last (the reason; '' when it writes none), UTF-8 decoded and trimmed.
 */
export function btfLoadRefusal(data: Uint8Array, version: string): { errno: number; reason: string } | undefined {
  parseKernelVersion(version);
  if (data.length > BTF_MAX_SIZE) return { errno: E2BIG, reason: '' };
  const e = new BtfEnv(data, version);
  const err = e.parseHdr() || e.parseStrSec() || e.checkAllMetas() || checkAllTypes(e) || checkTypeTags(e)
    || (btfStructMetas(version) ? parseStructMetas(e) : 0);
  return err === 0 ? undefined : { errno: -err, reason: e.log.text };
}

// ---------------------------------------------------------------------------------------------------------
// btf_check_all_types: a depth-first resolve of each type over env->stack (MAX_RESOLVE_DEPTH vertices).

const NOT_VISITED = 0, VISITED = 1, RESOLVED = 2;

function checkAllTypes(e: BtfEnv): number {
  const n = e.types.length;
  e.visit = new Uint8Array(n);
  e.resolvedIds = new Uint32Array(n);
  e.resolvedSizes = new Uint32Array(n);
  e.inResolve = true;
  for (let id = 1; id < n; id++) {
    const t = e.types[id]!;
    e.logTypeId = id;
    if (e.needsResolve(t) && !isResolved(e, id)) {
      const err = resolve(e, t, id);
      if (err) return err;
    }
    if (e.is(t, K.FuncProto)) {
      const err = funcProtoCheck(e, t);
      if (err) return err;
    }
  }
  return 0;
}

const isResolved = (e: BtfEnv, id: number): boolean => e.visit[id] === RESOLVED;

/** env_type_is_resolve_sink */
function isSink(e: BtfEnv, next: number): boolean {
  switch (e.mode) {
    case Mode.Tbd: return !e.needsResolve(next);
    case Mode.Ptr: return !e.isModifier(next) && !e.is(next, K.Ptr);
    default: return !e.isModifier(next) && !e.is(next, K.Array) && !e.isStruct(next);
  }
}

/** env_stack_push */
function push(e: BtfEnv, t: number, id: number): number {
  if (e.stack.length === MAX_RESOLVE_DEPTH) return -E2BIG;
  if (e.visit[id] !== NOT_VISITED) return -EEXIST;
  e.visit[id] = VISITED;
  e.stack.push({ t, id, next: 0 });
  if (e.mode === Mode.Tbd) {
    if (e.is(t, K.Ptr)) e.mode = Mode.Ptr;
    else if (e.isStruct(t) || e.is(t, K.Array)) e.mode = Mode.StructOrArray;
  }
  return 0;
}

/** env_stack_pop_resolved */
function popResolved(e: BtfEnv, resolvedId: number, size: number): number {
  const { id } = e.stack.pop()!;
  e.resolvedSizes[id] = size;
  e.resolvedIds[id] = resolvedId;
  e.visit[id] = RESOLVED;
  return 0;
}

/** btf_resolve */
function resolve(e: BtfEnv, t: number, id: number): number {
  const saved = e.logTypeId;
  e.mode = Mode.Tbd;
  push(e, t, id);
  let err = 0;
  for (let v = e.stack.at(-1); !err && v; v = e.stack.at(-1)) {
    e.logTypeId = v.id;
    err = resolveVertex(e, v);
  }
  e.logTypeId = id;
  if (err === -E2BIG) e.logType(t, `Exceeded max resolving depth:${MAX_RESOLVE_DEPTH}`);
  else if (err === -EEXIST) e.logType(t, 'Loop detected');
  if (!err && !resolveValid(e, t, id)) err = e.refuse(t, 'Invalid resolve state');
  e.logTypeId = saved;
  return err;
}

/** btf_resolve_valid: the final sanity check of what a resolve recorded. */
function resolveValid(e: BtfEnv, t: number, id: number): boolean {
  if (!isResolved(e, id)) return false;
  const rid = e.resolvedIds[id]!, rsize = e.resolvedSizes[id]!;
  if (e.isStruct(t) || e.is(t, K.Datasec)) return !rid && !rsize;
  if (e.is(t, K.DeclTag) || e.is(t, K.Func)) return !!rid && !rsize;
  if (e.isModifier(t) || e.is(t, K.Ptr) || e.is(t, K.Var)) {
    const r = e.byId(rid);
    return r !== NULL && !e.isModifier(r) && !e.is(r, K.Var) && !e.is(r, K.Datasec);
  }
  if (e.is(t, K.Array)) {
    const elem = e.idSize(e.extra(t, 0));
    return !!elem && !e.isModifier(elem.t) && Math.imul(e.extra(t, 2), elem.size) >>> 0 === rsize;
  }
  return false;
}

/** Each kind's resolve op. */
function resolveVertex(e: BtfEnv, v: Vertex): number {
  const t = v.t;
  switch (e.kind(t)) {
    case K.Typedef: case K.Volatile: case K.Const: case K.Restrict: case K.TypeTag: case K.Ptr: case K.Var:
      return refResolve(e, v);
    case K.Array: return arrayResolve(e, v);
    case K.Struct: case K.Union: return structResolve(e, v);
    case K.Func: return funcCheck(e, t) || popResolved(e, e.st(t), 0);
    case K.Datasec: return datasecResolve(e, v);
    case K.DeclTag: return declTagResolve(e, v);
    default: e.logBasic(t, 'Unsupported resolve'); return -EINVAL;
  }
}

/** btf_modifier_resolve, btf_ptr_resolve and btf_var_resolve. */
function refResolve(e: BtfEnv, v: Vertex): number {
  const t = v.t, isVar = e.is(t, K.Var);
  let nextId = e.st(t), next = e.byId(nextId);
  if (next === NULL || e.sourceOnly(next)) return e.refuse(t, 'Invalid type_id');
  if (!isSink(e, next) && !isResolved(e, nextId)) return push(e, next, nextId);
  // PTR and VAR: a modifier resolved (during RESOLVE_STRUCT_OR_ARRAY) to a ptr that is not resolved yet
  // must be resolved before, so that it cannot refer back to this type.
  if (!e.isModifier(t) && e.isModifier(next)) {
    const rid = e.resolvedIds[nextId]!, r = e.byId(rid);
    if (e.is(r, K.Ptr) && !isSink(e, r) && !isResolved(e, rid)) return push(e, r, rid);
  }
  const sized = e.idSize(nextId);
  if (sized) nextId = sized.id;
  else {
    // VAR: no forward type or anything else without a size. Modifiers and PTR: void, fwd, func_proto are fine.
    if (isVar) return e.refuse(t, 'Invalid type_id');
    if (isResolved(e, nextId)) next = e.byId(nextId = e.resolvedIds[nextId]!);
    if (next !== VOID && !e.is(next, K.Fwd) && !e.is(next, K.FuncProto)) return e.refuse(t, 'Invalid type_id');
  }
  return popResolved(e, nextId, 0);
}

/** btf_array_resolve */
function arrayResolve(e: BtfEnv, v: Vertex): number {
  const t = v.t, nelems = e.extra(t, 2);
  const indexId = e.extra(t, 1), index = e.byId(indexId);
  if (e.nosizeOrNull(index) || e.sourceOnly(index)) return e.refuse(t, 'Invalid index');
  if (!isSink(e, index) && !isResolved(e, indexId)) return push(e, index, indexId);
  const idx = e.idSize(indexId);
  if (!idx || !e.is(idx.t, K.Int) || !e.intIsRegular(idx.t)) return e.refuse(t, 'Invalid index');
  const elemId = e.extra(t, 0), elemT = e.byId(elemId);
  if (e.nosizeOrNull(elemT) || e.sourceOnly(elemT)) return e.refuse(t, 'Invalid elem');
  if (!isSink(e, elemT) && !isResolved(e, elemId)) return push(e, elemT, elemId);
  const elem = e.idSize(elemId);
  if (!elem) return e.refuse(t, 'Invalid elem');
  if (e.is(elem.t, K.Int) && !e.intIsRegular(elem.t)) return e.refuse(t, 'Invalid array of int');
  if (nelems && elem.size > Math.floor(0xffffffff / nelems)) return e.refuse(t, 'Array size overflows U32_MAX');
  return popResolved(e, elem.id, elem.size * nelems);
}

/** btf_struct_resolve: each member resolved, then checked by its type's check_member (or check_kflag_member). */
function structResolve(e: BtfEnv, v: Vertex): number {
  const t = v.t;
  if (v.next) {
    const last = e.member(t, v.next - 1);
    if (!isResolved(e, last.type)) return -EINVAL; // WARN_ON_ONCE in the kernel: cannot happen
    const err = checkMember(e, t, last, e.byId(last.type), e.kflag(t));
    if (err) return err;
  }
  for (let i = v.next; i < e.vlen(t); i++) {
    const m = e.member(t, i), mt = e.byId(m.type);
    if (e.nosizeOrNull(mt) || e.sourceOnly(mt)) return e.logMember(t, m, 'Invalid member'), -EINVAL;
    if (!isSink(e, mt) && !isResolved(e, m.type)) {
      v.next = i + 1;
      return push(e, mt, m.type);
    }
    const err = checkMember(e, t, m, mt, e.kflag(t));
    if (err) return err;
  }
  return popResolved(e, 0, 0);
}

/** Each kind's check_member (kflag: check_kflag_member) for member `m` of struct `st` of type `mt`. */
function checkMember(e: BtfEnv, st: number, m: Member, mt: number, kflag: boolean): number {
  const bad = (msg: string): number => (e.logMember(st, m, msg), -EINVAL);
  const size = e.st(st);
  const bitOff = kflag ? m.offset & 0xffffff : m.offset, bitfield = kflag ? m.offset >>> 24 : 0;
  const roundUp = (bits: number): number => (bits >>> 3) + (bits & 7 ? 1 : 0);
  const kind = e.kind(mt);
  if (e.isModifier(mt)) { // btf_modifier_check_member, btf_modifier_check_kflag_member
    const r = e.idSize(m.type);
    if (!r) return bad('Invalid member');
    return checkMember(e, st, { ...m, type: r.id }, r.t, kflag);
  }
  if (kind === K.Int) {
    const d = e.extra(mt, 0), intOff = (d >>> 16) & 0xff, intBits = d & 0xff;
    let nrBits: number, off: number;
    if (!kflag) { // btf_int_check_member
      if (0xffffffff - m.offset < intOff) return bad('bits_offset exceeds U32_MAX');
      off = m.offset + intOff;
      nrBits = intBits;
    } else { // btf_int_check_kflag_member
      if (!e.intIsRegular(mt)) return bad('Invalid member base type');
      off = bitOff;
      nrBits = bitfield;
      if (!nrBits) {
        if (off & 7) return bad('Invalid member offset');
        nrBits = intBits;
      } else if (nrBits > intBits) return bad('Invalid member bitfield_size');
    }
    const copyBits = nrBits + (off & 7), at = off >>> 3;
    if (copyBits > 128) return bad('nr_copy_bits exceeds 128');
    if (size < at || size - at < roundUp(copyBits)) return bad('Member exceeds struct_size');
    return 0;
  }
  if ((kind === K.Enum || kind === K.Enum64) && kflag) { // btf_enum_check_kflag_member
    let nrBits = bitfield;
    if (!nrBits) {
      if (bitOff & 7) return bad('Member is not byte aligned');
      nrBits = 32;
    } else if (nrBits > 32) return bad('Invalid member bitfield_size');
    if (size < roundUp(bitOff + nrBits)) return bad('Member exceeds struct_size');
    return 0;
  }
  const known = kind === K.Ptr || kind === K.Array || kind === K.Struct || kind === K.Union || kind === K.Float
    || kind === K.Enum || kind === K.Enum64;
  if (!known) { e.logBasic(st, kflag ? 'Unsupported check_kflag_member' : 'Unsupported check_member'); return -EINVAL; }
  if (kflag && bitfield) return bad('Invalid member bitfield_size'); // btf_generic_check_kflag_member
  // The rest is each kind's check_member with m.offset a plain bit offset.
  if (kind === K.Float) { // btf_float_check_member
    const align = Math.min(8, e.st(mt)) * 8;
    if (m.offset % align) return bad('Member is not properly aligned');
    if (Math.floor(m.offset / 8) + e.st(mt) > size) return bad('Member exceeds struct_size');
    return 0;
  }
  if (m.offset & 7) return bad('Member is not byte aligned');
  const need = kind === K.Ptr ? 8 : kind === K.Array ? e.idSize(m.type)!.size : e.st(mt);
  if (((size - (m.offset >>> 3)) >>> 0) < need) return bad('Member exceeds struct_size');
  return 0;
}

/** btf_func_check: a FUNC's type is a FUNC_PROTO whose typed arguments are named. */
function funcCheck(e: BtfEnv, t: number): number {
  const proto = e.byId(e.st(t));
  if (!e.is(proto, K.FuncProto)) return e.refuse(t, 'Invalid type_id');
  for (let i = 0; i < e.vlen(proto); i++) {
    if (!e.extra(proto, 2 * i) && e.extra(proto, 2 * i + 1)) return e.refuse(t, `Invalid arg#${i + 1}`);
  }
  return 0;
}

/** btf_datasec_resolve */
function datasecResolve(e: BtfEnv, v: Vertex): number {
  const t = v.t;
  e.mode = Mode.Tbd;
  for (let i = v.next; i < e.vlen(t); i++) {
    const varId = e.extra(t, 3 * i), varT = e.byId(varId);
    if (!e.is(varT, K.Var)) return e.logVsi(t, i, 'Not a VAR kind member'), -EINVAL;
    if (!isSink(e, varT) && !isResolved(e, varId)) {
      v.next = i + 1;
      return push(e, varT, varId);
    }
    const sized = e.idSize(e.st(varT));
    if (!sized) return e.logVsi(t, i, 'Invalid type'), -EINVAL;
    if (e.extra(t, 3 * i + 2) < sized.size) return e.logVsi(t, i, 'Invalid size'), -EINVAL;
  }
  return popResolved(e, 0, 0);
}

/** btf_decl_tag_resolve: the target is a FUNC, STRUCT/UNION, VAR or TYPEDEF, and component_idx one of its members/args. */
function declTagResolve(e: BtfEnv, v: Vertex): number {
  const t = v.t, nextId = e.st(t);
  let next = e.byId(nextId);
  if (!(e.is(next, K.Func) || e.isStruct(next) || e.is(next, K.Var) || e.is(next, K.Typedef))) return e.refuse(t, 'Invalid type_id');
  if (!isSink(e, next) && !isResolved(e, nextId)) return push(e, next, nextId);
  const idx = e.extra(t, 0);
  if (idx !== 0xffffffff) {
    if (e.is(next, K.Var) || e.is(next, K.Typedef)) return e.refuse(t, 'Invalid component_idx');
    if (!e.isStruct(next)) next = e.byId(e.st(next));
    if (idx >= e.vlen(next)) return e.refuse(t, 'Invalid component_idx');
  }
  return popResolved(e, nextId, 0);
}

/** btf_func_proto_check: the return type and every argument resolve to a type with a size. */
function funcProtoCheck(e: BtfEnv, t: number): number {
  const checkType = (id: number, msg: string, named = 0): number => {
    const at = e.byId(id);
    if (at === NULL || e.sourceOnly(at)) return e.refuse(t, msg);
    if (named && (!e.nameOffsetValid(named) || !e.validIdentifier(named))) return e.refuse(t, msg);
    if (e.needsResolve(at) && !isResolved(e, id)) {
      const err = resolve(e, at, id);
      if (err) return err;
    }
    return e.idSize(id) ? 0 : e.refuse(t, msg);
  };
  if (e.st(t)) {
    const err = checkType(e.st(t), 'Invalid return type');
    if (err) return err;
  }
  let n = e.vlen(t);
  if (!n) return 0;
  if (!e.extra(t, 2 * (n - 1) + 1)) { // a last argument of type 0 is the vararg
    if (e.extra(t, 2 * (n - 1))) return e.refuse(t, `Invalid arg#${n}`);
    n--;
  }
  for (let i = 0; i < n; i++) {
    const err = checkType(e.extra(t, 2 * i + 1), `Invalid arg#${i + 1}`, e.extra(t, 2 * i));
    if (err) return err;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------

/** btf_check_type_tags: in a chain of modifiers, type tags come first; at most 32 links. */
function checkTypeTags(e: BtfEnv): number {
  let good = 0;
  for (let i = 1; i < e.types.length; i++) {
    let t = e.byId(i);
    if (!e.isModifier(t)) continue;
    let chain = 32, cur = i, inTags = e.is(t, K.TypeTag);
    while (e.isModifier(t)) {
      if (chain-- === 0) return e.fail('Max chain length or cycle detected', ELOOP);
      if (e.is(t, K.TypeTag)) {
        if (!inTags) return e.fail("Type tags don't precede modifiers", EINVAL);
      } else inTags = false;
      if (cur <= good) break;
      cur = e.st(t);
      t = e.byId(cur);
      if (t === NULL) return -EINVAL;
    }
    good = i;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// btf_parse_struct_metas: every struct with a member of a special type (bpf_spin_lock, bpf_list_head, ...,
// or a kptr) gets its fields parsed (btf_parse_fields); a failure refuses the BTF with nothing logged.

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
 * btf_get_field_type's names, in its order; a `unique` type may appear once per struct (E2BIG), bpf_refcount
 * only where btfStructMetasStrict.
 */
const FIELD_NAMES: [number, string, boolean][] = [
  [F.SpinLock, 'bpf_spin_lock', true], [F.ResSpinLock, 'bpf_res_spin_lock', true], [F.ListHead, 'bpf_list_head', false],
  [F.ListNode, 'bpf_list_node', false], [F.RbRoot, 'bpf_rb_root', false], [F.RbNode, 'bpf_rb_node', false],
  [F.Refcount, 'bpf_refcount', false],
];
/** BTF_FIELD_IGNORE (a found field is returned as its FieldInfo) */
const IGNORE = 0;

/**
 * Structs of vmlinux that btf_parse_kptr finds by name (bpf_find_btf_id), true for those with a destructor
 * kfunc registered (register_btf_id_dtor_kfuncs: kernel/bpf/helpers.c, cpumask.c, crypto.c), which alone may
 * be referenced kptrs. Measured on 6.18: `kptr` to sk_buff, node or bpf_list_node is ENOENT, to task_struct,
 * cgroup, bpf_cpumask or bpf_crypto_ctx accepted, and `kptr_untrusted`/`percpu_kptr` to any of them accepted.
 */
const KERNEL_STRUCTS = new Map<string, boolean>([
  ...['task_struct', 'cgroup', 'bpf_cpumask', 'bpf_crypto_ctx'].map((n): [string, boolean] => [n, true]),
  ...['bpf_spin_lock', 'bpf_res_spin_lock', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount',
    'bpf_timer', 'bpf_wq', 'bpf_task_work', 'bpf_dynptr', 'sk_buff', 'sock', 'file', 'inode', 'mm_struct', 'cpumask', 'net_device',
    'node'].map((n): [string, boolean] => [n, false]),
]);

interface FieldInfo { type: number; off: number; kptrId?: number; kernel?: boolean; valueId?: number; nodeName?: string }
interface Meta { id: number; fields: FieldInfo[]; mask: number }

class StructMetas {
  readonly infos: FieldInfo[] = [];
  readonly strict: boolean;
  constructor(readonly e: BtfEnv) {
    this.strict = btfStructMetasStrict(e.version);
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
    return this.strict ? this.checkOwnershipDepth(tab) : this.checkOwnership(tab);
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
        const dtor = KERNEL_STRUCTS.get(this.nameOf(this.e.byId(f.kptrId!)));
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
   * Where btfStructMetasStrict: btf_check_and_fixup_fields (a graph root's value struct has a record), then
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

function parseStructMetas(e: BtfEnv): number {
  return new StructMetas(e).parse();
}

