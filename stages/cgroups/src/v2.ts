// cgroup v2 (the unified hierarchy): one directory per cgroup, controllers enabled from the
// top through each parent's cgroup.subtree_control.
import * as fs from 'node:fs';
import { CgroupFileError, errnoOf, writeCgroupFile, readKeyed, readList, readNumber } from './files';
import { formatSize } from './size';
import { v1NeededControllers } from './v1';
import { DEFAULT_PERIOD_US, sharesToWeight, type Limits, type Readings } from './limits';

/** Controllers enabled whenever available: they give the exit figures and OOM/pids reports. */
export const V2_STATS_CONTROLLERS = ['memory', 'pids'] as const;

/** Controllers the limits cannot do without: v1's, with blkio named io as v2 names it. */
export function v2NeededControllers(l: Limits): string[] {
  return v1NeededControllers(l).map((c) => (c === 'blkio' ? 'io' : c));
}

/**
 * Enables `wanted` controllers in the cgroup.subtree_control of each directory of `chain`
 * (the hierarchy's root first, down to the leaf's parent), so that the leaf gets their files.
 * Controllers a directory does not offer (cgroup.controllers) are left out; the caller checks
 * the ones it needs beforehand. Returns what the leaf's parent enables.
 */
export function enableControllers(chain: readonly string[], wanted: readonly string[]): string[] {
  let enabled: string[] = [];
  for (const dir of chain) {
    const available = new Set(readList(`${dir}/cgroup.controllers`));
    enabled = readList(`${dir}/cgroup.subtree_control`);
    const missing = wanted.filter((c) => available.has(c) && !enabled.includes(c));
    if (missing.length) {
      try {
        writeCgroupFile(`${dir}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(' '));
      } catch (err) {
        const code = errnoOf(err);
        throw new CgroupFileError(
          `cannot enable the ${missing.join(', ')} controller(s) for the cgroups below ${dir}: ${(err as Error).message}` +
            (code === 'EBUSY' ? '; cgroup v2 enables controllers only below cgroups without processes of their own: choose another parent' : ''),
          code,
          `${dir}/cgroup.subtree_control`,
        );
      }
      enabled = [...enabled, ...missing];
    }
  }
  return enabled;
}

/** Writes the limits into the v2 cgroup `dir`; `warn` for limits this kernel cannot set. */
export function applyV2Limits(dir: string, l: Limits, warn: (message: string) => void): void {
  const f = (name: string): string => `${dir}/${name}`;
  if (l.memory.limit !== undefined) writeCgroupFile(f('memory.max'), String(l.memory.limit));
  if (l.memory.swap !== undefined) {
    if (fs.existsSync(f('memory.swap.max'))) writeCgroupFile(f('memory.swap.max'), String(l.memory.swap));
    else warn(`memory.swap (${formatSize(l.memory.swap)}) is not applied: ${f('memory.swap.max')} does not exist (swap accounting is off in this kernel)`);
  }
  if (l.memory.reservation !== undefined) writeCgroupFile(f('memory.low'), String(l.memory.reservation));

  const weight = l.cpu.weight ?? (l.cpu.shares !== undefined ? sharesToWeight(l.cpu.shares) : undefined);
  if (weight !== undefined) writeCgroupFile(f('cpu.weight'), String(weight));
  if (l.cpu.quota !== undefined || l.cpu.period !== undefined) {
    writeCgroupFile(f('cpu.max'), `${l.cpu.quota ?? 'max'} ${l.cpu.period ?? DEFAULT_PERIOD_US}`);
  }
  if (l.cpu.cpus !== undefined) writeCgroupFile(f('cpuset.cpus'), l.cpu.cpus);
  if (l.cpu.mems !== undefined) writeCgroupFile(f('cpuset.mems'), l.cpu.mems);

  if (l.pidsMax !== undefined) writeCgroupFile(f('pids.max'), String(l.pidsMax));

  if (l.io.weight !== undefined) {
    // io.weight comes with the iocost controller, io.bfq.weight with the BFQ scheduler.
    if (fs.existsSync(f('io.weight'))) writeCgroupFile(f('io.weight'), `default ${l.io.weight}`);
    else if (fs.existsSync(f('io.bfq.weight'))) writeCgroupFile(f('io.bfq.weight'), String(l.io.weight));
    else warn(`io.weight (${l.io.weight}) is not applied: neither io.weight nor io.bfq.weight exists in ${dir}`);
  }
  for (const d of l.io.devices) {
    const parts = [
      d.readBps !== undefined ? `rbps=${d.readBps}` : '',
      d.writeBps !== undefined ? `wbps=${d.writeBps}` : '',
      d.readIops !== undefined ? `riops=${d.readIops}` : '',
      d.writeIops !== undefined ? `wiops=${d.writeIops}` : '',
    ].filter(Boolean);
    if (parts.length) writeCgroupFile(f('io.max'), `${d.device} ${parts.join(' ')}`);
  }
}

const usec = (m: Map<string, number> | undefined, key: string): number | null => m?.get(key) ?? null;

/** The exit figures of the v2 cgroup `dir`. `pidsSeen` is the most pids.current observed. */
export function readV2(dir: string, pidsSeen: number | null): Readings {
  const cpu = readKeyed(`${dir}/cpu.stat`);
  const memEvents = readKeyed(`${dir}/memory.events`);
  const pidsEvents = readKeyed(`${dir}/pids.events`);
  const peak = readNumber(`${dir}/pids.peak`);
  return {
    memoryPeakBytes: readNumber(`${dir}/memory.peak`) ?? null,
    cpuUsec: usec(cpu, 'usage_usec'),
    cpuUserUsec: usec(cpu, 'user_usec'),
    cpuSystemUsec: usec(cpu, 'system_usec'),
    pidsPeak: peak ?? pidsSeen,
    oomKills: memEvents?.get('oom_kill') ?? null,
    pidsLimitHits: pidsEvents?.get('max') ?? null,
    memoryLimitBytes: readNumber(`${dir}/memory.max`) ?? null,
    pidsLimit: readNumber(`${dir}/pids.max`) ?? null,
    memoryFailcnt: null,
  };
}
