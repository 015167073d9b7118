// The emulator's maps by id and its virtual bpffs: what kernel/bpf/syscall.c's IDR and bpffs are to the
// kernel. One thread owns them (the thread that made the Emulator); an Emulator joined from another thread
// (Emulator.join, e.g. in a worker_thread of the user's) reaches them through a MessagePort, synchronously:
// it posts a request, sleeps on a shared word until the owner answers from its event loop, and takes the
// answer off the port. Maps themselves are shared memory: a map made on either side is attached on the
// other over the same SharedArrayBuffers, with the same locks (maps/shared.ts).
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { ENOENT } from '../uapi/errno.js';
import { VirtualBpffs } from './bpffs.js';
import { EmulatedMap } from './map-handle.js';
import { ProgArrayTable } from './maps/prog-array.js';
import { MapInMapTable } from './maps/map-in-map.js';
import { attachMap, shareMap, type SharedMap } from './maps/program-map.js';
import { sharedInt32 } from './maps/shared.js';

/** What an Emulator asks of its maps' registry (its own, or its owner's through a port). */
export interface MapRegistry {
  /** Registers a new map under a new id, holding one reference (its creator's handle): the id. */
  add(make: (id: number) => EmulatedMap): EmulatedMap;
  /** BPF_MAP_GET_FD_BY_ID: the map with one more reference, or -errno. */
  take(id: number): EmulatedMap | number;
  /** BPF_OBJ_GET: the pinned map with one more reference, or -errno. */
  takePinned(path: string): EmulatedMap | number;
  /** BPF_OBJ_PIN: the pin holds a reference. */
  pin(map: EmulatedMap, path: string): number;
  unpin(path: string): number;
  mkdir(path: string): number;
  mount(path: string): number;
  /** Whether `path`'s directory is on a bpf filesystem of the virtual bpffs. */
  onBpffs(path: string): boolean;
  /** A handle (or pin) let go of the map: the map goes when nothing refers to it. */
  release(map: EmulatedMap): void;
  /** The next BTF object id (BPF_BTF_LOAD). */
  nextBtfId(): number;
}

/** The owner's registry: ids, references, pins. */
export class LocalRegistry implements MapRegistry {
  readonly #maps = new Map<number, EmulatedMap>();
  readonly #bpffs = new VirtualBpffs<EmulatedMap>();
  #nextId = 1;
  #nextBtfId = 1;

  add(make: (id: number) => EmulatedMap): EmulatedMap {
    const map = make(this.#nextId++);
    map.refs = 1;
    this.#maps.set(map.info.id, map);
    return map;
  }

  take(id: number): EmulatedMap | number {
    const map = this.#maps.get(id);
    if (!map) return ENOENT;
    map.refs++;
    return map;
  }

  takePinned(path: string): EmulatedMap | number {
    const map = this.#bpffs.get(path);
    if (typeof map !== 'number') map.refs++;
    return map;
  }

  pin(map: EmulatedMap, path: string): number {
    const rc = this.#bpffs.pin(path, map);
    if (rc === 0) map.refs++;
    return rc;
  }

  unpin(path: string): number {
    const map = this.#bpffs.unpin(path);
    if (typeof map === 'number') return map;
    this.release(map);
    return 0;
  }

  mkdir(path: string): number {
    return this.#bpffs.mkdir(path);
  }

  mount(path: string): number {
    return this.#bpffs.mount(path);
  }

  onBpffs(path: string): boolean {
    return this.#bpffs.onBpffs(path);
  }

  release(map: EmulatedMap): void {
    if (--map.refs !== 0) return;
    this.#maps.delete(map.info.id);
    // kernel/bpf/arraymap.c prog_array_map_clear (map_release_uref): with the last user reference gone, a
    // prog array lets go of its programs (the programs that tail-call through it still hold the map).
    if (map.table instanceof ProgArrayTable) map.table.clear();
    // A map-in-map's inner maps are put when it is freed (array_of_map_free / htab_of_map_free): in the
    // emulator, with its last reference (programs that use it keep its table, not its inner maps).
    if (map.table instanceof MapInMapTable) map.table.clear();
  }

  nextBtfId(): number {
    return this.#nextBtfId++;
  }
}

/** A map as it crosses threads: its memory, and what the syscall layer keeps beside it. */
interface MapTransfer {
  shared: SharedMap;
  spinLock: boolean;
  frozen: Int32Array;
}

const transferOf = (map: EmulatedMap): MapTransfer => ({ shared: shareMap(map), spinLock: map.spinLock, frozen: map.frozenCell });
const mapOf = (t: MapTransfer): EmulatedMap => {
  const attached = attachMap(t.shared);
  return new EmulatedMap(attached.info, attached.table, t.spinLock, t.frozen);
};

type Request =
  | { op: 'add'; map: MapTransfer }
  | { op: 'take'; id: number }
  | { op: 'take-pinned'; path: string }
  | { op: 'pin'; id: number; path: string }
  | { op: 'unpin' | 'mkdir' | 'mount' | 'on-bpffs'; path: string }
  | { op: 'btf-id' }
  | { op: 'release'; id: number };

type Reply = { errno: number } | { id: number } | { map: MapTransfer };

/**
 * What a joined Emulator is given (`emulator.share()`): the port to the owner's registry, the word it sleeps
 * on, and the owner's settings. Post it to the worker with its port in the transfer list.
 */
export interface RegistryLink {
  port: MessagePort;
  /** [0] becomes 1 when the owner has answered the pending request. */
  answered: Int32Array;
}

/** The owner answers a joined Emulator's requests on `port`, from its event loop (the port does not keep it alive). */
export function serveRegistry(registry: LocalRegistry, port: MessagePort, answered: Int32Array): void {
  const known = new Map<number, EmulatedMap>();
  const keep = (map: EmulatedMap): EmulatedMap => {
    known.set(map.info.id, map);
    return map;
  };
  const answer = (reply: Reply): void => {
    port.postMessage(reply);
    Atomics.store(answered, 0, 1);
    Atomics.notify(answered, 0);
  };
  port.on('message', (r: Request) => {
    switch (r.op) {
      case 'add': {
        const map = registry.add((id) => {
          const m = mapOf(r.map);
          m.info.id = id;
          return m;
        });
        keep(map);
        return answer({ id: map.info.id });
      }
      case 'take': case 'take-pinned': {
        const map = r.op === 'take' ? registry.take(r.id) : registry.takePinned(r.path);
        return answer(typeof map === 'number' ? { errno: map } : { map: transferOf(keep(map)) });
      }
      case 'pin': {
        const map = known.get(r.id);
        return answer({ errno: map ? registry.pin(map, r.path) : ENOENT });
      }
      case 'unpin': return answer({ errno: registry.unpin(r.path) });
      case 'mkdir': return answer({ errno: registry.mkdir(r.path) });
      case 'mount': return answer({ errno: registry.mount(r.path) });
      case 'on-bpffs': return answer({ id: registry.onBpffs(r.path) ? 1 : 0 });
      case 'btf-id': return answer({ id: registry.nextBtfId() });
      case 'release': {
        // Not answered: the joined side does not wait for it. Its handle's reference goes.
        const map = known.get(r.id);
        if (!map) return undefined;
        registry.release(map);
        if (map.refs === 0) known.delete(r.id);
        return undefined;
      }
    }
  });
  port.unref();
}

/** How long a joined Emulator waits for its owner's thread to answer before it gives up. */
const ANSWER_TIMEOUT_MS = 30_000;

/** A joined Emulator's registry: every request answered by the owner's thread. */
export class RemoteRegistry implements MapRegistry {
  readonly #port: MessagePort;
  readonly #answered: Int32Array;

  constructor(link: RegistryLink) {
    this.#port = link.port;
    this.#answered = link.answered;
  }

  #ask(request: Request): Reply {
    Atomics.store(this.#answered, 0, 0);
    this.#port.postMessage(request);
    if (Atomics.wait(this.#answered, 0, 0, ANSWER_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`the thread that made this Emulator did not answer ${request.op} in ${ANSWER_TIMEOUT_MS / 1000} s: it answers joined threads from its event loop, so it must not block while they use maps`);
    }
    const reply = receiveMessageOnPort(this.#port);
    if (!reply) throw new Error(`the emulator's owner answered ${request.op} without a message`);
    return reply.message as Reply;
  }

  #map(reply: Reply): EmulatedMap | number {
    if ('errno' in reply) return reply.errno;
    if (!('map' in reply)) throw new Error('the emulator\'s owner answered with no map');
    return mapOf(reply.map);
  }

  add(make: (id: number) => EmulatedMap): EmulatedMap {
    const probe = make(0);
    const reply = this.#ask({ op: 'add', map: transferOf(probe) });
    if (!('id' in reply)) throw new Error('the emulator\'s owner did not register the map');
    probe.info.id = reply.id;
    probe.refs = 1;
    return probe;
  }

  take(id: number): EmulatedMap | number {
    return this.#map(this.#ask({ op: 'take', id }));
  }

  takePinned(path: string): EmulatedMap | number {
    return this.#map(this.#ask({ op: 'take-pinned', path }));
  }

  pin(map: EmulatedMap, path: string): number {
    return (this.#ask({ op: 'pin', id: map.info.id, path }) as { errno: number }).errno;
  }

  unpin(path: string): number {
    return (this.#ask({ op: 'unpin', path }) as { errno: number }).errno;
  }

  mkdir(path: string): number {
    return (this.#ask({ op: 'mkdir', path }) as { errno: number }).errno;
  }

  mount(path: string): number {
    return (this.#ask({ op: 'mount', path }) as { errno: number }).errno;
  }

  onBpffs(path: string): boolean {
    return (this.#ask({ op: 'on-bpffs', path }) as { id: number }).id === 1;
  }

  release(map: EmulatedMap): void {
    this.#port.postMessage({ op: 'release', id: map.info.id } satisfies Request);
  }

  nextBtfId(): number {
    return (this.#ask({ op: 'btf-id' }) as { id: number }).id;
  }
}

/** A shared word for RegistryLink.answered. */
export function answeredWord(): Int32Array {
  return sharedInt32(1);
}
