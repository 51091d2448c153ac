import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MS } from '@isolate/sys';
import { runStageUnit, runContainer, busyboxRootfs, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

test('unit: a directory root is bound onto itself (a mount point for pivot_root)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-rootfs-unit-'));
  const { sys, ctx } = runStageUnit(stage, { path: dir }, { namespaces: ['mount'], until: 'rootfs' });
  assert.deepEqual(sys.argsOf('mount'), [[dir, dir, null, MS.BIND | MS.REC, null]]);
  assert.equal(ctx.root, dir);
  fs.rmSync(dir, { recursive: true });
});

test('unit: a composed root is a tmpfs with read-only binds, host symlinks copied, missing dirs skipped', () => {
  const mp = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-compose-'));
  const { sys, ctx } = runStageUnit(
    stage,
    { mountpoint: mp, binds: ['/usr', '/bin', '/nonexistent-dir'], etc: ['passwd', 'no-such-file'], dirs: ['/tmp'] },
    { namespaces: ['mount'], until: 'rootfs' },
  );
  assert.equal(ctx.root, mp);
  const mounts = sys.argsOf('mount');
  assert.deepEqual(mounts[0], ['tmpfs', mp, 'tmpfs', MS.NOSUID | MS.NODEV, 'mode=755,size=16m']);
  assert.deepEqual(mounts[1], ['/usr', path.join(mp, 'usr'), null, MS.BIND | MS.REC, null]);
  assert.deepEqual(mounts[2], [null, path.join(mp, 'usr'), null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV, null]);
  assert.deepEqual(mounts[3], ['/etc/passwd', path.join(mp, 'etc/passwd'), null, MS.BIND | MS.REC, null]);
  assert.equal(mounts.length, 5);
  if (fs.lstatSync('/bin').isSymbolicLink()) assert.deepEqual(sys.argsOf('symlink'), [[fs.readlinkSync('/bin'), path.join(mp, 'bin')]]);
  assert.deepEqual(sys.argsOf('chmod'), [[path.join(mp, 'tmp'), 0o1777]]);
  fs.rmSync(mp, { recursive: true });
});

test('unit: readonly remounts the root once it is /', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-rootfs-ro-'));
  const { sys } = runStageUnit(stage, { path: dir, readonly: true }, { namespaces: ['mount'], prepare: (ctx) => void (ctx.pivoted = true) });
  assert.deepEqual(sys.argsOf('mount').at(-1), [null, '/', null, MS.REMOUNT | MS.BIND | MS.RDONLY, null]);
  fs.rmSync(dir, { recursive: true });
});

test('unit: refuses to work outside a mount namespace', () => {
  const { failure, sys } = runStageUnit(stage, {});
  assert.match(failure!.message, /refusing to assemble a root outside a mount namespace/);
  assert.equal(sys.calls.length, 0);
});

const busyboxProfile = (readonly: boolean) => ({
  stages: [
    { name: 'namespaces' },
    { name: 'rootfs', with: { path: busyboxRootfs(), readonly } },
    { name: 'mounts', with: { system: ['proc', 'dev'] } },
    { name: 'devices' },
    { name: 'pivot-root' },
    { name: 'exec' },
  ],
});

test('real: a busybox directory becomes the root; read-only when asked', async () => {
  const ro = await runContainer(busyboxProfile(true), ['/bin/sh', '-c', 'ls /bin/busybox; touch /x 2>&1; echo rc=$?']);
  assert.equal(ro.exitCode, 0, ro.stderr);
  assert.match(ro.stdout, /^\/bin\/busybox\ntouch: \/x: Read-only file system\nrc=1\n$/);
  const rw = await runContainer(busyboxProfile(false), ['/bin/sh', '-c', 'touch /written && echo ok && rm /written']);
  assert.equal(rw.stdout, 'ok\n', rw.stderr);
});

test('real: the composed root holds the host binaries read-only and selected /etc files', async () => {
  const r = await runContainer(
    { stages: [{ name: 'namespaces' }, { name: 'rootfs', with: { readonly: true } }, { name: 'pivot-root' }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'ls /etc | sort | tr "\\n" " "; echo; touch /usr/x 2>/dev/null || echo usr-ro; touch /y 2>/dev/null || echo root-ro; test -d /tmp && echo tmp'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const [etc, ...rest] = r.stdout.trim().split('\n');
  for (const f of ['group', 'passwd']) assert.ok(etc!.split(' ').includes(f), etc);
  assert.ok(!etc!.split(' ').includes('shadow'), 'no /etc/shadow');
  assert.deepEqual(rest, ['usr-ro', 'root-ro', 'tmp']);
});
