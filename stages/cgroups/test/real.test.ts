// Real containers on this host's cgroups: v1 (or whatever /sys/fs/cgroup is) through the
// default root, and the kernel's v2 code paths through a cgroup2 mount where there is one.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { hostSnapshot, leftAfterSettling, runContainer, runCli, startCli, writeProfile, type ProfileSpec, type HostSnapshot, nothingLeftAfterAll } from '@isolate/testkit';
import { detectVersion } from '../src';

nothingLeftAfterAll();

const HOST_VERSION = detectVersion('/sys/fs/cgroup');
const V1 = HOST_VERSION === 'v1';
/** A cgroup2 mount to try the v2 paths on: /sys/fs/cgroup itself, or a hybrid host's unified tree. */
const V2_ROOT = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((r) => fs.existsSync(r) && detectVersion(r) === 'v2');

function profile(cgroups: Record<string, unknown>, unshare?: string[]): ProfileSpec {
  return {
    stages: [
      { name: 'namespaces', ...(unshare ? { with: { unshare } } : {}) },
      { name: 'cgroups', with: cgroups },
      { name: 'rootfs' },
      { name: 'mounts' },
      { name: 'devices' },
      { name: 'fd-links' },
      { name: 'pivot-root' },
      { name: 'env' },
      { name: 'exec' },
    ],
  };
}

interface CgStats {
  version: string;
  path: string;
  memoryPeakBytes: number | null;
  cpuUsec: number | null;
  pidsPeak: number | null;
  oomKills: number | null;
  pidsLimitHits: number | null;
}
const statsOf = (r: { stats?: Record<string, unknown> }): CgStats => r.stats?.cgroups as CgStats;

/** The cgroup directory of the run `id` for a v1 controller (or in a v2 root). */
const v1Dir = (controller: string, id: string): string => `/sys/fs/cgroup/${controller}/isolate/isolate-${process.pid}-${id}`;

let snap: HostSnapshot;
before(() => {
  snap = hostSnapshot();
});
const nothingLeft = async (what: string): Promise<void> => assert.deepEqual(await leftAfterSettling(snap), [], `${what}: left on the host`);

test('real: the command sees its limits as its own root cgroup; usage is measured', { skip: !V1 && 'the host is not cgroup v1' }, async () => {
  let hostView = '';
  let id = '';
  const r = await runContainer(
    profile({ memory: { limit: '48M', reservation: '16M' }, pids: { max: 40 }, cpu: { shares: 512, quota: 50000, period: 100000 } }),
    [
      '/bin/sh',
      '-c',
      'cd /sys/fs/cgroup && cat memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes pids/pids.max cpu/cpu.shares cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us; grep -E ":(memory|pids):" /proc/self/cgroup; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done',
    ],
    {
      onStart(c) {
        id = c.id;
        // Seen from the host: the init is in the run's cgroup in every hierarchy.
        hostView = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'blkio']
          .map((h) => (fs.readFileSync(`${v1Dir(h, c.id)}/cgroup.procs`, 'utf8').trim() === String(c.pid) ? h : `${h}?`))
          .join(' ');
      },
    },
  );
  assert.equal(r.exitCode, 0, r.stderr + r.failure?.message);
  assert.equal(hostView, 'memory pids cpu cpuacct cpuset blkio');
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 6), [String(48 * 2 ** 20), String(16 * 2 ** 20), '40', '512', '50000', '100000']);
  // Its cgroup is the root of its cgroup namespace.
  assert.deepEqual(lines.slice(6).map((l) => l.replace(/^\d+:/, '')).sort(), ['memory:/', 'pids:/']);
  const s = statsOf(r);
  assert.equal(s.version, 'v1');
  assert.equal(s.path, `/isolate/isolate-${process.pid}-${id}`);
  assert.ok(s.cpuUsec! > 0, `cpu time ${s.cpuUsec}`);
  assert.ok(s.memoryPeakBytes! > 0 && s.memoryPeakBytes! <= 48 * 2 ** 20, `peak ${s.memoryPeakBytes}`);
  assert.ok(s.pidsPeak! >= 1 && s.pidsPeak! <= 40, `pids peak ${s.pidsPeak}`);
  assert.equal(s.oomKills, 0);
  assert.equal(s.pidsLimitHits, 0);
  assert.deepEqual(r.reports ?? [], []);
  assert.equal(fs.existsSync(v1Dir('memory', id)), false);
  await nothingLeft('limits run');
});

test('real: forking stops at the pids limit, the run ends, the hits are reported', async () => {
  // perl counts the failed forks and exits; its sleeping children die with the PID namespace.
  const r = await runContainer(profile({ pids: { max: 32 } }), [
    '/usr/bin/perl',
    '-e',
    '$f = 0; for (1..100) { my $p = fork; if (!defined $p) { $f++ } elsif ($p == 0) { sleep 60; exit 0 } } print "failed=$f\\n"',
  ]);
  assert.equal(r.exitCode, 0, r.stderr + r.failure?.message);
  const failed = Number(/failed=(\d+)/.exec(r.stdout)?.[1]);
  assert.ok(failed >= 100 - 32, `failed forks: ${failed}`);
  assert.deepEqual(r.reports, [`the pids limit (32) was reached: ${failed} fork/clone calls failed`]);
  const s = statsOf(r);
  assert.equal(s.pidsLimitHits, failed);
  assert.ok(s.pidsPeak! <= 32 && s.pidsPeak! >= 30, `pids peak ${s.pidsPeak}`);
  await nothingLeft('pids run');
});

test('real: past the memory limit the OOM killer ends the command: 137 and a report', async () => {
  // tail keeps the last "line" of /dev/zero in memory: it grows until the limit.
  const r = await runContainer(profile({ memory: { limit: '32M' } }), ['/bin/sh', '-c', 'head -c 200M /dev/zero | tail']);
  assert.equal(r.exitCode, 137, r.stderr + r.failure?.message);
  assert.deepEqual(r.reports, ['container was killed by the OOM killer (memory limit 32M)']);
  const s = statsOf(r);
  assert.ok(s.oomKills! >= 1);
  assert.ok(s.memoryPeakBytes! > 16 * 2 ** 20 && s.memoryPeakBytes! <= 32 * 2 ** 20, `peak ${s.memoryPeakBytes}`);
  await nothingLeft('OOM run');
});

test('real: an existing cgroup of that name is refused (125) and left alone', async () => {
  const name = `isolate-taken-${process.pid}`;
  const parent = V1 ? '/sys/fs/cgroup/pids/isolate' : '/sys/fs/cgroup/isolate';
  const dir = `${parent}/${name}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/pids.max`, '7');
  try {
    const r = await runContainer(profile({ name, pids: { max: 10 } }), ['/bin/true']);
    assert.equal(r.exitCode, 125);
    assert.equal(r.failure?.stage, 'cgroups');
    assert.match(r.failure!.message, new RegExp(`^cgroup /isolate/${name} already exists \\(${dir}\\)`));
    assert.equal(fs.readFileSync(`${dir}/pids.max`, 'utf8').trim(), '7', 'untouched');
    if (V1) assert.equal(fs.existsSync(`/sys/fs/cgroup/memory/isolate/${name}`), false, 'nothing made elsewhere');
  } finally {
    fs.rmdirSync(dir);
    try {
      fs.rmdirSync(parent);
    } catch {
      // in use
    }
  }
  await nothingLeft('collision');
});

test('real: processes outside the PID namespace are killed before the cgroup goes', async () => {
  // Without a PID namespace nothing kills the background sleep when the shell exits: the
  // cleanup must (SIGKILL of everything in cgroup.procs).
  const r = await runContainer(
    { stages: [{ name: 'namespaces', with: { unshare: ['mount'] } }, { name: 'cgroups' }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'sleep 4321 >/dev/null 2>&1 & echo $!'],
  );
  assert.equal(r.exitCode, 0, r.stderr + r.failure?.message);
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 1);
  assert.equal(fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), false, 'the orphaned sleep is dead');
  assert.deepEqual(await leftAfterSettling(snap, /sleep 4321/), []);
  await nothingLeft('orphan run');
});

test('real: a killed container and an interrupted supervisor leave no cgroup', async () => {
  const killed = await runContainer(profile({ pids: { max: 20 } }), ['/bin/sh', '-c', 'echo ready; sleep 30'], {
    onStdout(chunk, c) {
      if (chunk.includes('ready')) c.kill('SIGKILL');
    },
  });
  assert.equal(killed.exitCode, 137);
  await nothingLeft('killed run');

  const file = writeProfile(
    'stages:\n  - name: namespaces\n  - name: cgroups\n    with: { memory: { limit: 64M } }\n  - name: rootfs\n  - name: mounts\n  - name: devices\n  - name: fd-links\n  - name: pivot-root\n  - name: env\n  - name: exec\n',
  );
  const cli = startCli(['--profile', file, '--', '/bin/sh', '-c', 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'], {
    onStdout(chunk, pid) {
      if (chunk.includes('ready')) process.kill(pid, 'SIGTERM');
    },
  });
  const done = await cli.done;
  assert.equal(done.code, 7, done.stderr);
  fs.rmSync(file);
  await nothingLeft('interrupted run');
});

test('real: isolate --stats prints the cgroup figures', async () => {
  const file = writeProfile('stages:\n  - name: namespaces\n  - name: cgroups\n  - name: rootfs\n  - name: mounts\n  - name: pivot-root\n  - name: exec\n');
  const r = await runCli(['--stats', '--profile', file, '--', '/bin/sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']);
  fs.rmSync(file);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('isolate: stats: '));
  assert.ok(line, r.stderr);
  const stats = JSON.parse(line.slice('isolate: stats: '.length)) as { exitCode: number; cgroups: CgStats };
  assert.equal(stats.exitCode, 0);
  assert.equal(stats.cgroups.version, HOST_VERSION);
  assert.match(stats.cgroups.path, /^\/isolate\/isolate-\d+-[0-9a-f]+$/);
  assert.ok(stats.cgroups.cpuUsec! > 0);
  if (V1) assert.ok(stats.cgroups.memoryPeakBytes! > 0);
  await nothingLeft('--stats run');
});

test('real: concurrent runs (separate processes) share the parent cgroup; the last one out removes it', async () => {
  // Separate supervisors really race: one removes the empty parent while another makes it.
  const cpuset = V1 || fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('cpuset');
  const file = writeProfile(
    `stages:\n  - name: namespaces\n  - name: cgroups\n    with: { pids: { max: 16 }${cpuset ? ', cpu: { cpus: "0" }' : ''} }\n  - name: rootfs\n  - name: mounts\n  - name: pivot-root\n  - name: exec\n`,
  );
  const cpus = cpuset ? `/sys/fs/cgroup/${V1 ? 'cpuset/' : ''}cpuset.cpus` : '/dev/null; echo 0';
  const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => runCli(['--stats', '--profile', file, '--', '/bin/sh', '-c', `cat ${cpus}; exit ${i}`])));
  fs.rmSync(file);
  runs.forEach((r, i) => {
    assert.equal(r.code, i, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  });
  assert.equal(new Set(runs.map((r) => /"path":"([^"]+)"/.exec(r.stderr)?.[1])).size, 8);
  await nothingLeft('concurrent runs');
});

test("real v2: the kernel's cgroup2 files: attach, cpu.stat, cgroup.kill, removal", { skip: !V2_ROOT && 'no cgroup2 mount' }, async () => {
  const root = V2_ROOT!;
  let inCgroup = '';
  const r = await runContainer(
    { stages: [{ name: 'namespaces', with: { unshare: ['mount', 'cgroup'] } }, { name: 'cgroups', with: { root, version: 'v2' } }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'grep "^0::" /proc/self/cgroup; sleep 4322 >/dev/null 2>&1 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'],
    {
      onStart(c) {
        inCgroup = fs.readFileSync(`/proc/${c.pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!;
      },
    },
  );
  assert.equal(r.exitCode, 0, r.stderr + r.failure?.message);
  const s = statsOf(r);
  assert.equal(s.version, 'v2');
  assert.equal(inCgroup, `0::${s.path}`, "seen from the host: in the run's cgroup");
  assert.equal(r.stdout.trim(), '0::/', 'seen from inside (cgroup namespace): its own root');
  assert.ok(s.cpuUsec! > 0, 'cpu.stat usage_usec');
  assert.deepEqual(await leftAfterSettling(snap, /sleep 4322/), [], 'the background sleep was killed through cgroup.kill');
  await nothingLeft('v2 run');

  if (!fs.readFileSync(`${root}/cgroup.controllers`, 'utf8').includes('pids')) {
    const refused = await runContainer(
      { stages: [{ name: 'namespaces' }, { name: 'cgroups', with: { root, pids: { max: 5 } } }, { name: 'exec' }] },
      ['/bin/true'],
    );
    assert.equal(refused.exitCode, 125);
    assert.match(refused.failure!.message, /the cgroup v2 controller\(s\) pids needed for the limits are not available/);
    await nothingLeft('refused v2 run');
  }
});

test('real: a cgroup left by a supervisor killed outright is removed by the next run', { skip: !V1 && 'the host is not cgroup v1' }, async () => {
  // A pid that is not alive: the "supervisor" of this cgroup is gone.
  let dead = 4_000_000;
  while (fs.existsSync(`/proc/${dead}`)) dead--;
  const stale = ['pids', 'memory'].map((h) => `/sys/fs/cgroup/${h}/isolate/isolate-${dead}-0123456789ab`);
  // Keep the parent alive meanwhile with a cgroup of a live "supervisor" (this process).
  const alive = `/sys/fs/cgroup/pids/isolate/isolate-${process.pid}-feedfacecafe`;
  for (const d of [...stale, alive]) fs.mkdirSync(d, { recursive: true });
  try {
    const r = await runContainer(profile({}), ['/bin/true']);
    assert.equal(r.exitCode, 0, r.stderr);
    for (const d of stale) assert.ok(!fs.existsSync(d), `${d} was swept`);
    assert.ok(fs.existsSync(alive), 'the cgroup of a live supervisor is left alone');
    assert.ok(r.warnings.some((w) => w.includes(`isolate-${dead}-0123456789ab`)), r.warnings.join('\n'));
  } finally {
    for (const d of [...stale, alive]) if (fs.existsSync(d)) fs.rmdirSync(d);
    for (const h of ['pids', 'memory']) {
      try {
        fs.rmdirSync(`/sys/fs/cgroup/${h}/isolate`);
      } catch {
        // in use by another run
      }
    }
  }
  await nothingLeft('sweep run');
});
