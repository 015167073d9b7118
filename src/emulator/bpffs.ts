// The emulator's virtual bpffs: mount points, directories made inside them, and pins. It starts with one bpf
// filesystem mounted at /sys/fs/bpf. Pins live only here, never on the host; a path outside every virtual
// mount is answered from the host's filesystem as the kernel would answer it (EEXIST when it exists, ENOENT
// when its directory does not, EPERM otherwise: not a bpf filesystem). Paths are absolute and normalized.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { EACCES, EEXIST, ENAMETOOLONG, ENOENT, ENOTDIR, EPERM } from '../uapi/errno.js';

// include/uapi/linux/limits.h: PATH_MAX counts the NUL; NAME_MAX is one path component.
const PATH_MAX = 4096;
const NAME_MAX = 255;

type Node = 'dir' | 'pin' | 'none' | 'host-dir' | 'host-file';

/** A bpffs whose pins hold `T`s (the emulator's maps). */
export class VirtualBpffs<T> {
  readonly #mounts = new Set<string>(['/sys/fs/bpf']);
  readonly #dirs = new Set<string>();
  readonly #pins = new Map<string, T>();

  /** mount -t bpf at `dir`: 0 or -errno. */
  mount(dir: string): number {
    const at = this.#lookup(dir);
    if (typeof at === 'number') return at;
    this.#mounts.add(at.path);
    return 0;
  }

  /** Whether `path`'s directory is on one of the virtual bpf filesystems (what a pin there would be on). */
  onBpffs(path: string): boolean {
    const dir = posix.dirname(posix.resolve(process.cwd(), path));
    for (const m of this.#mounts) if (dir === m || dir.startsWith(m === '/' ? '/' : `${m}/`)) return true;
    return false;
  }

  /** mkdir(2) inside a bpffs: 0 or -errno (EEXIST, ENOENT, ENOTDIR, EPERM outside a bpffs). */
  mkdir(path: string): number {
    const at = this.#create(path);
    if (typeof at === 'number') return at;
    this.#dirs.add(at);
    return 0;
  }

  /** BPF_OBJ_PIN (kernel/bpf/inode.c bpf_obj_do_pin): 0 or -errno; the caller takes a reference for the pin. */
  pin(path: string, object: T): number {
    const at = this.#create(path);
    if (typeof at === 'number') return at;
    this.#pins.set(at, object);
    return 0;
  }

  /** unlink(2) of a pin: what it held (the caller drops the pin's reference), or -errno. */
  unpin(path: string): T | number {
    const at = this.#lookup(path);
    if (typeof at === 'number') return at;
    const object = this.#pins.get(at.path);
    if (object === undefined) return ENOENT;
    this.#pins.delete(at.path);
    return object;
  }

  /** BPF_OBJ_GET's path walk (kernel/bpf/inode.c bpf_obj_do_get): the pinned object, or -errno. */
  get(path: string): T | number {
    const at = this.#lookup(path);
    if (typeof at === 'number') return at;
    const node = this.#node(at.path);
    if (node === 'pin') return at.trailingSlash ? ENOTDIR : this.#pins.get(at.path)!;
    // An inode that is not a bpf object (a directory, a host file) is EACCES.
    return node === 'none' ? ENOENT : EACCES;
  }

  /** The checks of user_path_create and then bpf_obj_do_pin's: the absolute path for a new entry, or -errno. */
  #create(path: string): string | number {
    const at = this.#lookup(path);
    if (typeof at === 'number') return at;
    if (at.path === '/' || this.#node(at.path) !== 'none') return EEXIST;
    if (at.trailingSlash) return ENOENT;
    // The parent is a directory (checked by #lookup); it must be on a bpf filesystem.
    return this.#node(posix.dirname(at.path)) === 'dir' ? at.path : EPERM;
  }

  /**
   * Path resolution as far as the last component: ENAMETOOLONG for a path of PATH_MAX bytes or a
   * component over NAME_MAX, ENOENT/ENOTDIR when a directory on the way is missing or is not one.
   * Relative paths start at the process's working directory. ".." is resolved by name.
   */
  #lookup(path: string): { path: string; trailingSlash: boolean } | number {
    if (Buffer.byteLength(path) >= PATH_MAX) return ENAMETOOLONG;
    if (path === '') return ENOENT;
    const abs = posix.resolve(process.cwd(), path);
    const parts = abs.split('/').filter(Boolean);
    for (const part of parts) if (Buffer.byteLength(part) > NAME_MAX) return ENAMETOOLONG;
    let dir = '';
    for (let i = 0; i < parts.length - 1; i++) {
      dir += `/${parts[i]}`;
      const node = this.#node(dir);
      if (node === 'none') return ENOENT;
      if (node === 'pin' || node === 'host-file') return ENOTDIR;
    }
    return { path: abs, trailingSlash: path.length > 1 && path.endsWith('/') };
  }

  /** What an absolute, normalized path names: inside a virtual mount the model answers, outside it the host. */
  #node(path: string): Node {
    if (this.#mounts.has(path) || this.#dirs.has(path)) return 'dir';
    if (this.#pins.has(path)) return 'pin';
    for (const m of this.#mounts) if (path.startsWith(m === '/' ? '/' : `${m}/`)) return 'none';
    // A path some mount lies under (e.g. /sys/fs for /sys/fs/bpf) exists as a directory.
    for (const m of this.#mounts) if (m.startsWith(`${path}/`) || path === '/') return 'host-dir';
    let st;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      st = undefined; // EACCES, ELOOP, ...: treated as absent
    }
    return st === undefined ? 'none' : st.isDirectory() ? 'host-dir' : 'host-file';
  }
}
