import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runStageUnit, runContainer, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { DEFAULT_PATH } from '../src';

nothingLeftAfterAll();

test('unit: a clean environment with PATH, HOME, HOSTNAME and the profile variables', () => {
  const { ctx, sys } = runStageUnit(stage, { inherit: [], vars: { A: '1', HOME: '/home/x' }, cwd: '/srv', umask: '0077' }, { prepare: (c) => void (c.hostname = 'h') });
  assert.deepEqual(ctx.env, { PATH: DEFAULT_PATH, HOME: '/home/x', HOSTNAME: 'h', A: '1' });
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [['chdir', '/srv'], ['umask', 0o077]]);
  assert.equal(ctx.cwd, '/srv');
});

test('unit: inherit passes host variables that are set; clear: false starts from the host', () => {
  process.env.ISOLATE_TEST_VAR = 'yes';
  const a = runStageUnit(stage, { inherit: ['ISOLATE_TEST_VAR', 'ISOLATE_UNSET_VAR'] });
  assert.equal(a.ctx.env.ISOLATE_TEST_VAR, 'yes');
  assert.ok(!('ISOLATE_UNSET_VAR' in a.ctx.env));
  const b = runStageUnit(stage, { clear: false });
  assert.equal(b.ctx.env.ISOLATE_TEST_VAR, 'yes');
  delete process.env.ISOLATE_TEST_VAR;
});

test('real: env, cwd and umask reach the command', async () => {
  const r = await runContainer(
    { stages: [{ name: 'namespaces', with: { unshare: ['mount'] } }, { name: 'env', with: { inherit: [], vars: { GREETING: 'hi there' }, cwd: '/etc', umask: '0027' } }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'env | grep -v "^PWD=\\|^SHLVL=\\|^_=" | sort; pwd; umask'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, `GREETING=hi there\nHOME=/root\nPATH=${DEFAULT_PATH}\n/etc\n0027\n`);
});

test('real: a working directory that does not exist is a clear failure', async () => {
  const r = await runContainer({ stages: [{ name: 'namespaces', with: { unshare: ['mount'] } }, { name: 'env', with: { cwd: '/nonexistent' } }, { name: 'exec' }] }, ['/bin/true']);
  assert.equal(r.exitCode, 125);
  assert.equal(r.failure?.stage, 'env');
  assert.equal(r.failure?.step, 'chdir /nonexistent');
  assert.equal(r.failure?.code, 'ENOENT');
});
