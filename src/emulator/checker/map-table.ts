// The maps a program names, looked up once each (by name for objects, by fd_array index for raw
// programs) and numbered in the order the checker first meets them.
import type { CheckedMap, CheckInput } from './types.js';

export class MapTable {
  readonly maps: CheckedMap[] = [];
  readonly #byName = new Map<string, CheckedMap | undefined>();
  readonly #byIndex = new Map<number, CheckedMap | undefined>();

  constructor(readonly input: CheckInput) {}

  named(name: string): CheckedMap | undefined {
    if (!this.#byName.has(name)) this.#byName.set(name, this.input.mapOf({ name }));
    return this.#byName.get(name);
  }

  indexed(index: number): CheckedMap | undefined {
    if (!this.#byIndex.has(index)) this.#byIndex.set(index, this.input.mapOf({ index }));
    return this.#byIndex.get(index);
  }

  /** The map's number in `maps`, adding it on first sight. */
  numberOf(m: CheckedMap | undefined): number | undefined {
    if (!m) return undefined;
    const i = this.maps.indexOf(m);
    return i < 0 ? this.maps.push(m) - 1 : i;
  }
}
