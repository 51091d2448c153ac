import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runContainer, planOf, PROFILES_DIR, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';
import * as path from 'node:path';

nothingLeftAfterAll();

test('20 containers started at once all succeed and leave nothing behind', async () => {
  const plan = planOf(path.join(PROFILES_DIR, 'default.yaml'));
  const before = hostSnapshot();
  const runs = await Promise.all(
    Array.from({ length: 20 }, (_, i) => runContainer(plan, ['/bin/sh', '-c', `echo "$$ $(hostname) ${i}"`])),
  );
  runs.forEach((r, i) => {
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, `1 isolate ${i}\n`);
  });
  assert.deepEqual(await leftAfterSettling(before), []);
});
