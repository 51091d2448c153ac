import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { CLONE, MS, FakeSys } from '@isolate/sys';
import { runStageUnit, runContainer, settingsFor, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

test('unit: one unshare call for the init-side namespaces, then private propagation and lo up', () => {
  const { sys, ctx } = runStageUnit(stage, { unshare: ['mount', 'net', 'pid', 'uts'] });
  assert.deepEqual(sys.argsOf('unshare'), [[CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWNET]]);
  assert.deepEqual(sys.argsOf('mount'), [[null, '/', null, MS.REC | MS.PRIVATE, null]]);
  assert.deepEqual(sys.argsOf('linkUp'), [['lo']]);
  assert.deepEqual([...ctx.namespaces].sort(), ['mount', 'net', 'uts']);
});

test('unit: slave propagation and no loopback when asked; pid alone unshares nothing in the init', () => {
  const a = runStageUnit(stage, { unshare: ['mount', 'net'], propagation: 'slave', loopback: false });
  assert.deepEqual(a.sys.argsOf('mount'), [[null, '/', null, MS.REC | MS.SLAVE, null]]);
  assert.deepEqual(a.sys.argsOf('linkUp'), []);
  const b = runStageUnit(stage, { unshare: ['pid'] });
  assert.deepEqual(b.sys.calls, []);
});

test('unit: a failing unshare is reported with stage, step and errno', () => {
  const { failure } = runStageUnit(stage, {}, { sys: new FakeSys().failNext('unshare', 'EPERM') });
  assert.equal(failure?.report.stage, 'namespaces');
  assert.equal(failure?.report.step, 'unshare mount, uts, ipc, net, cgroup');
  assert.equal(failure?.report.code, 'EPERM');
});

test('schema: user is not offered yet, duplicates are refused', () => {
  assert.throws(() => settingsFor(stage, { unshare: ['user'] }));
  assert.throws(() => settingsFor(stage, { unshare: ['net', 'net'] }));
});

function hostNs(kind: string): string {
  return fs.readlinkSync(`/proc/self/ns/${kind}`);
}

test('real: each requested namespace differs from the host, the others are shared', async () => {
  const kinds = ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'];
  const script = kinds.map((k) => `readlink /proc/self/ns/${k}`).join('; ');
  const all = await runContainer({ stages: [{ name: 'namespaces' }, { name: 'mounts', with: { system: ['proc'] } }, { name: 'exec' }] }, ['/bin/sh', '-c', script]);
  assert.equal(all.exitCode, 0, all.stderr);
  all.stdout.trim().split('\n').forEach((ns, i) => assert.notEqual(ns, hostNs(kinds[i]!), kinds[i]));

  const some = await runContainer({ stages: [{ name: 'namespaces', with: { unshare: ['uts', 'net'] } }, { name: 'exec' }] }, ['/bin/sh', '-c', script]);
  assert.equal(some.exitCode, 0, some.stderr);
  const got = some.stdout.trim().split('\n');
  kinds.forEach((k, i) => (['uts', 'net'].includes(k) ? assert.notEqual(got[i], hostNs(k), k) : assert.equal(got[i], hostNs(k), k)));
});

test('real: mounts made inside do not propagate to the host', async () => {
  const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const r = await runContainer({ stages: [{ name: 'namespaces', with: { unshare: ['mount'] } }, { name: 'mounts', with: { tmpfs: [{ target: '/mnt' }], system: [] } }, { name: 'exec' }] }, [
    '/bin/sh',
    '-c',
    'grep -c " /mnt " /proc/self/mountinfo',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '1\n');
  assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8'), before);
});

test('real: lo is up in a new network namespace, and only lo exists', async () => {
  const r = await runContainer({ stages: [{ name: 'namespaces', with: { unshare: ['net'] } }, { name: 'exec' }] }, ['/bin/sh', '-c', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; ip -o link show lo 2>/dev/null | grep -o "<[^>]*>"']);
  assert.equal(r.exitCode, 0, r.stderr);
  const [iface, flags] = r.stdout.trim().split('\n');
  assert.equal(iface, 'lo');
  if (flags) assert.match(flags, /\bUP\b/);
});
