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

/**
 * What is on the host now that was not in `before`: new mounts, cgroups, and new processes
 * whose command line matches `processPattern` (an isolate init, or the test's own markers)
 * that are either descendants of this process or orphans (other test files run alongside
 * and their live containers are not leaks).
 */
export function leftSince(before: HostSnapshot, processPattern: RegExp = /isolate|runtime\/dist\/src\/init\.js/): string[] {
  const now = hostSnapshot();
  const left: string[] = [];
  const oldMounts = new Set(before.mounts);
  for (const m of now.mounts) if (!oldMounts.has(m)) left.push(`mount ${m}`);
  const oldCgroups = new Set(before.cgroups);
  for (const c of now.cgroups) if (!oldCgroups.has(c)) left.push(`cgroup ${c}`);
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
  for (const [pid, [, cmd]] of now.processes) {
    if (before.processes.has(pid) || pid === process.pid) continue;
    if (processPattern.test(cmd) && ours(pid)) left.push(`process ${pid} ${cmd}`);
  }
  return left;
}
