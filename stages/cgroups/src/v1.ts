// cgroup v1 (also the v1 side of a hybrid host): one hierarchy per controller, mounted at
// <root>/<controller> (co-mounted ones such as cpu,cpuacct share a directory).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IsolateError } from '@isolate/core';
import { readCgroupFile, readKeyed, readNumber, writeCgroupFile } from './files';
import { formatSize } from './size';
import { DEFAULT_PERIOD_US, hasCpuLimits, hasCpusetLimits, hasIoLimits, hasMemoryLimits, weightToShares, type Limits, type Readings } from './limits';

/** The controllers a run joins: the ones with limits or figures. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface Hierarchy {
  /** The hierarchy's mount point (symlinks resolved). */
  root: string;
  controllers: V1Controller[];
}

/** The v1 hierarchies under `root`, one entry per mount even when controllers share it. */
export function v1Hierarchies(root: string): Hierarchy[] {
  const byMount = new Map<string, Hierarchy>();
  for (const c of V1_CONTROLLERS) {
    let real: string;
    try {
      real = fs.realpathSync(path.join(root, c));
    } catch {
      continue; // not mounted (or not built into this kernel)
    }
    if (!fs.existsSync(`${real}/cgroup.procs`)) continue;
    const h = byMount.get(real);
    if (h) h.controllers.push(c);
    else byMount.set(real, { root: real, controllers: [c] });
  }
  return [...byMount.values()];
}

export function v1NeededControllers(l: Limits): V1Controller[] {
  const out: V1Controller[] = [];
  if (hasCpuLimits(l)) out.push('cpu');
  if (hasCpusetLimits(l)) out.push('cpuset');
  if (hasIoLimits(l)) out.push('blkio');
  if (hasMemoryLimits(l)) out.push('memory');
  if (l.pidsMax !== undefined) out.push('pids');
  return out;
}

/**
 * A new v1 cpuset cgroup has empty cpuset.cpus and cpuset.mems, and no process can join it
 * until both are set. Fills each empty one in `chain` (hierarchy root first) from its parent;
 * the last directory takes `cpus`/`mems` when given. Safe to repeat and to race with other runs:
 * everyone writes the same values.
 */
export function initCpuset(chain: readonly string[], cpus?: string, mems?: string): void {
  for (let i = 1; i < chain.length; i++) {
    const last = i === chain.length - 1;
    for (const [file, wanted] of [['cpuset.cpus', cpus], ['cpuset.mems', mems]] as const) {
      if (last && wanted !== undefined) {
        writeCgroupFile(`${chain[i]}/${file}`, wanted);
      } else if ((readCgroupFile(`${chain[i]}/${file}`) ?? '').trim() === '') {
        const parent = (readCgroupFile(`${chain[i - 1]}/${file}`) ?? '').trim();
        writeCgroupFile(`${chain[i]}/${file}`, parent);
      }
    }
  }
}

/**
 * Writes the limits into the v1 cgroups; `dirOf(controller)` is the run's cgroup directory in
 * that controller's hierarchy (cpuset is done by initCpuset).
 */
export function applyV1Limits(dirOf: (c: V1Controller) => string | undefined, l: Limits, warn: (message: string) => void): void {
  const mem = dirOf('memory');
  if (mem) {
    if (l.memory.limit !== undefined) writeCgroupFile(`${mem}/memory.limit_in_bytes`, String(l.memory.limit));
    if (l.memory.swap !== undefined) {
      // v1 limits memory+swap together, and only on top of a memory limit (memsw >= limit).
      if (l.memory.limit === undefined) {
        warn(`memory.swap (${formatSize(l.memory.swap)}) is not applied: cgroup v1 limits memory and swap together and needs memory.limit as well`);
      } else if (fs.existsSync(`${mem}/memory.memsw.limit_in_bytes`)) {
        writeCgroupFile(`${mem}/memory.memsw.limit_in_bytes`, String(l.memory.limit + l.memory.swap));
      } else {
        warn(`memory.swap (${formatSize(l.memory.swap)}) is not applied: ${mem}/memory.memsw.limit_in_bytes does not exist (swap accounting is off: boot with swapaccount=1)`);
      }
    }
    if (l.memory.reservation !== undefined) writeCgroupFile(`${mem}/memory.soft_limit_in_bytes`, String(l.memory.reservation));
  }

  const cpu = dirOf('cpu');
  if (cpu) {
    const shares = l.cpu.shares ?? (l.cpu.weight !== undefined ? weightToShares(l.cpu.weight) : undefined);
    if (shares !== undefined) writeCgroupFile(`${cpu}/cpu.shares`, String(shares));
    if (l.cpu.period !== undefined || l.cpu.quota !== undefined) writeCgroupFile(`${cpu}/cpu.cfs_period_us`, String(l.cpu.period ?? DEFAULT_PERIOD_US));
    if (l.cpu.quota !== undefined) writeCgroupFile(`${cpu}/cpu.cfs_quota_us`, String(l.cpu.quota));
  }

  const pids = dirOf('pids');
  if (pids && l.pidsMax !== undefined) writeCgroupFile(`${pids}/pids.max`, String(l.pidsMax));

  const blkio = dirOf('blkio');
  if (blkio) {
    if (l.io.weight !== undefined) {
      // blkio.weight belongs to CFQ (gone since Linux 5.0); BFQ has blkio.bfq.weight.
      const file = ['blkio.weight', 'blkio.bfq.weight'].map((f) => `${blkio}/${f}`).find((f) => fs.existsSync(f));
      if (!file) warn(`io.weight (${l.io.weight}) is not applied: neither blkio.weight nor blkio.bfq.weight exists in ${blkio}`);
      else if (l.io.weight > 1000) throw new IsolateError(`io.weight ${l.io.weight} is above 1000, the most ${path.basename(file)} (cgroup v1) accepts`);
      else writeCgroupFile(file, String(l.io.weight));
    }
    for (const d of l.io.devices) {
      for (const [key, file] of [
        ['readBps', 'blkio.throttle.read_bps_device'],
        ['writeBps', 'blkio.throttle.write_bps_device'],
        ['readIops', 'blkio.throttle.read_iops_device'],
        ['writeIops', 'blkio.throttle.write_iops_device'],
      ] as const) {
        const value = d[key];
        if (value === undefined) continue;
        if (fs.existsSync(`${blkio}/${file}`)) writeCgroupFile(`${blkio}/${file}`, `${d.device} ${value}`);
        else warn(`io.devices.${d.device}.${key} is not applied: ${blkio}/${file} does not exist (no blk-throttle in this kernel)`);
      }
    }
  }
}

/** v1 reports "no limit" as a huge page-aligned number (PAGE_COUNTER_MAX pages). */
const limitOrNull = (n: number | null | undefined): number | null => (n === null || n === undefined || n >= 2 ** 62 ? null : n);
const nsToUsec = (n: number | null | undefined): number | null => (n === null || n === undefined ? null : Math.round(n / 1000));

/** The exit figures of the run's v1 cgroups. `pidsSeen` is the most pids.current observed. */
export function readV1(dirOf: (c: V1Controller) => string | undefined, pidsSeen: number | null): Readings {
  const mem = dirOf('memory');
  const acct = dirOf('cpuacct');
  const pids = dirOf('pids');
  const oom = mem ? readKeyed(`${mem}/memory.oom_control`) : undefined;
  const events = pids ? readKeyed(`${pids}/pids.events`) : undefined;
  return {
    memoryPeakBytes: mem ? readNumber(`${mem}/memory.max_usage_in_bytes`) ?? null : null,
    cpuUsec: acct ? nsToUsec(readNumber(`${acct}/cpuacct.usage`)) : null,
    cpuUserUsec: acct ? nsToUsec(readNumber(`${acct}/cpuacct.usage_user`)) : null,
    cpuSystemUsec: acct ? nsToUsec(readNumber(`${acct}/cpuacct.usage_sys`)) : null,
    pidsPeak: (pids ? readNumber(`${pids}/pids.peak`) : undefined) ?? pidsSeen,
    // oom_kill is in memory.oom_control since Linux 4.13.
    oomKills: oom?.get('oom_kill') ?? null,
    pidsLimitHits: events?.get('max') ?? null,
    memoryLimitBytes: mem ? limitOrNull(readNumber(`${mem}/memory.limit_in_bytes`)) : null,
    pidsLimit: pids ? readNumber(`${pids}/pids.max`) ?? null : null,
    memoryFailcnt: mem ? readNumber(`${mem}/memory.failcnt`) ?? null : null,
  };
}
