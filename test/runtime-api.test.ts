// The runtime's library API (start, run, wait, kill, host hooks), as an embedding service uses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { start, run } from '@isolate/runtime';
import { planOf, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

test('run() returns the exit code with stdio given as file descriptors', async () => {
  const out = `/tmp/isolate-runtime-${process.pid}.out`;
  const fd = fs.openSync(out, 'w');
  const r = await run({ plan: planOf('minimal'), command: ['/bin/sh', '-c', 'echo to-file; exit 3'], stdio: ['ignore', fd, 'inherit'] });
  fs.closeSync(fd);
  assert.deepEqual(r, { exitCode: 3 });
  assert.equal(fs.readFileSync(out, 'utf8'), 'to-file\n');
  fs.rmSync(out);
});

test('kill() before the command runs stops the start and reports the signal', async () => {
  const before = hostSnapshot();
  const c = await start({ plan: planOf('default'), command: ['/bin/sleep', '30'], stdio: ['ignore', 'ignore', 'ignore'] });
  c.kill('SIGTERM'); // the init is still booting: it is killed outright
  const r = await c.wait();
  assert.equal(r.exitCode, 143);
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.failure, undefined);
  assert.deepEqual(await leftAfterSettling(before), []);
});

test('wait() can be called more than once', async () => {
  const c = await start({ plan: planOf('minimal'), command: ['/bin/true'], stdio: ['ignore', 'ignore', 'ignore'] });
  const [a, b] = await Promise.all([c.wait(), c.wait()]);
  assert.equal(a, b);
  assert.equal(a.exitCode, 0);
});

test('host hooks run in order, and deferred cleanups run in reverse, also on failure', async () => {
  const events: string[] = [];
  const plan = planOf('minimal');
  const traced = {
    ...plan,
    stages: [
      ...plan.stages.slice(0, -1),
      {
        ...plan.stages[0]!,
        name: 'tracer',
        def: {
          ...plan.stages[0]!.def,
          name: 'tracer',
          container: undefined,
          host(hooks: import('@isolate/core').HostHooks) {
            hooks.prepare.tap('tracer', (ctx) => {
              events.push('prepare');
              ctx.defer(() => void events.push('undo 1'));
              ctx.defer(() => void events.push('undo 2'));
            });
            hooks.attach.tap('tracer', (ctx) => void events.push(`attach ${typeof ctx.pid}`));
            hooks.started.tap('tracer', () => void events.push('started'));
            hooks.exited.tap('tracer', (_ctx, status) => void events.push(`exited ${status.code}`));
          },
        },
      },
      plan.stages.at(-1)!,
    ],
  };
  const r = await run({ plan: traced, command: ['/bin/sh', '-c', 'exit 4'], stdio: ['ignore', 'ignore', 'ignore'] });
  assert.equal(r.exitCode, 4);
  assert.deepEqual(events, ['prepare', 'attach number', 'started', 'exited 4', 'undo 2', 'undo 1']);

  events.length = 0;
  const failing = await run({ plan: traced, command: ['no-such-command'], stdio: ['ignore', 'ignore', 'ignore'] });
  assert.equal(failing.exitCode, 127);
  assert.deepEqual(events, ['prepare', 'attach number', 'undo 2', 'undo 1']);
});
