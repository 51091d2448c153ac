// profiles/strict.yaml, attacked from inside: the limits hold, nothing escapes, nothing is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { runCli, runContainer, planOf, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

const strict = planOf('strict');

test('a fork bomb stops at the pids limit, the host is unaffected, the run ends, is reported and leaves nothing', async () => {
  const before = hostSnapshot();
  // PID 1 starts the bomb, then counts with shell builtins only (no fork) and exits; the
  // kernel then kills every process of the PID namespace.
  const bomb = 'bomb() { bomb | bomb & }; bomb 2>/dev/null; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exit 0';
  const r = await runCli(['--profile', 'strict', '--stats', '--', '/bin/sh', '-c', bomb], { timeoutMs: 60000 });
  // The run ends on its own (PID 1 may itself die of a failed fork: dash exits 2 then).
  assert.equal(r.signal, null);
  assert.ok(r.code === 0 || r.code === 2, r.stderr);
  assert.match(r.stderr, /^isolate: the pids limit \(128\) was reached: \d+ fork\/clone calls failed$/m);
  assert.doesNotMatch(r.stderr, /warning/, 'no cleanup trouble');
  const stats = JSON.parse(/^isolate: stats: (.*)$/m.exec(r.stderr)![1]!) as { cgroups: { pidsPeak: number | null; pidsLimitHits: number } };
  assert.ok(stats.cgroups.pidsLimitHits > 0);
  if (stats.cgroups.pidsPeak !== null) assert.ok(stats.cgroups.pidsPeak <= 128, `peak ${stats.cgroups.pidsPeak}`);
  // The host can still start processes.
  assert.equal(execFileSync('/bin/echo', ['host ok'], { encoding: 'utf8' }), 'host ok\n');
  assert.deepEqual(await leftAfterSettling(before, /bomb|isolate|init\.js/), []);
});

test('a process allocating past the memory limit is OOM-killed: 137 and the OOM message', async () => {
  const before = hostSnapshot();
  const hog = 'const a = []; for (;;) a.push(Buffer.alloc(16 << 20, 1));';
  const r = await runCli(['--profile', 'strict', '--', process.execPath, '-e', hog], { timeoutMs: 60000 });
  assert.equal(r.code, 137, r.stderr);
  assert.match(r.stderr, /^isolate: container was killed by the OOM killer \(memory limit 256M\)$/m);
  assert.doesNotMatch(r.stderr, /warning/, 'no cleanup trouble');
  assert.deepEqual(await leftAfterSettling(before), []);
});

test('no capabilities at all, no_new_privs, seccomp on', async () => {
  const r = await runContainer(strict, ['/bin/sh', '-c', 'grep -E "^(Cap[A-Za-z]+|NoNewPrivs|Seccomp):" /proc/self/status']);
  assert.equal(r.exitCode, 0, r.stderr);
  const zero = '0'.repeat(16);
  assert.deepEqual(r.stdout.trim().split('\n'), [`CapInh:\t${zero}`, `CapPrm:\t${zero}`, `CapEff:\t${zero}`, `CapBnd:\t${zero}`, `CapAmb:\t${zero}`, 'NoNewPrivs:\t1', 'Seccomp:\t2']);
});

test('mount, mknod, chown of a root file, raw sockets, unshare and setns all fail', async () => {
  const probes = [
    'mount -t tmpfs none /tmp 2>&1 | grep -q "Operation not permitted\\|permission denied" && echo mount-denied',
    'mknod /tmp/n c 1 3 2>/dev/null || echo mknod-denied',
    'chown 1000 /etc/passwd 2>/dev/null || echo chown-denied',
    'busybox ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 || echo raw-denied',
    'unshare -n true 2>&1 | grep -q "Operation not permitted" && echo unshare-denied',
    'nsenter -t 1 -n true 2>&1 | grep -q "Operation not permitted" && echo setns-denied',
  ].join('; ');
  const r = await runContainer(strict, ['/bin/sh', '-c', probes]);
  assert.equal(r.exitCode, 0, r.stderr);
  const got = r.stdout.trim().split('\n');
  for (const want of ['mount-denied', 'mknod-denied', 'chown-denied', 'raw-denied', 'unshare-denied', 'setns-denied']) assert.ok(got.includes(want), `${want} in ${got.join(' ')}`);
});

test('seccomp answers EPERM for unshare and mount themselves', async () => {
  // node is visible in the composed root; it runs under the filter and reports each errno.
  const probe = `
    const { spawnSync } = require('child_process');
    const run = (cmd, args) => { const r = spawnSync(cmd, args, { encoding: 'utf8' }); return (r.stderr || '').trim(); };
    console.log(run('unshare', ['-U', 'true']));
    console.log(run('mount', ['-t', 'tmpfs', 'x', '/tmp']));
  `;
  const r = await runContainer(strict, [process.execPath, '-e', probe]);
  assert.equal(r.exitCode, 0, r.stderr);
  const [unshare, mount] = r.stdout.trim().split('\n');
  assert.match(unshare!, /Operation not permitted/);
  assert.match(mount!, /permission denied|Operation not permitted/i);
});

test('/proc/sys cannot be written, masked files read empty, /sys/firmware is empty', async () => {
  const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list'].filter((p) => fs.existsSync(p));
  const r = await runContainer(strict, [
    '/bin/sh',
    '-c',
    `echo x > /proc/sys/kernel/hostname 2>/dev/null && echo written || echo ro; ${masked.map((p) => `wc -c < ${p}`).join('; ')}; ls -A /sys/firmware | wc -l; hostname`,
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['ro', ...masked.map(() => '0'), '0', 'sandbox']);
});

test('the root is read-only, /tmp is writable but not executable, only lo exists, 1024 files', async () => {
  const r = await runContainer(strict, [
    '/bin/sh',
    '-c',
    'touch /x 2>/dev/null || echo root-ro; cp /bin/true /tmp/t && (/tmp/t 2>/dev/null && echo exec-ok || echo tmp-noexec); ls /sys/class/net; ulimit -n; ulimit -c',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['root-ro', 'tmp-noexec', 'lo', '1024', '0']);
});
