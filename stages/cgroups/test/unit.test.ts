// The cgroup logic against fake cgroupfs trees (v2 and v1): which files get which values,
// what is created and removed, what is read back at exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { ExitStatus } from '@isolate/core';
import { settingsFor, runStageHost, type HostRunResult } from '@isolate/testkit';
import stage, { tapHost, checkSettings, detectVersion, parseSize, formatSize, sharesToWeight, weightToShares, type CgroupOps, type CgroupsSettings } from '../src';
import { fakeV1, fakeV2, read, type FakeTree } from './fake-cgroupfs';

/** Run cgroups are named isolate-<supervisor pid>-<run id>. */
const P = process.pid;

type HookRun = HostRunResult;

/** Runs the stage's host hooks as the supervisor does, against the fake cgroupfs's `ops`. */
async function runHooks(
  settings: Partial<CgroupsSettings>,
  ops: CgroupOps,
  o: { id?: string; pid?: number; status?: ExitStatus; whileRunning?: () => void | Promise<void> } = {},
): Promise<HookRun> {
  return runStageHost(stage, settings, { ...o, tap: (hooks, s) => tapHost(hooks, s, ops) });
}

/** Directories below `root` (relative), to see what a run left. */
function dirsIn(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      out.push(path.relative(root, path.join(d, e.name)));
      walk(path.join(d, e.name));
    }
  };
  walk(root);
  return out.sort();
}

function withTree<T>(tree: FakeTree, fn: (t: FakeTree) => Promise<T>): Promise<T> {
  return fn(tree).finally(() => tree.remove());
}

test('sizes, conversions and the schema', () => {
  assert.equal(parseSize('64M'), 64 * 2 ** 20);
  assert.equal(parseSize('1g'), 2 ** 30);
  assert.equal(parseSize('1.5K'), 1536);
  assert.equal(parseSize('512KiB'), 512 * 1024);
  assert.equal(parseSize(4096), 4096);
  assert.throws(() => parseSize('12 parsecs'));
  assert.equal(formatSize(32 * 2 ** 20), '32M');
  assert.equal(formatSize(1000), '1000');
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(weightToShares(1), 2);
  assert.equal(weightToShares(10000), 262144);

  const d = settingsFor(stage, {});
  assert.deepEqual(d, { root: '/sys/fs/cgroup', version: 'auto', parent: 'isolate', removeParent: true });
  assert.throws(() => settingsFor(stage, { memory: { limt: '1M' } }), /limt|additional/);
  assert.throws(() => settingsFor(stage, { memory: { limit: '64 megs' } }));
  assert.throws(() => settingsFor(stage, { memory: { limit: -1 } }));
  assert.throws(() => settingsFor(stage, { name: 'a/b' }));
  assert.throws(() => settingsFor(stage, { name: '..' }));
  assert.throws(() => settingsFor(stage, { parent: 'a/../b' }));
  assert.throws(() => settingsFor(stage, { version: 'v3' }));
  assert.throws(() => settingsFor(stage, { io: { devices: { sda: { readBps: '1M' } } } }));
  assert.throws(() => settingsFor(stage, { io: { devices: { '8:0': {} } } }));
  assert.throws(() => settingsFor(stage, { cpu: { cpus: '0-1,x' } }));
  assert.throws(() => settingsFor(stage, { pids: { max: 0 } }));
  assert.doesNotThrow(() => settingsFor(stage, { parent: 'a/b.c/d', name: 'run-1', io: { devices: { '8:0': { readBps: '1M', writeIops: 5 } } } }));
  // Every setting is documented.
  const undocumented: string[] = [];
  const walk = (props: Record<string, Record<string, unknown>>, at: string): void => {
    for (const [k, p] of Object.entries(props)) {
      if (!p.description) undocumented.push(at + k);
      if (p.properties) walk(p.properties as Record<string, Record<string, unknown>>, `${at}${k}.`);
    }
  };
  walk((stage.schema as { properties: Record<string, Record<string, unknown>> }).properties, '');
  assert.deepEqual(undocumented, []);
});

test('check refuses settings no kernel would take', () => {
  const s = (x: Record<string, unknown>): CgroupsSettings => settingsFor(stage, x);
  assert.deepEqual(checkSettings(s({ memory: { limit: '64M', reservation: '32M' } })), []);
  assert.deepEqual(checkSettings(s({ memory: { limit: '64M', reservation: '1G' } })), ['memory.reservation (1G) is above memory.limit (64M)']);
  assert.deepEqual(checkSettings(s({ cpu: { shares: 512, weight: 50 } })), ['cpu.shares and cpu.weight set the same thing: give one of them']);
  assert.deepEqual(checkSettings(s({ memory: { limit: 0 } })), ['memory.limit 0 leaves no memory to start the command']);
});

test('version detection: statfs on the host, cgroup.controllers in a fake tree', () => {
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [, rest] = m.split(' - ');
    const mountPoint = m.split(' ')[4];
    if (!rest || !mountPoint?.startsWith('/sys/fs/cgroup')) continue;
    const fstype = rest.split(' ')[0];
    if (fstype === 'cgroup2') assert.equal(detectVersion(mountPoint), 'v2', mountPoint);
    if (fstype === 'cgroup') assert.equal(detectVersion(mountPoint), 'v1', mountPoint);
    if (fstype === 'tmpfs' && mountPoint === '/sys/fs/cgroup') assert.equal(detectVersion(mountPoint), 'v1', 'a v1 or hybrid host');
  }
  const v2 = fakeV2();
  const v1 = fakeV1();
  assert.equal(detectVersion(v2.root), 'v2');
  assert.equal(detectVersion(v1.root), 'v1');
  v2.remove();
  v1.remove();
});

test('v2: controllers enabled top-down, every limit written to its file, pid attached, all removed', () =>
  withTree(fakeV2(), async (t) => {
    let leaf = '';
    const run = await runHooks(
      {
        root: t.root,
        version: 'auto',
        parent: 'isolate/nested',
        memory: { limit: '64M', swap: '16M', reservation: '8M' },
        cpu: { shares: 512, quota: 50000, cpus: '0-1', mems: '0' },
        pids: { max: 64 },
        io: { weight: 200, devices: { '8:0': { readBps: '1M', writeBps: 4096, readIops: 100, writeIops: 50 } } },
      },
      t.ops,
      {
        id: 'abc',
        pid: 4242,
        whileRunning() {
          leaf = path.join(t.root, `isolate/nested/isolate-${P}-abc`);
          for (const dir of [t.root, path.join(t.root, 'isolate'), path.join(t.root, 'isolate/nested')]) {
            assert.equal(read(`${dir}/cgroup.subtree_control`), '+cpu +cpuset +io +memory +pids', dir);
          }
          assert.equal(read(`${leaf}/cgroup.controllers`), 'cpu cpuset io memory pids\n');
          const files = {
            'memory.max': String(64 * 2 ** 20),
            'memory.swap.max': String(16 * 2 ** 20),
            'memory.low': String(8 * 2 ** 20),
            'cpu.weight': String(sharesToWeight(512)),
            'cpu.max': '50000 100000',
            'cpuset.cpus': '0-1',
            'cpuset.mems': '0',
            'pids.max': '64',
            'io.weight': 'default 200',
            'cgroup.procs': '4242',
          };
          for (const [f, v] of Object.entries(files)) assert.equal(read(`${leaf}/${f}`), v, f);
          assert.equal(read(`${leaf}/io.max`), '8:0 rbps=1048576 wbps=4096 riops=100 wiops=50');
        },
      },
    );
    assert.equal(run.error, undefined);
    assert.deepEqual(run.warnings, []);
    assert.deepEqual(run.cleanupErrors, []);
    assert.ok(leaf);
    assert.deepEqual(t.made, ['isolate', 'isolate/nested', `isolate/nested/isolate-${P}-abc`].map((d) => path.join(t.root, d)));
    assert.deepEqual(dirsIn(t.root), [], 'the cgroup and its empty parents are gone');
    assert.deepEqual((run.stats.cgroups as { path: string; version: string }).path, `/isolate/nested/isolate-${P}-abc`);
  }));

test('v2: cpu.weight given as weight; only a period leaves the quota at max; stats controllers only when nothing is limited', () =>
  withTree(fakeV2(), async (t) => {
    const run = await runHooks({ root: t.root, cpu: { weight: 300, period: 50000 } }, t.ops, {
      id: 'w',
      whileRunning() {
        const leaf = path.join(t.root, `isolate/isolate-${P}-w`);
        assert.equal(read(`${leaf}/cpu.weight`), '300');
        assert.equal(read(`${leaf}/cpu.max`), 'max 50000');
        assert.equal(read(`${t.root}/cgroup.subtree_control`), '+cpu +memory +pids');
      },
    });
    assert.equal(run.error, undefined);
    const bare = await runHooks({ root: t.root }, t.ops, {
      id: 'bare',
      whileRunning() {
        // Enabled already by the run before (the fake keeps the last write).
        assert.equal(read(`${t.root}/cgroup.subtree_control`), '+cpu +memory +pids');
        assert.equal(read(path.join(t.root, `isolate/isolate-${P}-bare/pids.max`)), 'max\n', 'no limit written');
        assert.equal(read(path.join(t.root, `isolate/isolate-${P}-bare/memory.max`)), 'max\n');
      },
    });
    assert.equal(bare.error, undefined);
    assert.deepEqual(dirsIn(t.root), []);
  }));

test('v2: missing swap accounting is a warning; a missing controller is an error and leaves nothing', () =>
  withTree(fakeV2({ swap: false, controllers: ['cpu', 'memory', 'pids'] }), async (t) => {
    const ok = await runHooks({ root: t.root, memory: { limit: '32M', swap: '32M' } }, t.ops, { id: 'noswap' });
    assert.equal(ok.error, undefined);
    assert.equal(ok.warnings.length, 1);
    assert.match(ok.warnings[0]!, /^memory\.swap \(32M\) is not applied: .*memory\.swap\.max does not exist \(swap accounting is off/);

    const bad = await runHooks({ root: t.root, io: { weight: 100 }, cpu: { cpus: '0' } }, t.ops, { id: 'noio' });
    assert.equal(
      bad.error?.message,
      `the cgroup v2 controller(s) cpuset, io needed for the limits are not available in ${t.root} (cgroup.controllers: cpu memory pids)`,
    );
    assert.deepEqual(dirsIn(t.root), []);
    assert.deepEqual(bad.cleanupErrors, []);
  }));

test('v2: an existing cgroup of that name is refused and left alone', () =>
  withTree(fakeV2(), async (t) => {
    t.ops.mkdir(path.join(t.root, 'isolate'));
    t.ops.mkdir(path.join(t.root, 'isolate/taken'));
    fs.writeFileSync(path.join(t.root, 'isolate/taken/pids.max'), '5\n');
    const run = await runHooks({ root: t.root, name: 'taken', pids: { max: 10 } }, t.ops);
    assert.equal(
      run.error?.message,
      `cgroup /isolate/taken already exists (${t.root}/isolate/taken): another container may be using it; choose another cgroups name or remove that cgroup`,
    );
    assert.deepEqual(dirsIn(t.root), ['isolate', 'isolate/taken']);
    assert.equal(read(path.join(t.root, 'isolate/taken/pids.max')), '5\n', 'its settings untouched');
    assert.deepEqual(run.cleanupErrors, []);
  }));

test('v2: figures and findings are read from the cgroup files at exit', () =>
  withTree(fakeV2(), async (t) => {
    const leaf = path.join(t.root, `isolate/isolate-${P}-st`);
    const run = await runHooks({ root: t.root, memory: { limit: '64M' }, pids: { max: 128 } }, t.ops, {
      id: 'st',
      status: { code: 137, signal: 'SIGKILL' },
      whileRunning() {
        // What the kernel would have counted meanwhile.
        fs.writeFileSync(`${leaf}/memory.peak`, '67108864\n');
        fs.writeFileSync(`${leaf}/cpu.stat`, 'usage_usec 4242\nuser_usec 4000\nsystem_usec 242\nnr_periods 0\n');
        fs.writeFileSync(`${leaf}/pids.peak`, '128\n');
        fs.writeFileSync(`${leaf}/memory.events`, 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
        fs.writeFileSync(`${leaf}/pids.events`, 'max 37\n');
      },
    });
    assert.equal(run.error, undefined);
    assert.deepEqual(run.stats.cgroups, {
      version: 'v2',
      path: `/isolate/isolate-${P}-st`,
      memoryPeakBytes: 67108864,
      cpuUsec: 4242,
      cpuUserUsec: 4000,
      cpuSystemUsec: 242,
      pidsPeak: 128,
      oomKills: 1,
      pidsLimitHits: 37,
    });
    assert.deepEqual(run.reports, ['container was killed by the OOM killer (memory limit 64M)', 'the pids limit (128) was reached: 37 fork/clone calls failed']);
  }));

test('v2: without memory.peak and pids.peak the figures are null or what was seen; a survivor of an OOM kill is told apart', () =>
  withTree(fakeV2({ peak: false }), async (t) => {
    const leaf = path.join(t.root, `isolate/isolate-${P}-np`);
    const run = await runHooks({ root: t.root }, t.ops, {
      id: 'np',
      status: { code: 0 },
      whileRunning() {
        fs.writeFileSync(`${leaf}/memory.events`, 'oom_kill 2\n');
      },
    });
    const s = run.stats.cgroups as Record<string, unknown>;
    assert.equal(s.memoryPeakBytes, null);
    assert.equal(s.pidsPeak, 0, 'pids.current as seen at attach');
    assert.deepEqual(run.reports, ['the OOM killer killed 2 processes in the container']);
  }));

test('v2: cleanup kills what is left (cgroup.kill, then SIGKILL by pid) before removing the cgroup', () =>
  withTree(fakeV2(), async (t) => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const gone = new Promise<NodeJS.Signals | null>((resolve) => sleeper.on('exit', (_code, signal) => resolve(signal)));
    let killFile = '';
    const ops: CgroupOps = {
      mkdir: t.ops.mkdir,
      rmdir(dir) {
        if (dir.endsWith(`isolate-${P}-k`)) killFile = read(`${dir}/cgroup.kill`);
        t.ops.rmdir(dir);
      },
    };
    const run = await runHooks({ root: t.root }, ops, { id: 'k', pid: sleeper.pid! });
    assert.deepEqual(run.cleanupErrors, []);
    assert.equal(await gone, 'SIGKILL');
    assert.equal(killFile, '1', 'cgroup.kill was written');
    assert.deepEqual(dirsIn(t.root), []);
  }));

test('v2: concurrent runs share the parent; the last one removes it; a vanished parent is made again', () =>
  withTree(fakeV2(), async (t) => {
    // One run alone: it makes the parent and removes it after.
    await runHooks({ root: t.root }, t.ops, {
      id: 'a',
      whileRunning() {
        assert.deepEqual(dirsIn(t.root), ['isolate', `isolate/isolate-${P}-a`]);
      },
    });
    assert.deepEqual(dirsIn(t.root), []);

    const parent = path.join(t.root, 'isolate');
    let raced = false;
    // Another run removes the (empty) parent right after this run made it.
    const racing: CgroupOps = {
      mkdir(dir) {
        if (dir.endsWith(`isolate-${P}-b`) && !raced) {
          raced = true;
          t.ops.rmdir(parent);
        }
        t.ops.mkdir(dir);
      },
      rmdir: t.ops.rmdir,
    };
    const b = await runHooks({ root: t.root, pids: { max: 3 } }, racing, {
      id: 'b',
      whileRunning() {
        assert.equal(read(path.join(parent, `isolate-${P}-b/pids.max`)), '3');
      },
    });
    assert.ok(raced);
    assert.equal(b.error, undefined);
    assert.deepEqual(dirsIn(t.root), []);

    // Two live runs: the first to finish leaves the busy parent.
    const events: string[] = [];
    let releaseC!: () => void;
    const cHeld = new Promise<void>((r) => (releaseC = r));
    const c = runHooks({ root: t.root }, t.ops, {
      id: 'c',
      whileRunning: async () => {
        events.push('c created');
        await cHeld;
      },
    }).then(() => void events.push('c removed'));
    await new Promise((r) => setImmediate(r));
    const d = await runHooks({ root: t.root }, t.ops, { id: 'd' });
    events.push('d done');
    assert.deepEqual(d.cleanupErrors, []);
    assert.deepEqual(dirsIn(t.root), ['isolate', `isolate/isolate-${P}-c`], 'd removed its cgroup, not the parent c still uses');
    releaseC();
    await c;
    assert.deepEqual(events, ['c created', 'd done', 'c removed']);
    assert.deepEqual(dirsIn(t.root), []);

    const kept = await runHooks({ root: t.root, removeParent: false }, t.ops, { id: 'e' });
    assert.equal(kept.error, undefined);
    assert.deepEqual(dirsIn(t.root), ['isolate'], 'removeParent: false keeps the parent');
  }));

test('v1: one cgroup per hierarchy (co-mounted once), limits in the v1 files, cpuset copied from the parent', () =>
  withTree(fakeV1(), async (t) => {
    const run = await runHooks(
      {
        root: t.root,
        memory: { limit: '64M', swap: '64M', reservation: '16M' },
        cpu: { weight: 50, quota: 20000, period: 50000 },
        pids: { max: 32 },
        io: { weight: 300, devices: { '8:0': { readBps: '2M', writeBps: '1M', readIops: 10, writeIops: 20 } } },
      },
      t.ops,
      {
        id: 'v1',
        pid: 4343,
        whileRunning() {
          const at = (h: string, f: string): string => read(path.join(t.root, h, `isolate/isolate-${P}-v1`, f));
          assert.equal(at('memory', 'memory.limit_in_bytes'), String(64 * 2 ** 20));
          assert.equal(at('memory', 'memory.memsw.limit_in_bytes'), String(128 * 2 ** 20), 'memory + swap');
          assert.equal(at('memory', 'memory.soft_limit_in_bytes'), String(16 * 2 ** 20));
          assert.equal(at('cpu,cpuacct', 'cpu.shares'), String(weightToShares(50)));
          assert.equal(at('cpu,cpuacct', 'cpu.cfs_period_us'), '50000');
          assert.equal(at('cpu,cpuacct', 'cpu.cfs_quota_us'), '20000');
          assert.equal(at('pids', 'pids.max'), '32');
          assert.equal(at('blkio', 'blkio.bfq.weight'), '300');
          assert.equal(at('blkio', 'blkio.throttle.read_bps_device'), `8:0 ${2 * 2 ** 20}`);
          assert.equal(at('blkio', 'blkio.throttle.write_bps_device'), `8:0 ${2 ** 20}`);
          assert.equal(at('blkio', 'blkio.throttle.read_iops_device'), '8:0 10');
          assert.equal(at('blkio', 'blkio.throttle.write_iops_device'), '8:0 20');
          // The new parent and the run's cpuset got the root's cpus and mems.
          assert.equal(read(path.join(t.root, 'cpuset/isolate/cpuset.cpus')), '0-3');
          assert.equal(read(path.join(t.root, 'cpuset/isolate/cpuset.mems')), '0');
          assert.equal(at('cpuset', 'cpuset.cpus'), '0-3');
          assert.equal(at('cpuset', 'cpuset.mems'), '0');
          for (const h of ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'blkio']) assert.equal(at(h, 'cgroup.procs'), '4343', h);
        },
      },
    );
    assert.equal(run.error, undefined);
    assert.deepEqual(run.warnings, []);
    assert.deepEqual(run.cleanupErrors, []);
    assert.equal(t.made.length, 10, 'parent and leaf in each of the 5 hierarchies (cpu,cpuacct once)');
    assert.deepEqual(dirsIn(t.root), ['blkio', 'cpu,cpuacct', 'cpuset', 'memory', 'pids']);
  }));

test('v1: explicit cpus and mems; shares as given; CFQ blkio.weight; no memsw warns; weight above 1000 fails', () =>
  withTree(fakeV1({ memsw: false, cfq: true, hierarchies: ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio'] }), async (t) => {
    const run = await runHooks({ root: t.root, cpu: { shares: 256, cpus: '1', mems: '0' }, memory: { limit: '8M', swap: '8M' }, io: { weight: 700 } }, t.ops, {
      id: 'x',
      whileRunning() {
        const at = (h: string, f: string): string => read(path.join(t.root, h, `isolate/isolate-${P}-x`, f));
        assert.equal(at('cpuset', 'cpuset.cpus'), '1');
        assert.equal(at('cpuset', 'cpuset.mems'), '0');
        assert.equal(at('cpu', 'cpu.shares'), '256');
        assert.equal(at('cpu', 'cpu.cfs_quota_us'), '-1\n', 'no quota written');
        assert.equal(at('blkio', 'blkio.weight'), '700');
        assert.equal(at('memory', 'memory.limit_in_bytes'), String(8 * 2 ** 20));
      },
    });
    assert.equal(run.error, undefined);
    assert.deepEqual(run.warnings, [
      `memory.swap (8M) is not applied: ${t.root}/memory/isolate/isolate-${P}-x/memory.memsw.limit_in_bytes does not exist (swap accounting is off: boot with swapaccount=1)`,
    ]);
    const swapOnly = await runHooks({ root: t.root, memory: { swap: '1G' } }, t.ops, { id: 'y' });
    assert.match(swapOnly.warnings[0]!, /cgroup v1 limits memory and swap together and needs memory.limit/);
    const heavy = await runHooks({ root: t.root, io: { weight: 5000 } }, t.ops, { id: 'z' });
    assert.equal(heavy.error?.message, 'io.weight 5000 is above 1000, the most blkio.weight (cgroup v1) accepts');
    assert.deepEqual(dirsIn(t.root), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'memory', 'pids'], 'the failed run left nothing either');
  }));

test('v1: a controller the limits need must be mounted; a name taken in any hierarchy is refused', () =>
  withTree(fakeV1({ hierarchies: ['cpu,cpuacct', 'memory', 'pids'] }), async (t) => {
    const noBlkio = await runHooks({ root: t.root, io: { weight: 100 } }, t.ops);
    assert.equal(noBlkio.error?.message, `the cgroup v1 controller(s) blkio needed for the limits are not mounted under ${t.root}`);
    t.ops.mkdir(path.join(t.root, 'pids/mine'));
    const taken = await runHooks({ root: t.root, parent: '', name: 'mine' }, t.ops);
    assert.match(taken.error!.message, /^cgroup \/mine already exists \(.*\/pids\/mine\)/);
    assert.deepEqual(dirsIn(t.root), ['cpu,cpuacct', 'memory', 'pids', 'pids/mine'], 'nothing made in the other hierarchies, the taken one kept');
  }));

test('v1: figures from memory, cpuacct and pids files; OOM from oom_control, or failcnt on old kernels', async () => {
  await withTree(fakeV1(), async (t) => {
    const at = (h: string, f: string): string => path.join(t.root, h, `isolate/isolate-${P}-f`, f);
    const run = await runHooks({ root: t.root, memory: { limit: '32M' }, pids: { max: 32 } }, t.ops, {
      id: 'f',
      status: { code: 137, signal: 'SIGKILL' },
      whileRunning() {
        fs.writeFileSync(at('memory', 'memory.max_usage_in_bytes'), '33554432\n');
        fs.writeFileSync(at('cpu,cpuacct', 'cpuacct.usage'), '123456789\n');
        fs.writeFileSync(at('cpu,cpuacct', 'cpuacct.usage_user'), '100000000\n');
        fs.writeFileSync(at('cpu,cpuacct', 'cpuacct.usage_sys'), '23456789\n');
        fs.writeFileSync(at('pids', 'pids.current'), '9\n');
        fs.writeFileSync(at('memory', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
        fs.writeFileSync(at('pids', 'pids.events'), 'max 1\n');
      },
    });
    assert.equal(run.error, undefined);
    assert.deepEqual(run.stats.cgroups, {
      version: 'v1',
      path: `/isolate/isolate-${P}-f`,
      memoryPeakBytes: 33554432,
      cpuUsec: 123457,
      cpuUserUsec: 100000,
      cpuSystemUsec: 23457,
      pidsPeak: 0, // no pids.peak in this fake: the most pids.current seen (at attach and start)
      oomKills: 1,
      pidsLimitHits: 1,
    });
    assert.deepEqual(run.reports, ['container was killed by the OOM killer (memory limit 32M)', 'the pids limit (32) was reached: 1 fork/clone call failed']);
  });
  await withTree(fakeV1({ oomKill: false }), async (t) => {
    const run = await runHooks({ root: t.root, memory: { limit: '16M' } }, t.ops, {
      id: 'old',
      status: { code: 137, signal: 'SIGKILL' },
      whileRunning() {
        fs.writeFileSync(path.join(t.root, `memory/isolate/isolate-${P}-old/memory.failcnt`), '42\n');
      },
    });
    assert.equal((run.stats.cgroups as { oomKills: unknown }).oomKills, null);
    assert.deepEqual(run.reports, ['container was probably killed by the OOM killer: the memory limit 16M was reached 42 times']);
  });
});
