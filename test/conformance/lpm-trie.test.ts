// LpmTrieMap (LPM_TRIE) on both engines: longest-prefix lookups, exact-prefix updates with their flags, the
// trie's capacity (intermediate nodes do not count), deletes that merge nodes, get_next_key's postorder, and
// every misuse's answer: the kernel's errno as a BpfError (kernel/bpf/lpm_trie.c, syscall.c) or an argument
// error before any syscall. A failed operation leaves the trie as it was.
import { afterEach, expect, test } from 'vitest';
import {
  BpfError, LpmTrieMap, MapFlags, MapType, bytes, createMap, lpmKey, openMap, spinLock, struct, u32, u64, type BpfMapBase, type LpmKey,
} from '../../src/index.js';
import { features } from '../../src/kernel/features.js';
import { DEFAULT_KERNEL_VERSION, lpmNodeHeaderSize } from '../../src/emulator/kernel-version.js';
import { LPM_DATA_SIZE_MAX } from '../../src/uapi/bpf.js';
import { describeEngines } from '../helpers/engines.js';

const errno = (code: string) => expect.objectContaining({ name: 'BpfError', code });
const KMALLOC_MAX_SIZE = 1 << 22;

/** a.b.c.d/len as an LPM key. */
const v4 = (text: string): LpmKey => {
  const [addr, len] = text.split('/');
  return { prefixlen: Number(len ?? 32), data: new Uint8Array(addr!.split('.').map(Number)) };
};
const show = (k: LpmKey): string => `${[...k.data].join('.')}/${k.prefixlen}`;

describeEngines('LPM trie maps', (engine, name) => {
  const open: BpfMapBase[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) m.close();
  });
  const trie = (maxEntries = 16, flags?: number) =>
    ((m) => (open.push(m), m))(createMap({ type: 'lpm_trie', key: lpmKey(4), value: u32, maxEntries, name: 'rules', engine: engine(), ...(flags === undefined ? {} : { flags }) }));
  /** The kernel's version on the kernel engine; the emulator's own (its default). */
  const version = () => (name === 'kernel' ? features.emulatorKernelVersion() : DEFAULT_KERNEL_VERSION);

  test('get is the longest-prefix match; prefixes are stored and listed as given', () => {
    const t = trie();
    expect(t).toBeInstanceOf(LpmTrieMap);
    expect(t.maxPrefixlen).toBe(32);
    t.set(v4('10.0.0.0/8'), 8);
    t.set(v4('10.1.0.0/16'), 16);
    t.set(v4('10.1.2.0/24'), 24);
    expect(t.get(v4('10.1.2.3'))).toBe(24);
    expect(t.get(v4('10.1.3.3'))).toBe(16);
    expect(t.get(v4('10.9.9.9'))).toBe(8);
    expect(t.get(v4('11.0.0.1'))).toBeUndefined();
    // A lookup's own prefixlen bounds the match: 10.1.2.3/16 finds the /16, /7 nothing.
    expect(t.get(v4('10.1.2.3/16'))).toBe(16);
    expect(t.get(v4('10.1.2.3/7'))).toBeUndefined();
    // Past 32 bits: no match (trie_lookup_elem returns NULL), not an error.
    expect(t.get(v4('10.1.2.3/33'))).toBeUndefined();
    // A default route matches everything the others do not.
    t.set(v4('0.0.0.0/0'), 0);
    expect(t.get(v4('11.0.0.1'))).toBe(0);
  });

  test('insert (BPF_NOEXIST) and replace (BPF_EXIST) on exact prefixes; an intermediate node is no element', () => {
    const t = trie();
    t.set(v4('192.168.0.0/24'), 1);
    t.set(v4('192.168.1.0/24'), 2); // makes an intermediate 192.168.0.0/23
    expect(() => t.insert(v4('192.168.0.0/24'), 9)).toThrowError(errno('EEXIST'));
    expect(() => t.replace(v4('192.168.0.0/23'), 9)).toThrowError(errno('ENOENT'));
    expect(() => t.replace(v4('192.168.2.0/24'), 9)).toThrowError(errno('ENOENT'));
    expect(t.get(v4('192.168.0.7'))).toBe(1);
    // The intermediate node becomes an element; the others stay under it.
    t.insert(v4('192.168.0.0/23'), 23);
    t.replace(v4('192.168.1.0/24'), 3);
    expect([t.get(v4('192.168.0.1')), t.get(v4('192.168.1.1')), t.get(v4('192.168.0.1/23'))]).toEqual([1, 3, 23]);
  });

  test('a full trie: a new prefix is ENOSPC (with the rule as hint), replacing one is not; intermediate nodes do not count', () => {
    const t = trie(2);
    t.set(v4('10.0.0.0/24'), 1);
    t.set(v4('10.0.1.0/24'), 2); // and an intermediate node: still 2 of 2
    let err: unknown;
    try {
      t.set(v4('10.0.2.0/24'), 3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ENOSPC', syscall: 'BPF_MAP_UPDATE_ELEM' });
    expect((err as BpfError).message).toMatch(/map 'rules'.*trie_check_add_elem/);
    t.set(v4('10.0.1.0/24'), 20);
    // The intermediate 10.0.0.0/23 would be a new element: ENOSPC too.
    expect(() => t.set(v4('10.0.0.0/23'), 4)).toThrowError(errno('ENOSPC'));
    expect([...t.entries()].map(([k, v]) => `${show(k)}=${v}`)).toEqual(['10.0.0.0/24=1', '10.0.1.0/24=20']);
  });

  test('delete takes exact prefixes only; the others keep matching after merges', () => {
    const t = trie();
    for (const [p, v] of [['10.0.0.0/8', 8], ['10.1.0.0/16', 16], ['10.2.0.0/16', 17], ['10.1.2.0/24', 24]] as const) t.set(v4(p), v);
    expect(t.delete(v4('10.1.0.0/15'))).toBe(false);
    expect(t.delete(v4('10.1.2.3/32'))).toBe(false);
    // The /8 has two children: it becomes an intermediate node, and stops matching.
    expect(t.delete(v4('10.0.0.0/8'))).toBe(true);
    expect([t.get(v4('10.9.9.9')), t.get(v4('10.1.2.3')), t.get(v4('10.2.0.1'))]).toEqual([undefined, 24, 17]);
    // A leaf under that intermediate node takes it along; its sibling moves up.
    expect(t.delete(v4('10.2.0.0/16'))).toBe(true);
    expect(t.delete(v4('10.1.0.0/16'))).toBe(true);
    expect([t.get(v4('10.1.2.3')), t.get(v4('10.1.3.3'))]).toEqual([24, undefined]);
    expect([...t.keys()].map(show)).toEqual(['10.1.2.0/24']);
    expect(t.delete(v4('10.1.2.0/24'))).toBe(true);
    expect(t.nextKey()).toBeUndefined();
  });

  test('iteration is postorder: more specific prefixes before the ones that cover them; nextKey of a missing key restarts', () => {
    const t = trie();
    // The example at the top of kernel/bpf/lpm_trie.c, whose trie_get_next_key lists it in this order.
    for (const [i, p] of ['192.168.0.0/16', '192.168.0.0/24', '192.168.128.0/24', '192.168.1.0/24'].entries()) t.set(v4(p), i);
    const order = ['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16'];
    expect([...t.keys()].map(show)).toEqual(order);
    expect([...t.entries()].map(([k, v]) => `${show(k)}=${v}`)).toEqual(['192.168.0.0/24=1', '192.168.1.0/24=3', '192.168.128.0/24=2', '192.168.0.0/16=0']);
    expect(show(t.nextKey(v4('192.168.1.0/24'))!)).toBe('192.168.128.0/24');
    expect(t.nextKey(v4('192.168.0.0/16'))).toBeUndefined();
    // Not in the trie (or longer than 32 bits): the first key again.
    expect(show(t.nextKey(v4('192.168.7.0/24'))!)).toBe(order[0]);
    expect(show(t.nextKey(v4('192.168.0.0/40'))!)).toBe(order[0]);
    // Batches walk the same order, a key as the cursor.
    const first = t.lookupBatch({ count: 3 });
    expect(first.keys.map(show)).toEqual(order.slice(0, 3));
    const rest = t.lookupBatch({ count: 3, cursor: first.cursor });
    expect([rest.keys.map(show), rest.values, rest.done]).toEqual([[order[3]], [0], true]);
  });

  test('a key\'s bits past its prefixlen are kept as given (the kernel copies the whole data)', () => {
    const t = trie();
    t.set(v4('10.1.2.3/16'), 1);
    expect([...t.keys()].map(show)).toEqual(['10.1.2.3/16']);
    // The same prefix with other trailing bits is the same element: replaced, its data now the new key's.
    t.set(v4('10.1.9.9/16'), 2);
    expect([...t.entries()].map(([k, v]) => `${show(k)}=${v}`)).toEqual(['10.1.9.9/16=2']);
    expect(t.delete(v4('10.1.0.0/16'))).toBe(true);
  });

  test('batches: updates and deletes element by element; no lookup-and-delete (ENOTSUPP), nor a single one', () => {
    const t = trie(4);
    expect(t.updateBatch([v4('1.0.0.0/8'), v4('2.0.0.0/8'), v4('3.0.0.0/8')], [1, 2, 3])).toBe(3);
    expect(() => t.deleteBatch([v4('1.0.0.0/8'), v4('9.0.0.0/8'), v4('2.0.0.0/8')])).toThrowError(expect.objectContaining({ code: 'ENOENT', processed: 1 }));
    expect([...t.keys()].map(show)).toEqual(['2.0.0.0/8', '3.0.0.0/8']);
    expect(() => t.lookupAndDelete(v4('2.0.0.0/8'))).toThrowError(errno('ENOTSUPP'));
    expect(() => t.lookupAndDeleteBatch()).toThrowError(errno('ENOTSUPP'));
    expect(t.get(v4('2.3.4.5'))).toBe(2);
  });

  test('misuse: prefixlen past the data, flags the trie refuses, BPF_F_LOCK, frozen: the kernel\'s errno, the trie unchanged', () => {
    const t = trie();
    t.set(v4('10.0.0.0/8'), 1);
    let err: unknown;
    try {
      t.set(v4('10.0.0.0/33'), 2);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'EINVAL', syscall: 'BPF_MAP_UPDATE_ELEM' });
    expect((err as BpfError).message).toMatch(/prefixlen is at most 8 × the key's data bytes/);
    expect(() => t.delete(v4('10.0.0.0/33'))).toThrowError(errno('EINVAL'));
    expect(() => t.set(v4('10.0.0.0/8'), 2, { lock: true })).toThrowError(errno('EINVAL'));
    expect(() => t.get(v4('10.0.0.0/8'), { lock: true })).toThrowError(errno('EINVAL'));
    t.freeze();
    expect(() => t.set(v4('11.0.0.0/8'), 2)).toThrowError(errno('EPERM'));
    expect(() => t.delete(v4('10.0.0.0/8'))).toThrowError(errno('EPERM'));
    expect([...t.entries()].map(([k, v]) => `${show(k)}=${v}`)).toEqual(['10.0.0.0/8=1']);
  });

  test('bad keys are argument errors before any syscall', () => {
    const t = trie();
    expect(() => t.set({ prefixlen: 8, data: new Uint8Array(3) }, 1)).toThrow(RangeError);
    expect(() => t.set({ prefixlen: -1, data: new Uint8Array(4) }, 1)).toThrow(RangeError);
    expect(() => t.set({ prefixlen: 2 ** 32, data: new Uint8Array(4) }, 1)).toThrow(RangeError);
    expect(() => t.set({ prefixlen: '8', data: new Uint8Array(4) } as never, 1)).toThrow(TypeError);
    expect(() => t.get(null as never)).toThrow(/get on map 'rules'.*key/);
    expect(() => lpmKey(0)).toThrow(/1 to 256 bytes of data/);
    expect(() => lpmKey(257)).toThrow(RangeError);
    expect(t.nextKey()).toBeUndefined();
  });

  test('BPF_MAP_CREATE: BPF_F_NO_PREALLOC is the default and required; key, value and flag limits are EINVAL', () => {
    const make = (o: { key?: number; value?: number; maxEntries?: number; flags?: number }) =>
      createMap({ type: MapType.LpmTrie, key: bytes(o.key ?? 8), value: bytes(o.value ?? 4), maxEntries: o.maxEntries ?? 4, engine: engine(), ...(o.flags === undefined ? {} : { flags: o.flags }) }).close();
    expect(() => make({})).not.toThrow();
    expect(() => make({ flags: 0 })).toThrowError(errno('EINVAL'));
    expect(() => make({ flags: MapFlags.NoPrealloc | MapFlags.ZeroSeed })).toThrowError(errno('EINVAL'));
    expect(() => make({ flags: MapFlags.NoPrealloc | MapFlags.Mmapable })).toThrowError(errno('EINVAL'));
    expect(() => make({ flags: MapFlags.NoPrealloc | MapFlags.RdonlyProg | MapFlags.WronlyProg })).toThrowError(errno('EINVAL'));
    expect(() => make({ flags: MapFlags.NoPrealloc | MapFlags.RdonlyProg })).not.toThrow();
    expect(() => make({ maxEntries: 0 })).toThrowError(errno('EINVAL'));
    // key_size is 4 + 1 to 4 + 256 bytes (LPM_KEY_SIZE_MIN, LPM_KEY_SIZE_MAX).
    expect(() => make({ key: 4 })).toThrowError(errno('EINVAL'));
    expect(() => make({ key: 5 })).not.toThrow();
    expect(() => make({ key: 4 + LPM_DATA_SIZE_MAX })).not.toThrow();
    expect(() => make({ key: 5 + LPM_DATA_SIZE_MAX })).toThrowError(errno('EINVAL'));
    // value_size up to KMALLOC_MAX_SIZE less the largest data and a node's header (24 bytes since 6.14, 40 before).
    const valueMax = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - lpmNodeHeaderSize(version());
    expect(() => make({ value: valueMax + 1, maxEntries: 1 })).toThrowError(errno('EINVAL'));
    // A value holding a bpf_spin_lock: refused before the syscall, with the kernel's errno (map_check_btf).
    expect(() => createMap({ type: 'lpm_trie', key: lpmKey(4), value: struct({ lock: spinLock, n: u32 }), maxEntries: 4, engine: engine() })).toThrowError(errno('EOPNOTSUPP'));
  });

  test('openMap gives an LpmTrieMap over the same trie; codecs are checked against its sizes', () => {
    const e = engine();
    using t = createMap({ type: 'lpm_trie', key: lpmKey(4), value: u32, maxEntries: 4, engine: e });
    t.set(v4('10.0.0.0/8'), 7);
    using again = openMap({ id: t.info.id }, { key: lpmKey(4), value: u32, perCpu: false, engine: e });
    expect(again).toBeInstanceOf(LpmTrieMap);
    expect(again.get(v4('10.2.3.4'))).toBe(7);
    expect(() => openMap({ id: t.info.id }, { key: lpmKey(16), value: u32, engine: e })).toThrow(/key codec is 20 bytes but map .* \(lpm_trie\) has key_size 8/);
    using v6 = createMap({ type: 'lpm_trie', key: lpmKey(16), value: u64, maxEntries: 4, engine: e });
    v6.set({ prefixlen: 48, data: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1, ...new Array(10).fill(0)]) }, 48n);
    expect(v6.get({ prefixlen: 128, data: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, ...new Array(8).fill(7)]) })).toBe(48n);
  });
});
