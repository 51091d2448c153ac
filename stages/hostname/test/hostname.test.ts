import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { runStageUnit, runContainer, settingsFor, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

test('unit: sethostname and setdomainname, and the context learns the name', () => {
  const { sys, ctx } = runStageUnit(stage, { hostname: 'box', domainname: 'lan' }, { namespaces: ['uts'] });
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [['sethostname', 'box'], ['setdomainname', 'lan']]);
  assert.equal(ctx.hostname, 'box');
});

test('unit: refuses to rename the host', () => {
  const { sys, failure } = runStageUnit(stage, { hostname: 'box' });
  assert.match(failure!.message, /refusing to set the hostname outside a uts namespace/);
  assert.equal(sys.calls.length, 0);
});

test('schema: hostnames are checked', () => {
  assert.throws(() => settingsFor(stage, { hostname: 'has space' }));
  assert.throws(() => settingsFor(stage, { hostname: 'x'.repeat(64) }));
  assert.equal(settingsFor(stage, {}).hostname, 'isolate');
});

test('real: the container has its own hostname and the host keeps its own', async () => {
  const host = os.hostname();
  const r = await runContainer({ stages: [{ name: 'namespaces', with: { unshare: ['uts'] } }, { name: 'hostname', with: { hostname: 'sandbox-1', domainname: 'example' } }, { name: 'exec' }] }, [
    '/bin/sh',
    '-c',
    'hostname; cat /proc/sys/kernel/domainname',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, 'sandbox-1\nexample\n');
  assert.equal(os.hostname(), host);
});
