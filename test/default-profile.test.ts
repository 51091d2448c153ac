// What the command sees inside the default profile's container.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runContainer, parseMountinfoText, PROFILES_DIR, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

const DEFAULT = path.join(PROFILES_DIR, 'default.yaml');
const MARKER = `/root/isolate-host-marker-${process.pid}`;

const SCRIPT = `
echo "pid=$$"
echo "hostname=$(hostname)"
echo "root-marker=$(test -e ${MARKER} && echo visible || echo absent)"
echo "up=$(cd /../../..; pwd -P) $([ "$(stat -c %d:%i /)" = "$(stat -c %d:%i /..)" ] && echo same)"
echo "--mountinfo"; cat /proc/self/mountinfo
echo "--devices"; for d in null zero full tty random urandom; do stat -c '%n %F %t:%T %a %u:%g' /dev/$d; done
echo "--links"; for l in fd stdin stdout stderr ptmx core; do echo "/dev/$l -> $(readlink /dev/$l)"; done
echo "--env"; env | sort
echo "--net"; ls /sys/class/net
echo "--status"; grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status
echo "--end"
`;

interface Sections {
  head: string[];
  [k: string]: string[];
}
let out: Sections;
let exitCode: number;

before(async () => {
  fs.writeFileSync(MARKER, 'host only\n');
  try {
    const r = await runContainer(DEFAULT, ['/bin/sh', '-c', SCRIPT]);
    assert.equal(r.stderr, '');
    exitCode = r.exitCode;
    out = { head: [] };
    let cur = 'head';
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('--')) out[(cur = line.slice(2))] = [];
      else if (line) out[cur]!.push(line);
    }
  } finally {
    fs.rmSync(MARKER, { force: true });
  }
});

test('the command runs as PID 1 and exits 0', () => {
  assert.equal(exitCode, 0);
  assert.ok(out.head.includes('pid=1'), out.head.join('\n'));
});

test("the hostname is the profile's", () => {
  assert.ok(out.head.includes('hostname=isolate'));
});

test('/ is the new root: host files outside it are not reachable', () => {
  assert.ok(out.head.includes('root-marker=absent'));
  assert.ok(out.head.includes('up=/ same'), out.head.join('\n'));
  const mounts = parseMountinfoText(out.mountinfo!.join('\n'));
  const root = mounts.find((m) => m.mountPoint === '/')!;
  assert.equal(root.fstype, 'tmpfs');
  assert.ok(root.options.includes('ro'), 'the root is read-only');
  // Nothing of the host's mount table but what the profile binds.
  for (const m of mounts) {
    assert.match(
      m.mountPoint,
      /^\/(usr|etc\/[\w.-]+|proc(\/[\w-]+)?|dev(\/(pts|shm|mqueue))?|sys(\/fs\/cgroup(\/[\w,=]+)?|\/firmware|\/devices\/virtual\/powercap)?|tmp)?$/,
      `unexpected mount ${m.mountPoint}`,
    );
    // Below /proc only the masked and read-only paths.
    // (a masked file is /dev/null bound over it: root "/null" of the /dev tmpfs)
    if (m.mountPoint.startsWith('/proc/')) assert.ok(m.options.includes('ro') || m.root === '/null', `${m.mountPoint} is read-only or masked`);
  }
});

test('mountinfo shows every mount of the seed table with its options', () => {
  const mounts = parseMountinfoText(out.mountinfo!.join('\n'));
  const at = (p: string) => {
    const m = mounts.filter((x) => x.mountPoint === p).at(-1);
    assert.ok(m, `no mount on ${p}`);
    return m;
  };
  const has = (list: string[], ...want: string[]) => want.forEach((w) => assert.ok(list.includes(w), `${w} missing in ${list.join(',')}`));

  const proc = at('/proc');
  assert.equal(proc.fstype, 'proc');
  has(proc.options, 'rw', 'nosuid', 'nodev', 'noexec');

  const dev = at('/dev');
  assert.equal(dev.fstype, 'tmpfs');
  has(dev.options, 'nosuid');
  assert.ok(!dev.options.includes('relatime'), 'strictatime');
  has(dev.superOptions, 'mode=755', 'size=65536k');

  const pts = at('/dev/pts');
  assert.equal(pts.fstype, 'devpts');
  has(pts.options, 'nosuid', 'noexec');
  has(pts.superOptions, 'gid=5', 'mode=620', 'ptmxmode=666');

  const shm = at('/dev/shm');
  assert.equal(shm.fstype, 'tmpfs');
  assert.equal(shm.source, 'shm');
  has(shm.options, 'nosuid', 'nodev', 'noexec');
  has(shm.superOptions, 'size=65536k');

  const mq = at('/dev/mqueue');
  assert.equal(mq.fstype, 'mqueue');
  has(mq.options, 'nosuid', 'nodev', 'noexec');

  const sys = at('/sys');
  assert.equal(sys.fstype, 'sysfs');
  has(sys.options, 'ro', 'nosuid', 'nodev', 'noexec');

  const cg = at('/sys/fs/cgroup');
  has(cg.options, 'ro', 'nosuid', 'nodev', 'noexec');
  const below = mounts.filter((m) => m.mountPoint.startsWith('/sys/fs/cgroup/'));
  const hostIsV2 = fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup rw') && !below.length;
  if (!hostIsV2) {
    assert.ok(below.length > 0, 'the cgroup hierarchies are mounted');
    for (const m of below) {
      assert.match(m.fstype, /^cgroup2?$/);
      has(m.options, 'ro');
      assert.equal(m.root, '/', 'the container sees its own cgroup as the root');
    }
  }

  const tmp = at('/tmp');
  assert.equal(tmp.fstype, 'tmpfs');
  has(tmp.options, 'rw', 'nosuid', 'nodev');
});

test('/dev has the six character devices with the right numbers and modes', () => {
  assert.deepEqual(out.devices, [
    '/dev/null character special file 1:3 666 0:0',
    '/dev/zero character special file 1:5 666 0:0',
    '/dev/full character special file 1:7 666 0:0',
    '/dev/tty character special file 5:0 666 0:0',
    '/dev/random character special file 1:8 666 0:0',
    '/dev/urandom character special file 1:9 666 0:0',
  ]);
});

test('the /dev links resolve as listed', () => {
  assert.deepEqual(out.links, [
    '/dev/fd -> /proc/self/fd',
    '/dev/stdin -> /proc/self/fd/0',
    '/dev/stdout -> /proc/self/fd/1',
    '/dev/stderr -> /proc/self/fd/2',
    '/dev/ptmx -> pts/ptmx',
    '/dev/core -> /proc/kcore',
  ]);
});

test('the environment holds only what the profile set', () => {
  const names = out.env!.map((l) => l.split('=')[0]).filter((n) => n !== 'PWD' && n !== 'SHLVL' && n !== '_');
  const expected = ['HOME', 'HOSTNAME', 'PATH', ...(process.env.TERM ? ['TERM'] : [])].sort();
  assert.deepEqual(names, expected);
  assert.ok(out.env!.includes('HOME=/root'));
  assert.ok(out.env!.includes('HOSTNAME=isolate'));
});

test('the network namespace has only lo', () => {
  assert.deepEqual(out.net, ['lo']);
});

test('Docker-like privileges: the default capabilities, no_new_privs and a seccomp filter', () => {
  assert.deepEqual(out.status, ['CapEff:\t00000000a80425fb', 'CapBnd:\t00000000a80425fb', 'NoNewPrivs:\t1', 'Seccomp:\t2']);
});
