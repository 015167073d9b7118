// The verifier state as the log prints it (kernel/bpf/log.c print_verifier_state, print_reg_state):
// ` R1=ctx() R10=fp0 fp-8=mmmmmmmm`, one frame.
import { formatScalar } from '../scalar-format.js';
import { scalarConst } from '../scalar.js';
import { baseType, RegType, type RegState } from '../reg-state.js';
import { regTypeStr } from './regs.js';
import { BPF_ADD_CONST } from './alu.js';
import { REG_SIZE, SlotType, type FuncState } from './state.js';

/** What the log needs to name a map pointer's map. */
export interface MapNames {
  mapAt(index: number): { name: string; keySize: number; valueSize: number } | undefined;
}

/** slot_type_char, by enum bpf_stack_slot_type. */
const slotChar: Record<number, string> = {
  [SlotType.Invalid]: '?', [SlotType.Spill]: 'r', [SlotType.Misc]: 'm', [SlotType.Zero]: '0', [SlotType.Dynptr]: 'd',
  [SlotType.Iter]: 'i', [SlotType.IrqFlag]: 'f',
};

/** verbose_snum. */
const snum = (v: bigint | number): string => formatScalar(scalarConst(BigInt(v)));

/** print_reg_state. */
export function formatReg(frame: FuncState, r: RegState, maps: MapNames): string {
  const v = r.value;
  const konst = v.varOff.mask === 0n;
  if (r.type === RegType.Scalar) {
    const p = r.precise ? 'P' : '';
    if (konst) return p + snum(v.varOff.value);
    const fields = [...(r.id ? [`id=${r.id & ~BPF_ADD_CONST}${(r.id & BPF_ADD_CONST) ? (r.off < 0 ? `${r.off}` : `+${r.off}`) : ''}`] : [])];
    return formatScalar(v, { fields, precise: r.precise });
  }
  let out = regTypeStr(r.type);
  if (r.type === RegType.Arena) return out;
  if (r.type === RegType.Stack) {
    if (frame.frameno !== r.frameno) out += `[${r.frameno}]`;
    if (konst) return out + snum(BigInt.asIntN(64, v.varOff.value) + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  const base = baseType(r.type);
  if (base === RegType.ConstMapPtr || base === RegType.MapValue || base === RegType.MapKey) {
    const m = maps.mapAt(r.map);
    if (m) {
      if (m.name) parts.push(`map=${m.name}`);
      parts.push(`ks=${m.keySize},vs=${m.valueSize}`);
    }
  }
  if (r.off) parts.push(`off=${snum(r.off)}`);
  if (r.type === RegType.Packet || r.type === RegType.PacketMeta || r.type === RegType.PacketEnd) parts.push(`r=${r.range < 0 ? `0x${BigInt.asUintN(64, BigInt(r.range)).toString(16)}` : r.range}`);
  if (base === RegType.Mem) parts.push(`sz=${r.range}`);
  if (konst) {
    if (v.varOff.value) parts.push(`imm=${snum(v.varOff.value)}`);
  } else {
    const scalar = formatScalar(v);
    parts.push(scalar.slice('scalar('.length, -1));
  }
  return `${out}(${parts.join(',')})`;
}

/** print_verifier_state(print_all) of one frame, with its leading space. */
export function formatFrame(frame: FuncState, maps: MapNames): string {
  let out = frame.frameno ? ` frame${frame.frameno}:` : '';
  frame.regs.forEach((r, i) => {
    if (r.type !== RegType.NotInit) out += ` R${i}=${formatReg(frame, r, maps)}`;
  });
  frame.stack.forEach((slot, i) => {
    if (!slot || slot.types.every((t) => t === SlotType.Invalid)) return;
    let types = slot.types.map((t) => slotChar[t] ?? '?').join('');
    const at = ` fp${(-i - 1) * REG_SIZE}`;
    if (slot.types[REG_SIZE - 1] === SlotType.Spill) {
      types = types.slice(0, slot.types.indexOf(SlotType.Spill));
      out += `${at}=${types}${formatReg(frame, slot.spilled, maps)}`;
    } else {
      out += `${at}=${types}`;
    }
  });
  return out;
}
