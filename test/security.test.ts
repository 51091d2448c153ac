// Thinking as the contained process: what can it see, reach, signal or leave behind?
// (Capabilities, masked paths and seccomp come with the privilege stages; these tests cover
// what the namespace, root and mount stages promise.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runContainer, busyboxRootfs, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

test('host processes are invisible and cannot be signalled', async () => {
  const r = await runContainer('default', ['/bin/sh', '-c', `echo /proc/[0-9]*; kill -0 ${process.pid} 2>/dev/null && echo reached || echo unreachable; kill -0 1 && echo self-ok`]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '/proc/1\nunreachable\nself-ok\n');
});

test("the host's loopback services and abstract sockets are out of reach", async () => {
  const tcp = net.createServer((s) => s.end('secret\n'));
  const abstract = net.createServer((s) => s.end('secret\n'));
  await new Promise<void>((res) => tcp.listen(0, '127.0.0.1', res));
  const name = `isolate-test-${process.pid}`;
  await new Promise<void>((res) => abstract.listen(`\0${name}`, res));
  const port = (tcp.address() as net.AddressInfo).port;
  const probe = `
    const net = require('net');
    const tryIt = (opts) => new Promise((res) => {
      const s = net.connect(opts);
      s.on('data', () => res('reached'));
      s.on('error', (e) => res(e.code));
    });
    (async () => {
      console.log(await tryIt({ host: '127.0.0.1', port: ${port} }));
      console.log(await tryIt({ path: '\\0${name}' }));
    })();`;
  try {
    // The host's node binary is visible in the composed root (/usr is bound read-only).
    const r = await runContainer('default', [process.execPath, '-e', probe]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'ECONNREFUSED\nECONNREFUSED\n');
  } finally {
    tcp.close();
    abstract.close();
  }
});

test('a background process does not outlive the container (PID namespace)', async () => {
  const marker = `${5000 + (process.pid % 1000)}.25`;
  const before = hostSnapshot();
  const r = await runContainer('default', ['/bin/sh', '-c', `sleep ${marker} & echo started`]);
  assert.equal(r.exitCode, 0, r.stderr);
  await new Promise((res) => setTimeout(res, 100));
  assert.deepEqual(await leftAfterSettling(before, new RegExp(`sleep ${marker.replace('.', '\\.')}`)), []);
  const all = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  assert.ok(!all.includes(`sleep ${marker}`), 'the background sleep was killed with PID 1');
});

test('a rootfs whose /dev points at a host directory cannot make device nodes there', async () => {
  const hostTarget = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-escape-'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-evil-root-'));
  fs.cpSync(busyboxRootfs(), root, { recursive: true, verbatimSymlinks: true });
  fs.rmSync(path.join(root, 'dev'), { recursive: true });
  fs.symlinkSync(hostTarget, path.join(root, 'dev')); // absolute: must mean <root><hostTarget>
  try {
    const r = await runContainer(
      {
        stages: [
          { name: 'namespaces' },
          { name: 'rootfs', with: { path: root } },
          { name: 'mounts', with: { system: ['proc'] } },
          { name: 'devices' },
          { name: 'fd-links' },
          { name: 'pivot-root' },
          { name: 'exec' },
        ],
      },
      ['/bin/sh', '-c', 'echo x > /dev/null && echo ok'],
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'ok\n');
    assert.deepEqual(fs.readdirSync(hostTarget), [], 'nothing was created in the host directory');
    assert.ok(fs.existsSync(path.join(root, hostTarget, 'null')), 'the nodes went inside the root');
  } finally {
    fs.rmSync(hostTarget, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("the host's environment and open descriptors do not leak in", async () => {
  process.env.ISOLATE_SECRET_TOKEN = 'do-not-leak';
  const extra = fs.openSync('/etc/hostname', 'r'); // an fd the supervisor holds, not close-on-exec
  try {
    const r = await runContainer('default', ['/bin/sh', '-c', 'env | grep -c ISOLATE_SECRET; ls /proc/self/fd | wc -l']);
    assert.equal(r.stdout, '0\n4\n', 'no secret; only 0, 1, 2 and the fd of ls');
  } finally {
    delete process.env.ISOLATE_SECRET_TOKEN;
    fs.closeSync(extra);
  }
});

test('mounts, hostname and writes inside do not reach the host', async () => {
  const hostname = os.hostname();
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const r = await runContainer('default', ['/bin/sh', '-c', 'hostname changed-inside; mount -t tmpfs none /mnt 2>/dev/null; touch /usr/isolate-probe 2>/dev/null || echo usr-ro; echo done']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /usr-ro\ndone\n$/);
  assert.equal(os.hostname(), hostname);
  assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8'), mounts);
  assert.ok(!fs.existsSync('/usr/isolate-probe'));
});
