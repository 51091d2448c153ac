import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MS } from '@isolate/sys';
import { runStageUnit, runContainer, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { DEFAULT_MASKED } from '../src';

nothingLeftAfterAll();

test('unit: files get /dev/null, directories an empty read-only tmpfs, missing paths are skipped', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-mask-'));
  fs.mkdirSync(path.join(root, 'proc/acpi'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc/keys'), 'secret');
  fs.mkdirSync(path.join(root, 'dev'));
  // a character device stands in for /dev/null: use the host's through a symlink inside root
  fs.symlinkSync('/dev/null', path.join(root, 'dev/null-host'));
  const { sys, failure } = runStageUnit(stage, { paths: ['/proc/acpi', '/proc/keys', '/proc/none'] }, { namespaces: ['mount'], root });
  // The root has no /dev/null: masking a file is refused with a clear reason.
  assert.match(failure!.message, /masking \/proc\/keys needs \/dev\/null in the container/);
  assert.deepEqual(sys.argsOf('mount')[0], ['tmpfs', `${root}/proc/acpi`, 'tmpfs', MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'size=0,mode=555']);
  fs.rmSync(root, { recursive: true });
});

test('the default list covers the seed table and runc defaults', () => {
  for (const p of ['/proc/kcore', '/proc/timer_stats', '/proc/sched_debug', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/scsi', '/sys/firmware', '/proc/acpi']) {
    assert.ok(DEFAULT_MASKED.includes(p), p);
  }
});

test('real: masked files read empty, masked directories are empty and read-only', async () => {
  const present = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/interrupts', '/proc/sched_debug'].filter((p) => fs.existsSync(p));
  const dirs = ['/sys/firmware', '/proc/acpi'].filter((p) => fs.existsSync(p));
  const script = [
    ...present.map((p) => `echo "${p} $(wc -c < ${p})"`),
    ...dirs.map((p) => `echo "${p} $(ls -A ${p} | wc -l) $(touch ${p}/x 2>/dev/null && echo rw || echo ro)"`),
  ].join('; ');
  const r = await runContainer(
    { stages: [{ name: 'namespaces' }, { name: 'rootfs' }, { name: 'mounts' }, { name: 'devices' }, { name: 'pivot-root' }, { name: 'masked-paths' }, { name: 'exec' }] },
    ['/bin/sh', '-c', script],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [...present.map((p) => `${p} 0`), ...dirs.map((p) => `${p} 0 ro`)]);
  assert.ok(present.length + dirs.length >= 3, 'this host has something to mask');
});
