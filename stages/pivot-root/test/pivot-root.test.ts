import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSys, MS, MNT } from '@isolate/sys';
import { runStageUnit, runContainer, busyboxRootfs, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

test('unit: chdir, pivot_root(".", "."), detach the old root, chdir /', () => {
  const { sys, ctx } = runStageUnit(stage, {}, { namespaces: ['mount'], root: '/new/root' });
  assert.deepEqual(
    sys.calls.map((c) => [c.call, ...c.args]),
    [
      ['chdir', '/new/root'],
      ['pivotRoot', '.', '.'],
      ['mount', null, '.', null, MS.SLAVE | MS.REC, null],
      ['umount2', '.', MNT.DETACH],
      ['chdir', '/'],
    ],
  );
  assert.equal(ctx.root, '/');
  assert.equal(ctx.pivoted, true);
});

test('unit: EINVAL from pivot_root (initramfs) falls back to MS_MOVE + chroot with a warning', () => {
  const sys = new FakeSys().failNext('pivotRoot', 'EINVAL');
  const { warnings, ctx } = runStageUnit(stage, {}, { sys, namespaces: ['mount'], root: '/new/root' });
  assert.deepEqual(
    sys.calls.map((c) => [c.call, ...c.args]),
    [
      ['chdir', '/new/root'],
      ['pivotRoot', '.', '.'],
      ['mount', '/new/root', '/', null, MS.MOVE, null],
      ['chroot', '.'],
      ['chdir', '/'],
    ],
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /pivot_root is not possible here/);
  assert.equal(ctx.pivoted, true);
});

test('unit: without the fallback, or for another errno, the failure is reported', () => {
  const a = runStageUnit(stage, { fallback: false }, { sys: new FakeSys().failNext('pivotRoot', 'EINVAL'), namespaces: ['mount'], root: '/r' });
  assert.equal(a.failure?.report.syscall, 'pivotRoot');
  assert.equal(a.failure?.report.code, 'EINVAL');
  const b = runStageUnit(stage, {}, { sys: new FakeSys().failNext('pivotRoot', 'EBUSY'), namespaces: ['mount'], root: '/r' });
  assert.equal(b.failure?.report.code, 'EBUSY');
  assert.equal(b.failure?.report.step, 'pivot_root into the new root');
});

test('real: after pivot the old root is gone from the mount table and unreachable', async () => {
  const r = await runContainer(
    {
      stages: [
        { name: 'namespaces' },
        { name: 'rootfs', with: { path: busyboxRootfs() } },
        { name: 'mounts', with: { system: ['proc'] } },
        { name: 'pivot-root' },
        { name: 'exec' },
      ],
    },
    ['/bin/sh', '-c', 'cat /proc/self/mountinfo | wc -l; ls /; test -e /usr/bin/node || echo no-host-node'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const [count, ...rest] = r.stdout.trim().split('\n');
  assert.equal(count!.trim(), '2', 'only / and /proc');
  assert.equal(rest.at(-1), 'no-host-node');
});
