import * as fs from 'node:fs';
import { readMountinfo } from '@isolate/core';

/** What a run could leave on the host: mounts, processes and cgroups. */
export interface HostSnapshot {
  mounts: string[];
  /** pid -> [parent pid, command line] */
  processes: Map<number, [number, string]>;
  cgroups: string[];
}

function processes(): Map<number, [number, string]> {
  const out = new Map<number, [number, string]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(entry), [ppid, fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()]);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function cgroupDirs(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = `${dir}/${e.name}`;
      if (e.name.includes('isolate')) out.push(p);
      walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out.sort();
}

export function hostSnapshot(): HostSnapshot {
  return {
    mounts: readMountinfo().map((m) => `${m.mountPoint} ${m.fstype} ${m.source}`),
    processes: processes(),
    cgroups: cgroupDirs(),
  };
}

const DEFAULT_PATTERN = /isolate|runtime\/dist\/src\/init\.js/;

/** Supervisors this process started (CLI runs); with this process, the owners of "our" cgroups. */
const supervisors = new Set<number>([process.pid]);
export function trackSupervisor(pid: number): void {
  supervisors.add(pid);
}

/**
 * What is on the host now that was not in `before`: new mounts, new cgroups, and new
 * processes whose command line matches `processPattern` (an isolate init, or the test's own
 * markers). Other test files run containers at the same time, so a process counts only when
 * it descends from this process or is an orphan, and a new cgroup only when its supervisor
 * was this process or one it started, and it holds no child cgroup and no process of
 * someone else's live run.
 */
export function leftSince(before: HostSnapshot, processPattern: RegExp = DEFAULT_PATTERN): string[] {
  const now = hostSnapshot();
  const left: string[] = [];
  const ours = (pid: number): boolean => {
    // An orphan (reparented to init or a subreaper) was left behind by whoever made it.
    if (now.processes.get(pid)?.[0] === 1) return true;
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      const parent = now.processes.get(p)?.[0];
      if (parent === undefined) return false;
      if (parent === process.pid) return true;
      p = parent;
    }
    return false;
  };
  const oldMounts = new Set(before.mounts);
  for (const m of now.mounts) if (!oldMounts.has(m)) left.push(`mount ${m}`);
  const oldCgroups = new Set(before.cgroups);
  for (const c of now.cgroups) {
    if (oldCgroups.has(c) || hasChildCgroup(c)) continue;
    // A run's cgroup is named after its supervisor: one another test file started is not ours.
    const owner = /isolate-(\d+)-[0-9a-f]+$/.exec(c)?.[1];
    if (owner && !supervisors.has(Number(owner))) continue;
    const pids = cgroupPids(c);
    if (pids.length && !pids.some(ours)) continue; // a live run of another test file
    left.push(`cgroup ${c}${pids.length ? ` (pids ${pids.join(' ')})` : ''}`);
  }
  for (const [pid, [, cmd]] of now.processes) {
    if (before.processes.has(pid) || pid === process.pid) continue;
    if (processPattern.test(cmd) && ours(pid)) left.push(`process ${pid} ${cmd}`);
  }
  return left;
}

/**
 * leftSince, asked again for up to `ms` while something is left: a cgroup that another test
 * file's run is just creating or removing looks like a leftover for a moment; a real leak
 * stays.
 */
export async function leftAfterSettling(before: HostSnapshot, processPattern: RegExp = DEFAULT_PATTERN, ms = 2000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = leftSince(before, processPattern);
    if (!left.length || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A leftover with what tells where it came from: for a run's cgroup, its supervisor. */
function explain(item: string): string {
  const owner = /isolate-(\d+)-[0-9a-f]+$/.exec(item)?.[1];
  if (!owner) return item;
  let who = 'gone';
  try {
    who = fs.readFileSync(`/proc/${owner}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    // the supervisor is gone
  }
  return `${item} (supervisor ${owner}: ${who})`;
}

function hasChildCgroup(dir: string): boolean {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
  } catch {
    return false;
  }
}

function cgroupPids(dir: string): number[] {
  try {
    return fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Call at the top of a test file: once all its tests ran, fails unless every mount, cgroup
 * and isolate process they made is gone.
 */
export function nothingLeftAfterAll(processPattern: RegExp = DEFAULT_PATTERN): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { after } = require('node:test') as typeof import('node:test');
  const before = hostSnapshot();
  after(async () => {
    const left = await leftAfterSettling(before, processPattern);
    if (left.length) throw new Error(`left on the host after the tests of ${process.argv[1]}:\n${left.map(explain).join('\n')}`);
  });
}
