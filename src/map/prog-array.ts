// PROG_ARRAY maps (kernel/bpf/arraymap.c prog_array_map_ops): slots of programs that bpf_tail_call jumps to.
// Userspace puts a program in a slot (BPF_MAP_UPDATE_ELEM with its fd on the kernel, its id on the emulator)
// and reads back the program's id; a slot is emptied by delete, and every slot when the last handle on the
// map (its last user reference: fds, pins, the object's own) is closed.
import type { Engine, MapHandle, MapScratch, ProgramHandle } from '../seam/engine.js';
import { ENOENT } from '../uapi/errno.js';
import { checkU32, describeValue } from '../errors/errors.js';
import { BpfMapBase } from './base.js';

/** What a slot takes: a loaded BpfProgram (objects sit above maps, so it is named by its shape here). */
export interface SlotProgram {
  readonly name: string;
  readonly closed: boolean;
  readonly engine: Engine;
  readonly handle: ProgramHandle;
}

export class ProgramArrayMap extends BpfMapBase {
  readonly #scratch: MapScratch;
  readonly #key: DataView;
  readonly #value: DataView;

  /** Use createMap({ type: 'prog_array' }) or BpfObject.map(name, { type: 'prog_array' }). */
  constructor(handle: MapHandle, engine: Engine) {
    super(handle, engine);
    this.#scratch = handle.openScratch();
    this.#key = new DataView(this.#scratch.key.buffer, this.#scratch.key.byteOffset, 4);
    this.#value = new DataView(this.#scratch.value.buffer, this.#scratch.value.byteOffset, 4);
  }

  /**
   * Puts `program` in slot `index` (BPF_ANY), replacing what was there. The kernel refuses a program of another
   * type or expected attach type than the array's first (EINVAL), and an index past max_entries (E2BIG).
   */
  set(index: number, program: SlotProgram): void {
    this.checkOpen('BPF_MAP_UPDATE_ELEM');
    this.#index('set', index);
    if (program === null || typeof program !== 'object' || typeof program.handle?.progArrayValue !== 'function') {
      throw new TypeError(`${this.where('set')}: program must be a BpfProgram, got ${describeValue(program)}`);
    }
    if (program.closed) throw new TypeError(`${this.where('set')}: program '${program.name}' is closed`);
    if (program.engine !== this.engine) {
      throw new TypeError(`${this.where('set')}: program '${program.name}' was loaded on the ${program.engine.kind} engine, the map is on the ${this.engine.kind}`);
    }
    this.#value.setUint32(0, program.handle.progArrayValue() >>> 0, true);
    const rc = this.#scratch.update(0);
    if (rc !== 0) throw this.error('BPF_MAP_UPDATE_ELEM', rc);
  }

  /** The id of the program in slot `index` (BpfProgram.id), or undefined for an empty slot. */
  get(index: number): number | undefined {
    this.checkOpen('BPF_MAP_LOOKUP_ELEM');
    this.#index('get', index);
    const rc = this.#scratch.lookup(0);
    if (rc === 0) return this.#value.getUint32(0, true);
    if (rc === ENOENT) return undefined;
    throw this.error('BPF_MAP_LOOKUP_ELEM', rc);
  }

  /** Empties slot `index`: true if it held a program, false if it was empty. E2BIG past max_entries. */
  delete(index: number): boolean {
    this.checkOpen('BPF_MAP_DELETE_ELEM');
    this.#index('delete', index);
    return this.deleted(this.#scratch.delete());
  }

  /** The occupied slots and their programs' ids, by index. */
  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.info.maxEntries; i++) {
      const id = this.get(i);
      if (id !== undefined) yield [i, id];
    }
  }

  /** The index as the u32 key, read once; the kernel judges its range. */
  #index(op: string, index: unknown): void {
    this.#key.setUint32(0, checkU32(this.where(op), 'index', index), true);
  }
}
