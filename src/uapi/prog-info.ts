// include/uapi/linux/bpf.h struct bpf_prog_info: the fields bpfkit reads, at their offsets (x86-64, as the
// kernel fills it for BPF_OBJ_GET_INFO_BY_FD).
import { BPF_OBJ_NAME_LEN } from './bpf.js';

/** The bytes of struct bpf_prog_info up to and including btf_id. */
export const PROG_INFO_SIZE = 132;

export interface ProgInfo {
  /** enum bpf_prog_type */
  type: number;
  id: number;
  /** The program's tag: a hash of its instructions, as hex (bpftool's "tag"). */
  tag: string;
  name: string;
  /** Nanoseconds since boot when it was loaded. */
  loadTime: bigint;
  createdByUid: number;
  mapCount: number;
  btfId: number;
}

export function decodeProgInfo(bytes: Uint8Array): ProgInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const name = bytes.subarray(64, 64 + BPF_OBJ_NAME_LEN);
  const end = name.indexOf(0);
  return {
    type: view.getUint32(0, true),
    id: view.getUint32(4, true),
    tag: Buffer.from(bytes.subarray(8, 16)).toString('hex'),
    name: Buffer.from(end < 0 ? name : name.subarray(0, end)).toString('latin1'),
    loadTime: view.getBigUint64(40, true),
    createdByUid: view.getUint32(48, true),
    mapCount: view.getUint32(52, true),
    btfId: view.getUint32(128, true),
  };
}
