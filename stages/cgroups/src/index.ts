import { defineStage, type ExitStatus, type HostHooks } from '@isolate/core';
import { RunCgroup, defaultCgroupName } from './cgroup';
import { KERNEL_OPS, type CgroupOps } from './files';
import { limitsOf, type CgroupsSettings, type Limits, type Readings, type Usage } from './limits';
import { SIZE_PATTERN, formatSize } from './size';

export { RunCgroup, detectVersion } from './cgroup';
export { KERNEL_OPS, type CgroupOps } from './files';
export { limitsOf, sharesToWeight, weightToShares, type CgroupsSettings, type Limits, type Usage, type Readings } from './limits';
export { parseSize, formatSize } from './size';
export { applyV2Limits, enableControllers, readV2 } from './v2';
export { applyV1Limits, initCpuset, readV1, v1Hierarchies } from './v1';

const size = (description: string): Record<string, unknown> => ({
  type: ['string', 'integer'],
  pattern: SIZE_PATTERN,
  minimum: 0,
  description: `${description}: bytes, or a number with K, M, G or T (e.g. "64M")`,
});

const CPU_LIST = '^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$';
const SEGMENT = '[A-Za-z0-9_@:+-][A-Za-z0-9_.@:+-]*';

export const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    root: { type: 'string', pattern: '^/', default: '/sys/fs/cgroup', description: 'where cgroupfs is mounted (a cgroup2 mount, or a directory of v1 controller hierarchies)' },
    version: {
      enum: ['auto', 'v1', 'v2'],
      default: 'auto',
      description: 'the cgroup version: auto (v2 when root is a cgroup2 mount, else v1: one hierarchy per controller), v1 or v2',
    },
    parent: {
      type: 'string',
      pattern: `^/?(${SEGMENT}(/${SEGMENT})*/?)?$`,
      default: 'isolate',
      description: 'the parent cgroup, relative to the hierarchy root ("" for the root); created when missing',
    },
    name: {
      type: 'string',
      pattern: `^${SEGMENT}$`,
      maxLength: 255,
      description: "the run's cgroup under parent (default isolate-<supervisor pid>-<run id>, which lets a later run remove it if the supervisor was killed); an existing one is refused",
    },
    removeParent: { type: 'boolean', default: true, description: 'after the run, remove the parent cgroups that are empty (false keeps them)' },
    memory: {
      type: 'object',
      additionalProperties: false,
      description: 'memory limits (v1 memory.*, v2 memory.*)',
      properties: {
        limit: size('the memory limit (v1 memory.limit_in_bytes, v2 memory.max); past it the OOM killer acts'),
        swap: size('swap allowed on top of the memory limit (v1 memory.memsw.limit_in_bytes = limit + swap, v2 memory.swap.max)'),
        reservation: size('memory kept from reclaim under pressure (v1 memory.soft_limit_in_bytes, v2 memory.low)'),
      },
    },
    cpu: {
      type: 'object',
      additionalProperties: false,
      description: 'CPU share, bandwidth and placement (v1 cpu.*, cpuset.*; v2 cpu.*, cpuset.*)',
      properties: {
        shares: { type: 'integer', minimum: 2, maximum: 262144, description: 'relative CPU share (v1 cpu.shares, default 1024; converted to cpu.weight on v2)' },
        weight: { type: 'integer', minimum: 1, maximum: 10000, description: 'relative CPU weight (v2 cpu.weight, default 100; converted to cpu.shares on v1)' },
        quota: { type: 'integer', minimum: 1000, description: 'CPU time in microseconds the cgroup may use per period (v1 cpu.cfs_quota_us, v2 cpu.max)' },
        period: { type: 'integer', minimum: 1000, maximum: 1000000, description: 'the period of quota in microseconds (default 100000)' },
        cpus: { type: 'string', pattern: CPU_LIST, description: 'the CPUs to run on, e.g. "0-1,3" (cpuset.cpus; v1 default: the parent\'s)' },
        mems: { type: 'string', pattern: CPU_LIST, description: 'the memory nodes to use, e.g. "0" (cpuset.mems; v1 default: the parent\'s)' },
      },
    },
    pids: {
      type: 'object',
      additionalProperties: false,
      description: 'process limits (pids.max)',
      properties: {
        max: { type: 'integer', minimum: 1, description: 'the most processes and threads at once; fork and clone fail beyond (pids.max)' },
      },
    },
    io: {
      type: 'object',
      additionalProperties: false,
      description: 'block I/O weight and per-device throttling (v1 blkio.*, v2 io.*)',
      properties: {
        weight: {
          type: 'integer',
          minimum: 1,
          maximum: 10000,
          description: 'relative I/O weight (v2 io.weight, default 100, or io.bfq.weight; v1 blkio.weight or blkio.bfq.weight, at most 1000)',
        },
        devices: {
          type: 'object',
          description: 'throttling per block device, keyed by "major:minor" (e.g. "8:0"; v1 blkio.throttle.*_device, v2 io.max)',
          propertyNames: { pattern: '^[0-9]+:[0-9]+$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              readBps: size('read bytes per second'),
              writeBps: size('written bytes per second'),
              readIops: { type: 'integer', minimum: 1, description: 'read operations per second' },
              writeIops: { type: 'integer', minimum: 1, description: 'write operations per second' },
            },
          },
        },
      },
    },
  },
} as const;

/** Problems with settings that no kernel would take (the schema checks the shapes). */
export function checkSettings(s: CgroupsSettings): string[] {
  const problems: string[] = [];
  let l: Limits;
  try {
    l = limitsOf(s);
  } catch (err) {
    return [(err as Error).message];
  }
  const { limit, reservation } = l.memory;
  if (limit !== undefined && reservation !== undefined && reservation > limit) {
    problems.push(`memory.reservation (${formatSize(reservation)}) is above memory.limit (${formatSize(limit)})`);
  }
  if (limit === 0) problems.push('memory.limit 0 leaves no memory to start the command');
  if (s.cpu?.shares !== undefined && s.cpu.weight !== undefined) problems.push('cpu.shares and cpu.weight set the same thing: give one of them');
  if (s.cpu?.quota !== undefined && s.cpu.quota < 1000) problems.push('cpu.quota must be at least 1000 microseconds');
  return problems;
}

/** The lines HostContext.report gets for what happened in the cgroup. */
export function findings(r: Readings, limits: Limits, status: ExitStatus): string[] {
  const out: string[] = [];
  const memLimit = limits.memory.limit ?? r.memoryLimitBytes;
  const memText = memLimit !== null && memLimit !== undefined ? `memory limit ${formatSize(memLimit)}` : '';
  const killed = status.signal === 'SIGKILL' || status.code === 137;
  if (r.oomKills) {
    out.push(
      killed
        ? `container was killed by the OOM killer${memText ? ` (${memText})` : ''}`
        : `the OOM killer killed ${r.oomKills} process${r.oomKills === 1 ? '' : 'es'} in the container${memText ? ` (${memText})` : ''}`,
    );
  } else if (r.oomKills === null && r.memoryFailcnt && killed) {
    // Before Linux 4.13 v1 does not count OOM kills: the limit was hit and the command died of SIGKILL.
    out.push(`container was probably killed by the OOM killer: the ${memText || 'memory limit'} was reached ${r.memoryFailcnt} times`);
  }
  if (r.pidsLimitHits) {
    const max = r.pidsLimit ?? limits.pidsMax;
    out.push(`the pids limit${max ? ` (${max})` : ''} was reached: ${r.pidsLimitHits} fork/clone call${r.pidsLimitHits === 1 ? '' : 's'} failed`);
  }
  return out;
}

/**
 * Taps the host hooks for one run. `ops` creates and removes cgroup directories: the kernel's
 * by default; tests pass a fake cgroupfs's.
 */
export function tapHost(hooks: HostHooks, s: CgroupsSettings, ops: CgroupOps = KERNEL_OPS): void {
  const limits = limitsOf(s);
  let cg: RunCgroup | undefined;
  hooks.prepare.tapPromise('cgroups', async (ctx) => {
    const c = new RunCgroup({ root: s.root, version: s.version, parent: s.parent, name: s.name ?? defaultCgroupName(ctx.id), removeParent: s.removeParent, limits, ops });
    cg = c;
    // Deferred before anything is made: parents made before a failure go too.
    ctx.defer(() => c.destroy());
    // What runs whose supervisor was SIGKILLed left behind goes now.
    for (const dir of await c.sweepStale()) ctx.warn(`removed the cgroup ${dir}, left by a run whose supervisor was killed`);
    c.create((m) => ctx.warn(m));
  });
  hooks.attach.tapPromise('cgroups', async (ctx) => {
    if (ctx.pid === undefined) throw new Error('no init pid to put in the cgroup');
    cg!.attach(ctx.pid);
  });
  hooks.started.tapPromise('cgroups', async () => cg!.sample());
  hooks.exited.tapPromise('cgroups', async (ctx, status) => {
    let r: Readings;
    try {
      r = cg!.read();
    } catch (err) {
      // The command ran and ended: a figure that cannot be read must not turn that into a failure.
      ctx.warn(`cannot read the cgroup figures: ${(err as Error).message}`);
      return;
    }
    const usage: Usage & { version: string; path: string } = {
      version: cg!.version,
      path: cg!.path,
      memoryPeakBytes: r.memoryPeakBytes,
      cpuUsec: r.cpuUsec,
      cpuUserUsec: r.cpuUserUsec,
      cpuSystemUsec: r.cpuSystemUsec,
      pidsPeak: r.pidsPeak,
      oomKills: r.oomKills,
      pidsLimitHits: r.pidsLimitHits,
    };
    ctx.stats.cgroups = usage;
    for (const line of findings(r, limits, status)) ctx.report(line);
  });
}

export default defineStage<CgroupsSettings>({
  contract: 1,
  name: 'cgroups',
  description:
    "Puts the container in its own cgroup (v1 or v2, detected at run time) with memory, CPU, pids and I/O limits; reports OOM kills and pids-limit hits, collects usage for --stats, and removes the cgroup after the run.",
  schema: SCHEMA,
  check: (s) => checkSettings(s),
  host: (hooks, s) => tapHost(hooks, s),
});
