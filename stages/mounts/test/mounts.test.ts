import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MS } from '@isolate/sys';
import { parseMountinfo } from '@isolate/core';
import { runStageUnit, runContainer, busyboxRootfs, settingsFor, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { SYSTEM_MOUNTS } from '../src';

nothingLeftAfterAll();

function tmpRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-mounts-'));
}

test('unit: the system table is mounted in order with the seed options', () => {
  const root = tmpRoot();
  const { sys } = runStageUnit(stage, { system: ['proc', 'dev', 'devpts', 'shm', 'mqueue', 'sysfs'] }, { namespaces: ['mount'], root });
  assert.deepEqual(sys.argsOf('mount'), [
    ['proc', `${root}/proc`, 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, null],
    ['tmpfs', `${root}/dev`, 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k'],
    ['devpts', `${root}/dev/pts`, 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
    ['shm', `${root}/dev/shm`, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=1777,size=65536k'],
    ['mqueue', `${root}/dev/mqueue`, 'mqueue', MS.NOSUID | MS.NODEV | MS.NOEXEC, null],
    ['sysfs', `${root}/sys`, 'sysfs', MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, null],
  ]);
  fs.rmSync(root, { recursive: true });
});

test('unit: binds are remounted with their flags; tmpfs gets size and mode', () => {
  const root = tmpRoot();
  const { sys } = runStageUnit(
    stage,
    {
      system: [],
      binds: [{ source: '/etc', target: '/host-etc', readonly: true }, { source: '/etc/hostname', options: [] }],
      tmpfs: [{ target: '/scratch', size: '8m', mode: '0700', options: ['noexec'] }],
    },
    { namespaces: ['mount'], root },
  );
  assert.deepEqual(sys.argsOf('mount'), [
    ['/etc', `${root}/host-etc`, null, MS.BIND | MS.REC, null],
    [null, `${root}/host-etc`, null, MS.REMOUNT | MS.BIND | MS.NOSUID | MS.NODEV | MS.RDONLY, null],
    ['/etc/hostname', `${root}/etc/hostname`, null, MS.BIND | MS.REC, null],
    ['tmpfs', `${root}/scratch`, 'tmpfs', MS.NOEXEC, 'mode=0700,size=8m'],
  ]);
  assert.ok(fs.statSync(`${root}/etc/hostname`).isFile(), 'a file bind gets a file mount point');
  fs.rmSync(root, { recursive: true });
});

test('unit: targets are resolved inside the root, never through a symlink out of it', () => {
  const root = tmpRoot();
  const outside = tmpRoot();
  fs.symlinkSync(outside, path.join(root, 'proc'));
  const { sys } = runStageUnit(stage, { system: ['proc'] }, { namespaces: ['mount'], root });
  assert.equal(sys.argsOf('mount')[0]![1], path.join(root, outside));
  fs.rmSync(root, { recursive: true });
  fs.rmSync(outside, { recursive: true });
});

test('unit: a missing bind source fails before any mount', () => {
  const root = tmpRoot();
  const { sys, failure } = runStageUnit(stage, { system: [], binds: [{ source: '/nonexistent/x' }] }, { namespaces: ['mount'], root });
  assert.equal(failure?.report.code, 'ENOENT');
  assert.equal(failure?.report.step, 'bind /nonexistent/x on /nonexistent/x');
  assert.deepEqual(sys.argsOf('mount'), []);
  fs.rmSync(root, { recursive: true });
});

test('schema: modes are strings, options are known names', () => {
  assert.throws(() => settingsFor(stage, { tmpfs: [{ target: '/t', mode: 755 }] }));
  assert.throws(() => settingsFor(stage, { binds: [{ source: '/a', options: ['nosetuid'] }] }));
  assert.throws(() => settingsFor(stage, { system: ['procfs'] }));
  assert.deepEqual(settingsFor(stage, {}).system, Object.keys(SYSTEM_MOUNTS));
});

test('real: binds (read-only and writable) and tmpfs in a busybox root', async () => {
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-bind-'));
  fs.writeFileSync(path.join(shared, 'in.txt'), 'from host\n');
  const r = await runContainer(
    {
      stages: [
        { name: 'namespaces' },
        { name: 'rootfs', with: { path: busyboxRootfs() } },
        {
          name: 'mounts',
          with: {
            binds: [
              { source: shared, target: '/data', readonly: true },
              { source: shared, target: '/rw' },
            ],
            tmpfs: [{ target: '/scratch', size: '1m', mode: '0700' }],
          },
        },
        { name: 'pivot-root' },
        { name: 'exec' },
      ],
    },
    ['/bin/sh', '-c', 'cat /data/in.txt; echo x > /data/new 2>/dev/null || echo data-ro; echo y > /rw/out.txt && echo rw-ok; stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 4), ['from host', 'data-ro', 'rw-ok', '700']);
  const [scratch] = parseMountinfo(lines[4]! + '\n');
  assert.ok(scratch!.superOptions.includes('size=1024k'));
  assert.ok(scratch!.options.includes('nosuid') && scratch!.options.includes('nodev'));
  assert.equal(fs.readFileSync(path.join(shared, 'out.txt'), 'utf8'), 'y\n');
  fs.rmSync(shared, { recursive: true });
});

test('real: /proc shows only the container, /sys and /sys/fs/cgroup are read-only', async () => {
  const r = await runContainer('default', ['/bin/sh', '-c', 'echo /proc/[0-9]*; touch /sys/x 2>/dev/null || echo sys-ro; mkdir /sys/fs/cgroup/x 2>/dev/null || echo cg-ro; ls /sys/fs/cgroup | wc -l']);
  assert.equal(r.exitCode, 0, r.stderr);
  const [procs, sysro, cgro, cgcount] = r.stdout.trim().split('\n');
  assert.equal(procs, '/proc/1', 'a shell builtin sees only PID 1: the host processes are not there');
  assert.equal(sysro, 'sys-ro');
  assert.equal(cgro, 'cg-ro');
  assert.ok(Number(cgcount) > 0);
});

test('real: without a cgroup namespace, /sys/fs/cgroup binds the own cgroup', async () => {
  const r = await runContainer(
    {
      stages: [
        { name: 'namespaces', with: { unshare: ['mount', 'pid', 'uts', 'ipc', 'net'] } },
        { name: 'rootfs' },
        { name: 'mounts', with: { system: ['proc', 'sysfs', 'cgroup'] } },
        { name: 'pivot-root' },
        { name: 'exec' },
      ],
    },
    ['/bin/sh', '-c', 'grep " /sys/fs/cgroup" /proc/self/mountinfo'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const own = fs.readFileSync('/proc/self/cgroup', 'utf8');
  const mounts = parseMountinfo(r.stdout);
  assert.ok(mounts.length > 0);
  for (const m of mounts.filter((x) => x.fstype.startsWith('cgroup'))) {
    assert.ok(m.options.includes('ro'), `${m.mountPoint} read-only`);
    // The bind's root within the hierarchy is the container's own cgroup path.
    assert.ok(own.includes(`:${m.root}\n`), `${m.mountPoint} shows ${m.root}, own cgroups:\n${own}`);
  }
});
