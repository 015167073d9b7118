// PROG_ARRAY maps (kernel/bpf/arraymap.c prog_array_map_ops): slots of programs that bpf_tail_call jumps to.
// Userspace puts a program in a slot (BPF_MAP_UPDATE_ELEM with its fd on the kernel, its id on the emulator)
// and reads back the program's id; a slot is emptied by delete, and every slot when the last handle on the
// map (its last user reference: fds, pins, the object's own) is closed.
import type { Engine, MapHandle, ProgramHandle } from '../seam/engine.js';
import { u32 } from '../codec/codec.js';
import { checkU32, describeValue } from '../errors/errors.js';
import { FdMap } from './fd-map.js';

/** What a slot takes: a loaded BpfProgram (objects sit above maps, so it is named by its shape here). */
export interface SlotProgram {
  readonly name: string;
  readonly closed: boolean;
  readonly engine: Engine;
  readonly handle: ProgramHandle;
}

export class ProgramArrayMap extends FdMap<number> {
  /** Use createMap({ type: 'prog_array' }) or BpfObject.map(name, { type: 'prog_array' }). */
  constructor(handle: MapHandle, engine: Engine) {
    super(handle, engine, u32);
  }

  /**
   * Puts `program` in slot `index` (BPF_ANY), replacing what was there. The kernel refuses a program of another
   * type or expected attach type than the array's first (EINVAL), and an index past max_entries (E2BIG).
   */
  set(index: number, program: SlotProgram): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    this.encodeKey('set', index);
    if (program === null || typeof program !== 'object' || typeof program.handle?.progArrayValue !== 'function') {
      throw new TypeError(`${this.where('set')}: program must be a BpfProgram, got ${describeValue(program)}`);
    }
    if (program.closed) throw new TypeError(`${this.where('set')}: program '${program.name}' is closed`);
    if (program.engine !== this.engine) {
      throw new TypeError(`${this.where('set')}: program '${program.name}' was loaded on the ${program.engine.kind} engine, the map is on the ${this.engine.kind}`);
    }
    this.store(program.handle.progArrayValue(), 0);
  }

  /** The index as the u32 key, read once; the kernel judges its range. */
  protected override encodeKey(op: string, index: number): void {
    this.keyView.setUint32(0, checkU32(this.where(op), 'index', index), true);
  }
}
