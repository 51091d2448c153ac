import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MS } from '@isolate/sys';
import { runStageUnit, runContainer, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { DEFAULT_READONLY } from '../src';

nothingLeftAfterAll();

test('unit: bind onto itself, then remount read-only; missing paths skipped', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-ro-'));
  fs.mkdirSync(path.join(root, 'proc/sys'), { recursive: true });
  const { sys } = runStageUnit(stage, { paths: ['/proc/sys', '/proc/missing'] }, { namespaces: ['mount'], root });
  const t = `${root}/proc/sys`;
  assert.deepEqual(sys.argsOf('mount'), [
    [t, t, null, MS.BIND | MS.REC, null],
    [null, t, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null],
  ]);
  fs.rmSync(root, { recursive: true });
});

test('the default list is the seed table', () => {
  assert.deepEqual(DEFAULT_READONLY, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
});

test('real: /proc/sys and /proc/sysrq-trigger cannot be written, even by root', async () => {
  const r = await runContainer(
    { stages: [{ name: 'namespaces' }, { name: 'rootfs' }, { name: 'mounts' }, { name: 'devices' }, { name: 'pivot-root' }, { name: 'readonly-paths' }, { name: 'hostname' }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'echo x > /proc/sys/kernel/hostname 2>/dev/null && echo hostname-written || echo hostname-ro; echo 1 > /proc/sys/net/ipv4/ip_forward 2>/dev/null && echo net-written || echo net-ro; echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq-written || echo sysrq-ro; cat /proc/sys/kernel/hostname'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['hostname-ro', 'net-ro', 'sysrq-ro', 'isolate']);
});
