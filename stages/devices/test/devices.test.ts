import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { S, makedev } from '@isolate/sys';
import { runStageUnit, runContainer, busyboxRootfs, settingsFor, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

function tmpRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-devices-'));
  fs.mkdirSync(path.join(root, 'dev'));
  return root;
}

test('unit: the six devices with their numbers, chmod past the umask, root-owned', () => {
  const root = tmpRoot();
  const { sys } = runStageUnit(stage, {}, { namespaces: ['mount'], root });
  assert.deepEqual(
    sys.argsOf('mknod').map(([p, mode, dev]) => [path.relative(root, p as string), (mode as number) & ~0o7777, (mode as number) & 0o7777, dev]),
    [
      ['dev/null', S.IFCHR, 0o666, makedev(1, 3)],
      ['dev/zero', S.IFCHR, 0o666, makedev(1, 5)],
      ['dev/full', S.IFCHR, 0o666, makedev(1, 7)],
      ['dev/tty', S.IFCHR, 0o666, makedev(5, 0)],
      ['dev/random', S.IFCHR, 0o666, makedev(1, 8)],
      ['dev/urandom', S.IFCHR, 0o666, makedev(1, 9)],
    ],
  );
  assert.equal(sys.argsOf('chmod').length, 6);
  assert.ok(sys.argsOf('chown').every(([, uid, gid]) => uid === 0 && gid === 0));
  fs.rmSync(root, { recursive: true });
});

test('unit: fuse and extra devices, block type, owner and mode', () => {
  const root = tmpRoot();
  const { sys } = runStageUnit(
    stage,
    { defaults: false, fuse: true, extra: [{ path: '/dev/loop-test', type: 'b', major: 7, minor: 0, mode: '0600', uid: 5, gid: 6 }] },
    { namespaces: ['mount'], root },
  );
  assert.deepEqual(sys.argsOf('mknod'), [
    [`${root}/dev/fuse`, S.IFCHR | 0o666, makedev(10, 229)],
    [`${root}/dev/loop-test`, S.IFBLK | 0o600, makedev(7, 0)],
  ]);
  assert.deepEqual(sys.argsOf('chown').at(-1), [`${root}/dev/loop-test`, 5, 6]);
  fs.rmSync(root, { recursive: true });
});

test('unit: a /dev that is a symlink out of the root cannot be used to create nodes elsewhere', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-devices-'));
  fs.symlinkSync('/etc', path.join(root, 'dev')); // resolves to root/etc, not the host's /etc
  const { sys } = runStageUnit(stage, { defaults: false, fuse: true }, { namespaces: ['mount'], root });
  assert.equal(sys.argsOf('mknod')[0]![0], `${root}/etc/fuse`);
  fs.rmSync(root, { recursive: true });
});

test('schema: extra devices must live below /dev', () => {
  assert.throws(() => settingsFor(stage, { extra: [{ path: '/etc/evil', major: 1, minor: 3 }] }));
});

test('real: the devices work in the container and extra devices appear', async () => {
  const r = await runContainer(
    {
      stages: [
        { name: 'namespaces' },
        { name: 'rootfs', with: { path: busyboxRootfs() } },
        { name: 'mounts', with: { system: ['proc', 'dev'] } },
        { name: 'devices', with: { fuse: true } },
        { name: 'pivot-root' },
        { name: 'exec' },
      ],
    },
    ['/bin/sh', '-c', 'echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; echo y > /dev/full 2>/dev/null || echo full-enospc; head -c 8 /dev/urandom | wc -c; stat -c "%n %t:%T %a" /dev/fuse'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), ['null-ok', '00 00 00 00', 'full-enospc', '8', '/dev/fuse a:e5 666']);
});
