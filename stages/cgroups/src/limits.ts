// The stage's settings and the limits they ask for, with sizes in bytes.
import { parseSize, type Size } from './size';

export interface DeviceSettings {
  readBps?: Size;
  writeBps?: Size;
  readIops?: number;
  writeIops?: number;
}

export interface CgroupsSettings {
  root: string;
  version: 'auto' | 'v1' | 'v2';
  parent: string;
  name?: string;
  removeParent: boolean;
  memory?: { limit?: Size; swap?: Size; reservation?: Size };
  cpu?: { shares?: number; weight?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { max?: number };
  io?: { weight?: number; devices?: Record<string, DeviceSettings> };
}

export interface DeviceLimit {
  /** "major:minor" */
  device: string;
  readBps?: number;
  writeBps?: number;
  readIops?: number;
  writeIops?: number;
}

/** What to write, independent of the cgroup version. */
export interface Limits {
  memory: { limit?: number; swap?: number; reservation?: number };
  cpu: { shares?: number; weight?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pidsMax?: number;
  io: { weight?: number; devices: DeviceLimit[] };
}

const size = (s: Size | undefined): number | undefined => (s === undefined ? undefined : parseSize(s));

export function limitsOf(s: Partial<CgroupsSettings>): Limits {
  const devices = Object.entries(s.io?.devices ?? {}).map(([device, d]) => {
    const out: DeviceLimit = { device };
    if (d.readBps !== undefined) out.readBps = parseSize(d.readBps);
    if (d.writeBps !== undefined) out.writeBps = parseSize(d.writeBps);
    if (d.readIops !== undefined) out.readIops = d.readIops;
    if (d.writeIops !== undefined) out.writeIops = d.writeIops;
    return out;
  });
  return {
    memory: { limit: size(s.memory?.limit), swap: size(s.memory?.swap), reservation: size(s.memory?.reservation) },
    cpu: { ...s.cpu },
    pidsMax: s.pids?.max,
    io: { weight: s.io?.weight, devices },
  };
}

export const hasMemoryLimits = (l: Limits): boolean => l.memory.limit !== undefined || l.memory.swap !== undefined || l.memory.reservation !== undefined;
export const hasCpuLimits = (l: Limits): boolean => l.cpu.shares !== undefined || l.cpu.weight !== undefined || l.cpu.quota !== undefined || l.cpu.period !== undefined;
export const hasCpusetLimits = (l: Limits): boolean => l.cpu.cpus !== undefined || l.cpu.mems !== undefined;
export const hasIoLimits = (l: Limits): boolean => l.io.weight !== undefined || l.io.devices.length > 0;

// cpu.shares (v1, 2..262144, default 1024) and cpu.weight (v2, 1..10000, default 100) map
// linearly onto each other, as runc converts them.
export const sharesToWeight = (shares: number): number => 1 + Math.floor(((shares - 2) * 9999) / 262142);
export const weightToShares = (weight: number): number => 2 + Math.floor(((weight - 1) * 262142) / 9999);

/** The v1 period used when only a quota is given (the kernel's default). */
export const DEFAULT_PERIOD_US = 100000;

/** What the stage collects at exit (HostContext.stats.cgroups). */
export interface Usage {
  /** Peak memory use of the cgroup (v1 memory.max_usage_in_bytes, v2 memory.peak). */
  memoryPeakBytes: number | null;
  /** CPU time (v1 cpuacct.usage, v2 cpu.stat usage_usec), and its user and system parts. */
  cpuUsec: number | null;
  cpuUserUsec: number | null;
  cpuSystemUsec: number | null;
  /** Most processes and threads at once (pids.peak, else the most pids.current seen). */
  pidsPeak: number | null;
  /** Processes the OOM killer killed in the cgroup. */
  oomKills: number | null;
  /** Fork/clone calls that failed on the pids limit (pids.events max). */
  pidsLimitHits: number | null;
}

/** Figures read along with the usage, for the messages (not part of the stats). */
export interface Readings extends Usage {
  /** The effective memory limit in the cgroup, null when unlimited or unknown. */
  memoryLimitBytes: number | null;
  pidsLimit: number | null;
  /** v1 without oom_kill in memory.oom_control: how often the memory limit was hit. */
  memoryFailcnt: number | null;
}
