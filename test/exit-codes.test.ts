// Exit codes, signals and the supervisor/init lifecycle, through the isolate command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { runCli, startCli, runContainer, writeProfile, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

const NO_PID_NS = writeProfile(`stages:
  - name: namespaces
    with: { unshare: [mount, uts, ipc] }
  - name: exec
`);

test('exit 7 gives 7', async () => {
  const r = await runCli(['--', '/bin/sh', '-c', 'exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stderr, '');
});

test('stdin, stdout and stderr pass through', async () => {
  const r = await runCli(['--', '/bin/sh', '-c', 'read x; echo "out:$x"; echo err:$x >&2'], { input: 'hello\n' });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'out:hello\n');
  assert.equal(r.stderr, 'err:hello\n');
});

test('a command killed by SIGKILL gives 137 (killed from the host, PID 1 of its namespace)', async () => {
  const r = await runContainer('default', ['/bin/sh', '-c', 'echo up; exec sleep 30'], {
    onStdout: (chunk, c) => {
      if (chunk.includes('up')) process.kill(c.pid, 'SIGKILL');
    },
  });
  assert.equal(r.exitCode, 137);
  assert.equal(r.signal, 'SIGKILL');
});

test('a command that kills itself with SIGKILL gives 137 (no PID namespace)', async () => {
  const r = await runCli(['--profile', NO_PID_NS, '--', '/bin/sh', '-c', 'kill -9 $$']);
  assert.equal(r.code, 137);
});

test('a missing command gives 127 with a clear message', async () => {
  const r = await runCli(['--', 'no-such-command-xyz', 'arg']);
  assert.equal(r.code, 127);
  assert.equal(r.stderr, "isolate: stage exec: find no-such-command-xyz: no-such-command-xyz: command not found in the container (PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)\n");
});

test('a file that is not executable gives 126', async () => {
  const r = await runCli(['--', '/etc/passwd']);
  assert.equal(r.code, 126);
  assert.match(r.stderr, /^isolate: stage exec: find \/etc\/passwd: \/etc\/passwd: permission denied\n$/);
});

test('SIGTERM sent to the supervisor reaches the container', async () => {
  const { done } = startCli(['--', '/bin/sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'], {
    onStdout: (chunk, pid) => {
      if (chunk.includes('ready')) process.kill(pid, 'SIGTERM');
    },
  });
  const r = await done;
  assert.equal(r.code, 42);
  assert.equal(r.stdout, 'ready\ngot-term\n');
});

test('SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded too', async () => {
  for (const [sig, n] of [['SIGINT', 2], ['SIGHUP', 1], ['SIGQUIT', 3], ['SIGUSR1', 10], ['SIGUSR2', 12]] as const) {
    const { done } = startCli(['--', '/bin/sh', '-c', `trap "exit ${n}" ${sig.slice(3)}; echo ready; while :; do sleep 0.05; done`], {
      onStdout: (chunk, pid) => {
        if (chunk.includes('ready')) process.kill(pid, sig);
      },
    });
    const r = await done;
    assert.equal(r.code, n, `${sig}: ${r.stderr}`);
  }
});

test('a second SIGTERM kills a command that ignores the first: exit 137', async () => {
  let sent = 0;
  const { done } = startCli(['--', '/bin/sh', '-c', 'trap "" TERM INT; echo ready; while :; do sleep 0.05; done'], {
    onStdout: (chunk, pid) => {
      if (!chunk.includes('ready') || sent++) return;
      process.kill(pid, 'SIGTERM');
      setTimeout(() => process.kill(pid, 'SIGTERM'), 300);
    },
  });
  const r = await done;
  assert.equal(r.code, 137);
  assert.equal(r.stderr, 'isolate: SIGTERM again: killing the container\n');
});

test('an unhandled SIGTERM ends the command: exit 143', async () => {
  // A profile without a PID namespace: there the command is not PID 1 and has default actions.
  const { done } = startCli(['--profile', NO_PID_NS, '--', '/bin/sh', '-c', 'echo ready; exec sleep 30'], {
    onStdout: (chunk, pid) => {
      if (chunk.includes('ready')) process.kill(pid, 'SIGTERM');
    },
  });
  assert.equal((await done).code, 143);
});

test('when the supervisor dies, the container dies too; the next run removes its cgroup', async () => {
  const marker = `${4000 + (process.pid % 1000)}.${Date.now() % 1000}`;
  const before = hostSnapshot();
  const { done } = startCli(['--', '/bin/sh', '-c', `echo ready; exec sleep ${marker}`], {
    onStdout: (chunk, pid) => {
      if (chunk.includes('ready')) process.kill(pid, 'SIGKILL');
    },
  });
  const r = await done;
  assert.equal(r.signal, 'SIGKILL');
  const pattern = new RegExp(`sleep ${marker.replace('.', '\\.')}`);
  // The container's processes die with the supervisor (parent-death signal)...
  const left = await leftAfterSettling(before, pattern);
  assert.deepEqual(left.filter((l) => l.startsWith('process')), []);
  // ...but nobody was left to remove its cgroup: the next run does.
  const next = await runCli(['--', '/bin/true']);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(await leftAfterSettling(before, pattern), []);
});

test('isolate --help and --version', async () => {
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^usage: isolate \[--profile FILE\|NAME\] \[--\] COMMAND/);
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^isolate \d+\.\d+\.\d+\n$/);
});

test('usage errors exit 125', async () => {
  const r = await runCli(['--bogus', 'x']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^isolate: unknown option --bogus\nusage:/);
  const n = await runCli([]);
  assert.equal(n.code, 125);
  assert.match(n.stderr, /^isolate: no command given/);
  const p = await runCli(['--profile', '/nonexistent/profile.yaml', '--', 'true']);
  assert.equal(p.code, 125);
  assert.equal(p.stderr, 'isolate: /nonexistent/profile.yaml: no such profile file or built-in profile\n');
});

test('isolate plan prints the ordered stages', async () => {
  const r = await runCli(['plan', '--profile', 'minimal']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /1\. namespaces \[namespaces\].*\n.*\n.*\n 2\. mounts \[mounts\].*\n.*\n.*\n 3\. exec \[exec\]/);
  const j = await runCli(['plan', '--json']);
  const plan = JSON.parse(j.stdout) as { stages: Array<{ name: string }> };
  assert.deepEqual(plan.stages.map((s) => s.name), [
    'namespaces',
    'cgroups',
    'rootfs',
    'mounts',
    'devices',
    'fd-links',
    'pivot-root',
    'masked-paths',
    'readonly-paths',
    'hostname',
    'rlimits',
    'capabilities',
    'env',
    'seccomp',
    'exec',
  ]);
});

test('a relative profile path works from the working directory', async () => {
  const file = writeProfile('stages:\n  - name: namespaces\n    with: {unshare: [mount, pid]}\n  - name: exec\n');
  const r = await runCli(['--profile', file, '--', '/bin/sh', '-c', 'echo $$']);
  assert.equal(r.stdout, '1\n');
  fs.rmSync(file);
});
