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
    return m === undefined ? undefined : mapNumber(this.maps, m);
  }
}

/** A map's number in a program's maps, added on first sight (also a map-in-map's template, met at a lookup). */
export function mapNumber(maps: CheckedMap[], m: CheckedMap): number {
  const i = maps.indexOf(m);
  return i < 0 ? maps.push(m) - 1 : i;
}
