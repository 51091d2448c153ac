// A stage failing midway leaves no mount, no process and no cgroup behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, runContainer, writeProfile, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

const profile = (extra: string): string => `stages:
  - name: namespaces
  - name: rootfs
  - name: mounts
    with:
${extra}
  - name: devices
  - name: fd-links
  - name: pivot-root
  - name: exec
`;

test('a bind source that does not exist: clear error, exit 125, nothing left', async () => {
  const file = writeProfile(profile('      binds:\n        - source: /nonexistent/isolate-src\n          target: /data'));
  const before = hostSnapshot();
  const r = await runCli(['--profile', file, '--', '/bin/true']);
  assert.equal(r.code, 125);
  assert.equal(
    r.stderr,
    "isolate: stage mounts: bind /nonexistent/isolate-src on /data: ENOENT: no such file or directory, stat '/nonexistent/isolate-src'\n",
  );
  assert.deepEqual(await leftAfterSettling(before), []);
});

test('a failing mount syscall reports stage, step, call and errno', async () => {
  // A file bound onto a directory makes mount(2) itself fail, with ENOTDIR.
  const before = hostSnapshot();
  const r = await runContainer(profile('      binds:\n        - source: /etc/hostname\n          target: /root'), ['/bin/true']);
  assert.equal(r.exitCode, 125);
  assert.equal(r.failure?.stage, 'mounts');
  assert.equal(r.failure?.phase, 'mounts');
  assert.equal(r.failure?.step, 'bind /etc/hostname on /root');
  assert.equal(r.failure?.syscall, 'mount');
  assert.equal(r.failure?.code, 'ENOTDIR');
  assert.match(r.failure!.message, /^mount\("\/etc\/hostname", "\/run\/isolate\/rootfs\/root", NULL, 0x5000, NULL\) failed: ENOTDIR/);
  assert.deepEqual(await leftAfterSettling(before), []);
});

test('a rootfs directory that does not exist fails in the rootfs stage, nothing left', async () => {
  const before = hostSnapshot();
  const r = await runContainer(
    { stages: [{ name: 'namespaces' }, { name: 'rootfs', with: { path: '/nonexistent/rootfs' } }, { name: 'pivot-root' }, { name: 'exec' }] },
    ['/bin/true'],
  );
  assert.equal(r.exitCode, 125);
  assert.equal(r.failure?.stage, 'rootfs');
  assert.equal(r.failure?.code, 'ENOENT');
  assert.deepEqual(await leftAfterSettling(before), []);
});
