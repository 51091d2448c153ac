// Fake cgroupfs trees in a temporary directory, for the file-level logic. Their mkdir and
// rmdir act as the kernel's do: a new cgroup gets the interface files of its controllers (v2:
// the ones its parent enables in cgroup.subtree_control; v1: its hierarchy's), and rmdir fails
// with EBUSY while live processes or child cgroups are in it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CgroupOps } from '../src';

export interface FakeTree {
  root: string;
  ops: CgroupOps;
  /** Every directory made through ops.mkdir, in order. */
  made: string[];
  remove(): void;
}

function errno(code: string, syscall: string, p: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${syscall} '${p}'`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
}

function fakeRmdir(dir: string): void {
  if (!fs.existsSync(dir)) throw errno('ENOENT', 'rmdir', dir);
  if (fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory())) throw errno('EBUSY', 'rmdir', dir);
  const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  if (procs.some(alive)) throw errno('EBUSY', 'rmdir', dir);
  fs.rmSync(dir, { recursive: true });
}

function tmp(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

const V2_FILES: Record<string, (o: V2Options) => Record<string, string>> = {
  memory: (o) => ({
    'memory.max': 'max\n',
    'memory.low': '0\n',
    'memory.high': 'max\n',
    'memory.current': '0\n',
    ...(o.peak === false ? {} : { 'memory.peak': '0\n' }),
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
    ...(o.swap === false ? {} : { 'memory.swap.max': 'max\n', 'memory.swap.current': '0\n' }),
  }),
  pids: (o) => ({ 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n', ...(o.peak === false ? {} : { 'pids.peak': '0\n' }) }),
  cpu: () => ({ 'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.weight.nice': '0\n' }),
  cpuset: () => ({ 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-3\n', 'cpuset.mems.effective': '0\n' }),
  io: () => ({ 'io.weight': 'default 100\n', 'io.max': '', 'io.stat': '' }),
  hugetlb: () => ({ 'hugetlb.2MB.max': 'max\n' }),
};

export interface V2Options {
  /** What the root offers in cgroup.controllers. */
  controllers?: string[];
  /** memory.swap.max exists (swap accounting on). */
  swap?: boolean;
  /** memory.peak and pids.peak exist (Linux 5.19 / 6.1 and later). */
  peak?: boolean;
}

/** A cgroup v2 hierarchy. */
export function fakeV2(o: V2Options = {}): FakeTree {
  const root = tmp('isolate-fake-v2-');
  const controllers = o.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'];
  writeFiles(root, {
    'cgroup.controllers': controllers.join(' ') + '\n',
    'cgroup.subtree_control': '\n',
    'cgroup.procs': '',
    'cgroup.max.depth': 'max\n',
    'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
  });
  const made: string[] = [];
  const ops: CgroupOps = {
    mkdir(dir) {
      fs.mkdirSync(dir); // EEXIST, ENOENT as mkdir(2)
      made.push(dir);
      const enabled = fs.readFileSync(path.join(path.dirname(dir), 'cgroup.subtree_control'), 'utf8').split(/\s+/).filter(Boolean).map((c) => c.replace(/^\+/, ''));
      writeFiles(dir, {
        'cgroup.controllers': enabled.join(' ') + '\n',
        'cgroup.subtree_control': '\n',
        'cgroup.procs': '',
        'cgroup.events': 'populated 0\nfrozen 0\n',
        'cgroup.type': 'domain\n',
        'cgroup.kill': '',
        'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
      });
      for (const c of enabled) writeFiles(dir, V2_FILES[c]?.(o) ?? {});
    },
    rmdir: fakeRmdir,
  };
  return { root, ops, made, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export interface V1Options {
  /** Hierarchy directories; "cpu,cpuacct" is co-mounted and gets cpu and cpuacct symlinks. */
  hierarchies?: string[];
  /** memory.memsw.* exist (swap accounting on). */
  memsw?: boolean;
  /** memory.oom_control has oom_kill (Linux 4.13 and later). */
  oomKill?: boolean;
  /** blkio.weight (CFQ) instead of blkio.bfq.weight. */
  cfq?: boolean;
  /** The root cpuset's cpus. */
  cpus?: string;
}

function v1Files(controller: string, o: V1Options, top: boolean): Record<string, string> {
  switch (controller) {
    case 'memory':
      return {
        'memory.limit_in_bytes': '9223372036854771712\n',
        'memory.soft_limit_in_bytes': '9223372036854771712\n',
        'memory.max_usage_in_bytes': '0\n',
        'memory.usage_in_bytes': '0\n',
        'memory.failcnt': '0\n',
        'memory.oom_control': `oom_kill_disable 0\nunder_oom 0\n${o.oomKill === false ? '' : 'oom_kill 0\n'}`,
        ...(o.memsw === false ? {} : { 'memory.memsw.limit_in_bytes': '9223372036854771712\n', 'memory.memsw.max_usage_in_bytes': '0\n' }),
      };
    case 'cpu':
      return { 'cpu.shares': '1024\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n' };
    case 'cpuacct':
      return { 'cpuacct.usage': '0\n', 'cpuacct.usage_user': '0\n', 'cpuacct.usage_sys': '0\n' };
    case 'cpuset':
      // A new cpuset is empty: nothing can join it until cpus and mems are set.
      return { 'cpuset.cpus': top ? `${o.cpus ?? '0-3'}\n` : '\n', 'cpuset.mems': top ? '0\n' : '\n' };
    case 'pids':
      return { 'pids.max': 'max\n', 'pids.current': '0\n', 'pids.events': 'max 0\n' };
    case 'blkio':
      return {
        [o.cfq ? 'blkio.weight' : 'blkio.bfq.weight']: '100\n',
        'blkio.throttle.read_bps_device': '',
        'blkio.throttle.write_bps_device': '',
        'blkio.throttle.read_iops_device': '',
        'blkio.throttle.write_iops_device': '',
      };
    default:
      return {};
  }
}

/** A v1 (or hybrid) layout: a directory of per-controller hierarchies. */
export function fakeV1(o: V1Options = {}): FakeTree {
  const root = tmp('isolate-fake-v1-');
  const hierarchies = o.hierarchies ?? ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'blkio'];
  const populate = (dir: string, top: boolean): void => {
    const controllers = path.relative(root, dir).split(path.sep)[0]!.split(',');
    writeFiles(dir, { 'cgroup.procs': '', tasks: '', notify_on_release: '0\n', 'cgroup.clone_children': '0\n' });
    for (const c of controllers) writeFiles(dir, v1Files(c, o, top));
  };
  for (const h of hierarchies) {
    fs.mkdirSync(path.join(root, h));
    populate(path.join(root, h), true);
    if (h.includes(',')) for (const c of h.split(',')) fs.symlinkSync(h, path.join(root, c));
  }
  const made: string[] = [];
  const ops: CgroupOps = {
    mkdir(dir) {
      fs.mkdirSync(dir);
      made.push(dir);
      populate(dir, false);
    },
    rmdir: fakeRmdir,
  };
  return { root, ops, made, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}
