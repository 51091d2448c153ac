import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStageUnit, runContainer, busyboxRootfs, startCli, writeProfile, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from '@isolate/testkit';
import stage from '../src';

nothingLeftAfterAll();

function etcRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-user-'));
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1500:1600::/home/app:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\napp:x:1600:\naudio:x:29:app\n');
  return root;
}

test('unit: groups, then gid, then uid', () => {
  const { sys } = runStageUnit(stage, { user: '1000:1000', groups: [10, 20] });
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [
    ['setgroups', [10, 20]],
    ['setresgid', 1000, 1000, 1000],
    ['setresuid', 1000, 1000, 1000],
  ]);
});

test("unit: names resolve from the container's /etc/passwd and /etc/group", () => {
  const root = etcRoot();
  const a = runStageUnit(stage, { user: 'app', groups: ['audio'] }, { root });
  assert.deepEqual(a.sys.argsOf('setresuid')[0], [1500, 1500, 1500]);
  assert.deepEqual(a.sys.argsOf('setresgid')[0], [1600, 1600, 1600], 'the primary group from passwd');
  assert.deepEqual(a.sys.argsOf('setgroups')[0], [[29]]);
  const b = runStageUnit(stage, { user: 'app:root' }, { root });
  assert.deepEqual(b.sys.argsOf('setresgid')[0], [0, 0, 0]);
  const c = runStageUnit(stage, { user: 4242 }, { root });
  assert.deepEqual([c.sys.argsOf('setresuid')[0], c.sys.argsOf('setresgid')[0]], [[4242, 4242, 4242], [4242, 4242, 4242]]);
  const d = runStageUnit(stage, { user: 'ghost' }, { root });
  assert.match(d.failure!.message, /user 'ghost' is not in the container's \/etc\/passwd/);
  assert.equal(d.sys.calls.length, 0, 'nothing changed before the failure');
  const e = runStageUnit(stage, { user: 'app', groups: ['nogroup'] }, { root });
  assert.match(e.failure!.message, /group 'nogroup' is not in the container's \/etc\/group/);
  fs.rmSync(root, { recursive: true });
});

test('real: running as 1000:1000 with groups shows those ids in id', async () => {
  const r = await runContainer(
    {
      stages: [
        { name: 'namespaces' },
        { name: 'rootfs', with: { path: busyboxRootfs() } },
        { name: 'mounts', with: { system: ['proc', 'dev'] } },
        { name: 'devices' },
        { name: 'pivot-root' },
        { name: 'user', with: { user: '1000:1000', groups: [10, 20] } },
        { name: 'exec' },
      ],
    },
    ['/bin/sh', '-c', 'id; grep -E "^(Uid|Gid|Groups)" /proc/self/status'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  const [id, uids, gids, groups] = r.stdout.trim().split('\n');
  assert.equal(id, 'uid=1000 gid=1000 groups=10,20');
  assert.match(uids!, /^Uid:\s+1000\s+1000\s+1000\s+1000$/);
  assert.match(gids!, /^Gid:\s+1000\s+1000\s+1000\s+1000$/);
  assert.match(groups!, /^Groups:\s+10 20\s*$/);
});

test('real: after the switch to another user, the container still dies with the supervisor', async () => {
  // A change of credentials clears the parent-death signal; the init arms it again.
  const file = writeProfile(`stages:
  - name: namespaces
  - name: rootfs
  - name: mounts
  - name: devices
  - name: pivot-root
  - name: user
    with: { user: nobody }
  - name: exec
`);
  const marker = `${6000 + (process.pid % 1000)}.5`;
  const before = hostSnapshot();
  const { done } = startCli(['--profile', file, '--', '/bin/sh', '-c', `id -un; exec sleep ${marker}`], {
    onStdout: (chunk, pid) => {
      if (chunk.includes('nobody')) process.kill(pid, 'SIGKILL');
    },
  });
  assert.equal((await done).signal, 'SIGKILL');
  const pattern = new RegExp(`sleep ${marker.replace('.', '\\.')}`);
  assert.deepEqual(await leftAfterSettling(before, pattern), []);
});
