import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveInRoot, parseMountinfo, ensureMountpoint, ContainerPipeline, StageFailure, requireNamespace } from '../src';
import { FakeSys } from '@isolate/sys';

test('resolveInRoot keeps symlinks inside the root', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-root-'));
  fs.mkdirSync(path.join(root, 'real'));
  fs.symlinkSync('/etc', path.join(root, 'abs')); // absolute: means root/etc
  fs.symlinkSync('../../../../etc', path.join(root, 'rel')); // climbing out stops at the root
  fs.symlinkSync('real', path.join(root, 'ok'));
  fs.symlinkSync('loop2', path.join(root, 'loop1'));
  fs.symlinkSync('loop1', path.join(root, 'loop2'));
  assert.equal(resolveInRoot(root, '/abs/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveInRoot(root, '/rel/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveInRoot(root, '/ok/x'), path.join(root, 'real/x'));
  assert.equal(resolveInRoot(root, '/../../x'), path.join(root, 'x'));
  assert.throws(() => resolveInRoot(root, '/loop1'), /too many levels of symbolic links/);
  fs.rmSync(root, { recursive: true });
});

test('ensureMountpoint makes directories and files', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-mp-'));
  ensureMountpoint(path.join(root, 'a/b'), 'dir');
  ensureMountpoint(path.join(root, 'c/d.txt'), 'file');
  assert.ok(fs.statSync(path.join(root, 'a/b')).isDirectory());
  assert.ok(fs.statSync(path.join(root, 'c/d.txt')).isFile());
  fs.rmSync(root, { recursive: true });
});

test('parseMountinfo reads fields, optional fields and escapes', () => {
  const [m] = parseMountinfo('36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n');
  assert.deepEqual(m, {
    id: 36,
    parent: 35,
    dev: '98:0',
    root: '/mnt1',
    mountPoint: '/mnt two',
    options: ['rw', 'noatime'],
    optional: ['master:1', 'shared:2'],
    fstype: 'ext3',
    source: '/dev/root',
    superOptions: ['rw', 'errors=continue'],
  });
});

test('the pipeline names the stage, phase and step of a failure', () => {
  const sys = new FakeSys().failNext('mount', 'EPERM');
  const p = new ContainerPipeline({ sys, command: ['x'], namespaces: ['mount'] });
  p.hooks.mounts.tap('demo', (ctx) => {
    ctx.step('mount proc on /proc');
    ctx.sys.mount('proc', '/proc', 'proc', 0, null);
  });
  assert.throws(
    () => p.run(),
    (e: unknown) => {
      assert.ok(e instanceof StageFailure);
      assert.equal(e.report.stage, 'demo');
      assert.equal(e.report.phase, 'mounts');
      assert.equal(e.report.step, 'mount proc on /proc');
      assert.equal(e.report.syscall, 'mount');
      assert.equal(e.report.code, 'EPERM');
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, 'stage demo: mount proc on /proc: mount("proc", "/proc", "proc", 0, NULL) failed: EPERM (Operation not permitted)');
      return true;
    },
  );
});

test('requireNamespace refuses to act on the host namespace', () => {
  const p = new ContainerPipeline({ sys: new FakeSys(), command: ['x'] });
  assert.throws(() => requireNamespace(p.ctx, 'mount', 'mount'), /refusing to mount outside a mount namespace/);
});
