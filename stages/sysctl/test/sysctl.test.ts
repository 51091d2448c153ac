import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStageUnit, runContainer, planOf, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { namespaceOf, sysctlPath } from '../src';

nothingLeftAfterAll();

test('which sysctls are namespaced', () => {
  assert.equal(namespaceOf('net.ipv4.ip_forward'), 'net');
  assert.equal(namespaceOf('kernel.shmmax'), 'ipc');
  assert.equal(namespaceOf('fs.mqueue.msg_max'), 'ipc');
  assert.equal(namespaceOf('kernel.domainname'), 'uts');
  assert.equal(namespaceOf('kernel.panic'), undefined);
  assert.equal(namespaceOf('vm.swappiness'), undefined);
  assert.equal(sysctlPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
});

test('non-namespaced sysctls, and namespaced ones without their namespace, are refused', () => {
  assert.throws(
    () => planOf({ stages: [{ name: 'namespaces' }, { name: 'sysctl', with: { values: { 'kernel.panic': 1 } } }, { name: 'exec' }] }),
    /stage sysctl: kernel\.panic is not namespaced: setting it would change the host/,
  );
  assert.throws(
    () => planOf({ stages: [{ name: 'namespaces', with: { unshare: ['mount'] } }, { name: 'sysctl', with: { values: { 'net.ipv4.ip_forward': 1 } } }, { name: 'exec' }] }),
    /net\.ipv4\.ip_forward needs a net namespace/,
  );
});

test('unit: values are written to the root\'s /proc/sys', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-sysctl-'));
  fs.mkdirSync(path.join(root, 'proc/sys/net/ipv4'), { recursive: true });
  const { failure } = runStageUnit(stage, { values: { 'net.ipv4.ip_forward': 1 } }, { namespaces: ['net'], root });
  assert.equal(failure, undefined);
  assert.equal(fs.readFileSync(path.join(root, 'proc/sys/net/ipv4/ip_forward'), 'utf8'), '1');
  const refused = runStageUnit(stage, { values: { 'net.ipv4.ip_forward': 1 } }, { root });
  assert.match(refused.failure!.message, /refusing to set net\.ipv4\.ip_forward outside a net namespace/);
  fs.rmSync(root, { recursive: true });
});

test('real: sysctls apply inside, before /proc/sys turns read-only, and the host keeps its values', async () => {
  const hostPorts = fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
  const hostShm = fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8');
  const r = await runContainer(
    {
      stages: [
        { name: 'namespaces' },
        { name: 'rootfs' },
        { name: 'mounts' },
        { name: 'devices' },
        { name: 'pivot-root' },
        { name: 'readonly-paths' },
        { name: 'sysctl', with: { values: { 'net.ipv4.ip_unprivileged_port_start': 80, 'kernel.shmmni': 1234 } } },
        { name: 'exec' },
      ],
    },
    ['/bin/sh', '-c', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni; echo 5 > /proc/sys/kernel/shmmni 2>/dev/null || echo ro'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '80\n1234\nro\n');
  assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'), hostPorts);
  assert.equal(fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8'), hostShm);
});
