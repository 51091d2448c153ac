import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { F, FakeSys } from '@isolate/sys';
import { execFileSync } from 'node:child_process';
import { runStageUnit, runContainer, writeProfile, ISOLATE_BIN, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { findCommand } from '../src';

nothingLeftAfterAll();

test('unit: stdio made inheritable, other fds close-on-exec, then execve with argv and env', () => {
  const { sys, failure } = runStageUnit(stage, {}, { command: ['sh', '-c', 'true'], prepare: (c) => void (c.env = { PATH: '/usr/bin:/bin', X: '1' }) });
  assert.equal(failure?.report.message, 'execve /usr/bin/sh'); // FakeExec stops the run here
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [
    ['setsid'],
    ['fcntl', 0, F.SETFD, 0],
    ['fcntl', 1, F.SETFD, 0],
    ['fcntl', 2, F.SETFD, 0],
    ['closeRangeCloexec', 3],
    ['execve', '/usr/bin/sh', ['sh', '-c', 'true'], ['PATH=/usr/bin:/bin', 'X=1']],
  ]);
});

test('unit: execve errors map to 127 (missing loader) and 126 (not executable)', () => {
  const a = runStageUnit(stage, {}, { sys: new FakeSys().failNext('execve', 'ENOENT'), command: ['/bin/sh'] });
  assert.equal(a.failure?.exitCode, 127);
  assert.match(a.failure!.message, /interpreter or loader missing/);
  const b = runStageUnit(stage, {}, { sys: new FakeSys().failNext('execve', 'ENOEXEC'), command: ['/bin/sh'] });
  assert.equal(b.failure?.exitCode, 126);
});

test('findCommand: PATH order, non-executables skipped, clear errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-exec-'));
  fs.mkdirSync(path.join(dir, 'a'));
  fs.mkdirSync(path.join(dir, 'b'));
  fs.writeFileSync(path.join(dir, 'a', 'tool'), '', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'b', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'a', 'only-data'), '', { mode: 0o644 });
  const p = `${dir}/a:${dir}/b`;
  assert.equal(findCommand('tool', p), `${dir}/b/tool`);
  // root may execute a file with no x bit only if some x bit is set: 0644 is not executable
  assert.throws(() => findCommand('only-data', p), (e: Error & { exitCode?: number }) => e.exitCode === 126);
  assert.throws(() => findCommand('missing', p), (e: Error & { exitCode?: number }) => e.exitCode === 127 && /command not found/.test(e.message));
  assert.throws(() => findCommand(`${dir}/a`, p), (e: Error & { exitCode?: number }) => e.exitCode === 126 && /is a directory/.test(e.message));
  fs.rmSync(dir, { recursive: true });
});

test('real: the command replaces the init (same PID), and inherits no extra descriptors', async () => {
  const r = await runContainer({ stages: [{ name: 'namespaces', with: { unshare: ['mount', 'pid'] } }, { name: 'mounts', with: { system: ['proc'] } }, { name: 'exec' }] }, [
    '/bin/sh',
    '-c',
    'echo $$; ls /proc/self/fd | sort -n | tr "\\n" " "; echo; cat /proc/1/comm',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  const [pid, fds, comm] = r.stdout.trim().split('\n');
  assert.equal(pid, '1');
  assert.equal(fds!.trim(), '0 1 2 3', 'stdio plus the fd ls opens on /proc/self/fd');
  assert.equal(comm, 'sh');
});

test('real: a missing command is 127 with the message', async () => {
  const r = await runContainer('minimal', ['definitely-not-a-command']);
  assert.equal(r.exitCode, 127);
  assert.equal(r.failure?.stage, 'exec');
  assert.match(r.failure!.message, /definitely-not-a-command: command not found in the container/);
});

test('real: the command has no controlling terminal, so it cannot inject input into the caller\'s (TIOCSTI)', async () => {
  // script(1) gives isolate a pseudo-terminal, as an interactive user has. Field 7 of
  // /proc/self/stat is the controlling terminal: 0 for none.
  const file = writeProfile('stages:\n  - name: namespaces\n    with: { unshare: [mount, pid] }\n  - name: mounts\n    with: { system: [proc] }\n  - name: exec\n    with: { newSession: NS }\n');
  const ttyOf = (newSession: boolean): string => {
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/newSession: \w+/, `newSession: ${newSession}`));
    const cmd = `${process.execPath} ${ISOLATE_BIN} --profile ${file} -- /bin/sh -c 'cut -d" " -f7 /proc/self/stat'`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    return out.replace(/\r/g, '').trim();
  };
  assert.equal(ttyOf(true), '0');
  assert.notEqual(ttyOf(false), '0', 'without a new session the terminal would be shared');
  fs.rmSync(file);
});
