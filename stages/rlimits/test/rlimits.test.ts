import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RLIMIT, RLIM_INFINITY, FakeSys } from '@isolate/sys';
import { runStageUnit, runContainer, planOf, settingsFor, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

test('unit: each limit by any spelling, a single value for both, unlimited', () => {
  const { sys } = runStageUnit(stage, { limits: { nofile: { soft: 100, hard: 200 }, RLIMIT_NPROC: 50, Core: 'unlimited' } });
  assert.deepEqual(sys.argsOf('setrlimit'), [
    [RLIMIT.NOFILE, 100n, 200n],
    [RLIMIT.NPROC, 50n, 50n],
    [RLIMIT.CORE, RLIM_INFINITY, RLIM_INFINITY],
  ]);
});

test('the default gives a sensible nofile', () => {
  assert.deepEqual(settingsFor(stage, {}).limits, { nofile: { soft: 1024, hard: 'inherit' } });
  const sys = new FakeSys();
  sys.rlimits.set(RLIMIT.NOFILE, { soft: 20000n, hard: 20000n });
  runStageUnit(stage, {}, { sys });
  assert.deepEqual(sys.argsOf('setrlimit'), [[RLIMIT.NOFILE, 1024n, 20000n]], 'the hard limit is kept');
});

test('unknown limits and soft above hard are refused at plan time', () => {
  assert.throws(() => planOf({ stages: [{ name: 'rlimits', with: { limits: { nofiles: 10 } } }, { name: 'exec' }] }), /unknown limit 'nofiles' \(expected one of: cpu, fsize/);
  assert.throws(() => planOf({ stages: [{ name: 'rlimits', with: { limits: { nofile: { soft: 10, hard: 5 } } } }, { name: 'exec' }] }), /nofile: the soft limit is above the hard limit/);
  assert.throws(() => settingsFor(stage, { limits: { nofile: 'lots' } }));
});

test('real: the limits are visible in /proc/self/limits', async () => {
  const r = await runContainer(
    { stages: [{ name: 'namespaces', with: { unshare: ['mount', 'pid'] } }, { name: 'mounts', with: { system: ['proc'] } }, { name: 'rlimits', with: { limits: { nofile: { soft: 512, hard: 1024 }, nproc: 77, core: 'unlimited' } } }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'grep -E "^Max (open files|processes|core file size)" /proc/self/limits | tr -s " "; ulimit -n'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'Max core file size unlimited unlimited bytes ',
    'Max processes 77 77 processes ',
    'Max open files 512 1024 files ',
    '512',
  ]);
});
