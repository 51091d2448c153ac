import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStageUnit, runContainer, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { DEFAULT_LINKS } from '../src';

nothingLeftAfterAll();

test('unit: the six /dev links', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-links-'));
  const { sys } = runStageUnit(stage, {}, { namespaces: ['mount'], root });
  assert.deepEqual(
    sys.argsOf('symlink'),
    Object.entries(DEFAULT_LINKS).map(([at, target]) => [target, path.join(root, at)]),
  );
  fs.rmSync(root, { recursive: true });
});

test('unit: extra links; an existing link is replaced, an existing file is an error', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-links-'));
  fs.mkdirSync(path.join(root, 'dev'));
  fs.symlinkSync('old', path.join(root, 'dev', 'fd'));
  const ok = runStageUnit(stage, { extra: { '/dev/kmsg': '/dev/null' } }, { namespaces: ['mount'], root });
  assert.equal(ok.failure, undefined);
  assert.ok(!fs.existsSync(path.join(root, 'dev', 'fd')), 'the old link was removed before the new one');
  assert.deepEqual(ok.sys.argsOf('symlink').at(-1), ['/dev/null', path.join(root, 'dev/kmsg')]);
  fs.writeFileSync(path.join(root, 'dev', 'stdin'), '');
  const bad = runStageUnit(stage, {}, { namespaces: ['mount'], root });
  assert.equal(bad.failure?.report.code, 'EEXIST');
  assert.equal(bad.failure?.report.step, 'link /dev/stdin -> /proc/self/fd/0');
  fs.rmSync(root, { recursive: true });
});

test('real: the links resolve and work in the container', async () => {
  // The test harness's stdio are sockets, which /proc/self/fd/N cannot reopen (ENXIO): go
  // through pipes the shell makes, as a terminal or pipe user would have.
  const r = await runContainer('default', ['/bin/sh', '-c', '{ echo via-stdout > /dev/stdout; } | cat; { echo via-stderr > /dev/stderr; } 2>&1 | cat >&2; ls /dev/fd/ | sort -n | head -3 | tr "\\n" " "; echo; test -e /dev/ptmx && echo ptmx-ok'], {});
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stderr, 'via-stderr\n');
  assert.deepEqual(r.stdout.trim().split('\n'), ['via-stdout', '0 1 2 ', 'ptmx-ok']);
});
