// BPF_BTF_LOAD's verdict, as kernel/bpf/btf.c btf_parse() gives it, in its order: the header
// (btf_parse_hdr), the string section (btf_parse_str_sec), the layout section on 7.x (btf_parse_layout_sec),
// every record's own checks (btf_check_all_metas; these in btf-load-env.ts), the resolution of every
// reference (btf_check_all_types: btf_resolve and each kind's resolve and check_member,
// btf_func_proto_check; here), type tags (btf_check_type_tags), then the special fields of structs
// (btf_parse_struct_metas, btf-load-fields.ts). The first refusal the kernel reports is the one reported
// here, with its errno and the last line the kernel writes to a level-1 log.
//
// libbpf (1.1, Debian's) loads an object's BTF this way before its maps and programs; when the kernel
// refuses it, libbpf warns "BTF is optional, ignoring" and goes on without BTF.
import { BtfKind as K, MAX_RESOLVE_DEPTH } from '../btf/decode.js';
import { errnoByCode } from '../uapi/errno.js';
import { BtfEnv, Mode, NULL, VOID, type Member, type Vertex } from './btf-load-env.js';
import { builtinKernelStructs, parseStructMetas, type KernelStructs } from './btf-load-fields.js';

export type { KernelStructs } from './btf-load-fields.js';
import { btfStructMetas, btfTypeTagsAnywhere, parseKernelVersion } from './kernel-version.js';

const { EINVAL, E2BIG, ELOOP, EEXIST } = errnoByCode;

/** kernel/bpf/btf.c BTF_MAX_SIZE: btf_parse refuses more before reading anything (E2BIG, nothing logged). */
const BTF_MAX_SIZE = 16 * 1024 * 1024;

/**
 * What kernel/bpf/btf.c btf_parse() (BPF_BTF_LOAD) answers for these bytes on `version` ('6.18' form):
 * undefined when it accepts them, else the errno (positive, e.g. EINVAL) and the verifier-log line the
 * kernel writes last (the reason; '' when it writes none), UTF-8 decoded and trimmed. `kernelStructs` says
 * which structs the kernel's own BTF has (only kptrs to them depend on it); by default a few well-known ones.
 */
export function btfLoadRefusal(
  data: Uint8Array, version: string, kernelStructs: KernelStructs = builtinKernelStructs(version),
): { errno: number; reason: string } | undefined {
  parseKernelVersion(version);
  if (data.length > BTF_MAX_SIZE) return { errno: E2BIG, reason: '' };
  const e = new BtfEnv(data, version);
  const err = e.parseHdr() || e.parseStrSec() || e.parseLayoutSec() || e.checkAllMetas() || checkAllTypes(e) || checkTypeTags(e)
    || (btfStructMetas(version) ? parseStructMetas(e, kernelStructs) : 0);
  return err === 0 ? undefined : { errno: -err, reason: e.log.text };
}

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

/**
 * btf_check_type_tags: in a chain of modifiers, type tags come first; at most 32 links. On 7.x
 * (btfTypeTagsAnywhere) btf_check_modifier_chain_length keeps only the length.
 */
function checkTypeTags(e: BtfEnv): number {
  const ordered = !btfTypeTagsAnywhere(e.version);
  let good = 0;
  for (let i = 1; i < e.types.length; i++) {
    let t = e.byId(i);
    if (!e.isModifier(t)) continue;
    let chain = 32, cur = i, inTags = e.is(t, K.TypeTag);
    while (e.isModifier(t)) {
      if (chain-- === 0) return e.fail('Max chain length or cycle detected', ELOOP);
      if (!ordered) { /* the length only */ } else if (e.is(t, K.TypeTag)) {
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
