import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { FakeSys, FakeExec, SysError, libcSys, makedev, errnoName, errnoNumber, MS, CLONE, RLIMIT } from '../src';

test('errno names come from the kernel numbers', () => {
  assert.equal(errnoName(1), 'EPERM');
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoNumber('EINVAL'), 22);
});

test('makedev encodes like glibc', () => {
  assert.equal(makedev(1, 3), 0x103n);
  assert.equal(makedev(5, 0), 0x500n);
  assert.equal(makedev(10, 229), 0xae5n);
  // large minors spill into the high bits
  assert.equal(makedev(259, 300), (259n << 8n) | 44n | (256n << 12n));
});

test('a failed real call throws SysError with the call, its arguments and the errno name', () => {
  const sys = libcSys();
  assert.throws(
    () => sys.mount('/nonexistent-isolate-source', '/nonexistent-isolate-target', null, MS.BIND, null),
    (err: unknown) => {
      assert.ok(err instanceof SysError);
      assert.equal(err.code, 'ENOENT');
      assert.equal(err.errno, 2);
      assert.equal(err.syscall, 'mount');
      assert.equal(err.path, '/nonexistent-isolate-target');
      assert.match(err.message, /^mount\("\/nonexistent-isolate-source", "\/nonexistent-isolate-target", NULL, 0x1000, NULL\) failed: ENOENT \(No such file or directory\)$/);
      return true;
    },
  );
});

test('unshare(CLONE_NEWUSER) is refused in multi-threaded Node (DESIGN.md fact 2)', () => {
  assert.throws(() => libcSys().unshare(CLONE.NEWUSER), (e: unknown) => e instanceof SysError && e.code === 'EINVAL');
});

test('getrlimit reads real limits', () => {
  const { soft, hard } = libcSys().getrlimit(RLIMIT.NOFILE);
  assert.ok(soft > 0n && soft <= hard);
});

test('capget reads the capability sets of a root process', () => {
  const caps = libcSys().capget();
  // CAP_SYS_ADMIN (21) is held by root here.
  assert.equal((caps.effective >> 21n) & 1n, 1n);
});

test('real calls work in a child: unshare, mount, sethostname, linkUp, execve with argv and envp', () => {
  const script = `
    const s = require(${JSON.stringify(require.resolve('../src'))});
    const sys = s.libcSys();
    const fs = require('fs');
    sys.unshare(s.CLONE.NEWNS | s.CLONE.NEWUTS | s.CLONE.NEWNET);
    sys.mount(null, '/', null, s.MS.REC | s.MS.PRIVATE, null);
    sys.mount('tmpfs', '/mnt', 'tmpfs', 0, 'size=1m');
    sys.mknod('/mnt/null', s.S.IFCHR | 0o666, s.makedev(1, 3));
    sys.symlink('null', '/mnt/link');
    sys.sethostname('sys-test');
    sys.linkUp('lo');
    sys.fcntl(1, s.F.SETFD, 0);
    sys.execve('/bin/sh', ['sh', '-c', 'echo "$X $(hostname) $(stat -c %t:%T /mnt/link -L) $(cat /sys/class/net/lo/operstate)"'], ['X=argv-ok']);
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), 'argv-ok sys-test 1:3 unknown');
});

test('FakeSys records calls and fails on request', () => {
  const fake = new FakeSys();
  fake.mount('a', '/b', 'tmpfs', MS.NOSUID, null);
  fake.failNext('mount', 'EPERM');
  assert.throws(() => fake.mount('c', '/d', null, 0, null), (e: unknown) => e instanceof SysError && e.code === 'EPERM' && e.syscall === 'mount');
  fake.mount('e', '/f', null, 0, null);
  assert.deepEqual(fake.argsOf('mount').map((a) => a[1]), ['/b', '/d', '/f']);
  assert.throws(() => fake.execve('/bin/x', ['x'], ['A=1']), (e: unknown) => e instanceof FakeExec && e.path === '/bin/x');
});
