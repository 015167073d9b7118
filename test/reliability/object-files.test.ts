// Issue 7, item 9: openObject() of something that is not a regular file is a clear error and leaks no fd
// (libbpf 1.1 skips a close when the ELF cannot be opened).
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, test } from 'vitest';
import { BpfError, openObject } from '../../src/index.js';
import { describeKernel } from '../helpers/kernel.js';

const openFds = () => readdirSync('/proc/self/fd').length;

describeKernel('openObject refuses what is not a BPF object file', () => {
  test('a directory: EISDIR, and no fd is leaked over 200 tries', () => {
    const before = openFds();
    for (let i = 0; i < 200; i++) {
      expect(() => openObject(tmpdir())).toThrowError(expect.objectContaining({ code: 'EISDIR', syscall: 'bpf_object__open' }));
    }
    expect(openFds()).toBe(before);
  });

  test('a character device and a missing file are BpfErrors with the path', () => {
    expect(() => openObject('/dev/null')).toThrowError(expect.objectContaining({ code: 'ENOEXEC', path: '/dev/null' }));
    try {
      openObject('/nonexistent/x.bpf.o');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BpfError);
      expect((e as BpfError).code).toBe('ENOENT');
    }
  });
});
