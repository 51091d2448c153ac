// One run's cgroup: created before the init starts, joined by it, read and removed at the end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IsolateError, logger } from '@isolate/core';
import { KERNEL_OPS, errnoOf, isAlive, readCgroupFile, readList, readNumber, readProcs, sleep, writeCgroupFile, type CgroupOps } from './files';
import type { Limits, Readings } from './limits';
import { V2_STATS_CONTROLLERS, applyV2Limits, enableControllers, readV2, v2NeededControllers } from './v2';
import { applyV1Limits, initCpuset, readV1, v1Hierarchies, v1NeededControllers, type V1Controller } from './v1';

const log = logger('isolate:stage:cgroups');

const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP_SUPER_MAGIC = 0x27e0eb;

/**
 * v2 when `root` is a cgroup2 mount (a pure v2 host); v1 when it is a v1 hierarchy or a tmpfs
 * holding one per controller (v1 and hybrid hosts). A plain directory (a fake tree) is v2 when
 * it has cgroup.controllers, as a v2 root does.
 */
export function detectVersion(root: string): 'v1' | 'v2' {
  try {
    const type = fs.statfsSync(root).type;
    if (type === CGROUP2_SUPER_MAGIC) return 'v2';
    if (type === CGROUP_SUPER_MAGIC) return 'v1';
  } catch {
    // missing root: the create step names it
  }
  return fs.existsSync(path.join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

export interface RunCgroupOptions {
  /** Where cgroupfs is mounted (/sys/fs/cgroup). */
  root: string;
  version: 'auto' | 'v1' | 'v2';
  /** The parent cgroup, relative to the hierarchy's root ("" for the root itself). */
  parent: string;
  name: string;
  removeParent: boolean;
  limits: Limits;
  ops?: CgroupOps;
  /** How long cleanup waits for the processes to die and the directories to go. */
  timeoutMs?: number;
}

/** The run's cgroup in one hierarchy (v2 has one; v1 one per mounted controller hierarchy). */
interface Place {
  root: string;
  controllers: readonly string[];
  /** The parent cgroups, outermost first (not the root). */
  chain: string[];
  leaf: string;
  created: boolean;
}

/** The default name of a run's cgroup: the supervisor's pid tells later runs whether it is stale. */
export function defaultCgroupName(runId: string): string {
  return `isolate-${process.pid}-${runId}`;
}
const STALE_NAME = /^isolate-(\d+)-[0-9a-f]+$/;

export class RunCgroup {
  readonly version: 'v1' | 'v2';
  /** The cgroup's path within its hierarchy, e.g. /isolate/isolate-0123456789ab. */
  readonly path: string;
  private readonly places: Place[];
  private readonly ops: CgroupOps;
  private readonly timeoutMs: number;
  private pidsSeen: number | null = null;
  private destroyed = false;

  constructor(private readonly options: RunCgroupOptions) {
    this.ops = options.ops ?? KERNEL_OPS;
    this.timeoutMs = options.timeoutMs ?? 3000;
    if (!fs.existsSync(options.root)) throw new IsolateError(`cgroupfs root ${options.root} does not exist`);
    this.version = options.version === 'auto' ? detectVersion(options.root) : options.version;
    const parts = options.parent.split('/').filter(Boolean);
    this.path = '/' + [...parts, options.name].join('/');
    const place = (root: string, controllers: readonly string[]): Place => ({
      root,
      controllers,
      chain: parts.map((_, i) => path.join(root, ...parts.slice(0, i + 1))),
      leaf: path.join(root, ...parts, options.name),
      created: false,
    });
    if (this.version === 'v2') {
      if (!fs.existsSync(path.join(options.root, 'cgroup.controllers'))) throw new IsolateError(`${options.root} is not a cgroup v2 hierarchy (no cgroup.controllers)`);
      this.places = [place(options.root, [])];
    } else {
      const hierarchies = v1Hierarchies(options.root);
      if (!hierarchies.length) throw new IsolateError(`no cgroup v1 hierarchies under ${options.root} (expected ${options.root}/memory, ${options.root}/pids, ...)`);
      this.places = hierarchies.map((h) => place(h.root, h.controllers));
    }
  }

  /** The run's cgroup directories (one per hierarchy). */
  get dirs(): string[] {
    return this.places.map((p) => p.leaf);
  }

  /** The run's directory in the hierarchy of `controller` (v2: the one directory). */
  dirOf(controller: string): string | undefined {
    if (this.version === 'v2') return this.places[0]!.leaf;
    return this.places.find((p) => p.controllers.includes(controller))?.leaf;
  }

  /**
   * Removes the cgroups that earlier runs left when their supervisor was killed outright
   * (SIGKILL: no cleanup ran). Only names made by defaultCgroupName whose supervisor pid is
   * no longer alive are touched; what is still in them is killed first (their runs have no
   * supervisor left). Returns the paths removed.
   */
  async sweepStale(): Promise<string[]> {
    const removed: string[] = [];
    for (const p of this.places) {
      const parentDir = p.chain.at(-1) ?? p.root;
      let names: string[];
      try {
        names = fs.readdirSync(parentDir);
      } catch {
        continue; // no parent yet: nothing was left
      }
      for (const name of names) {
        const owner = STALE_NAME.exec(name);
        if (!owner || isAlive(Number(owner[1]))) continue;
        const dir = path.join(parentDir, name);
        if ((await this.killAll([dir])).length) continue;
        try {
          await this.removeDir(dir, Date.now() + this.timeoutMs);
          removed.push(dir);
        } catch (err) {
          log('cannot sweep %s: %s', dir, (err as Error).message);
        }
      }
    }
    if (removed.length) log('swept stale cgroups: %o', removed);
    return removed;
  }

  /** Creates the cgroup (and missing parents) and writes the limits. */
  create(warn: (message: string) => void): void {
    const { limits } = this.options;
    if (this.version === 'v2') {
      const available = readList(path.join(this.options.root, 'cgroup.controllers'));
      const missing = v2NeededControllers(limits).filter((c) => !available.includes(c));
      if (missing.length) {
        throw new IsolateError(`the cgroup v2 controller(s) ${missing.join(', ')} needed for the limits are not available in ${this.options.root} (cgroup.controllers: ${available.join(' ') || 'none'})`);
      }
    } else {
      const missing = v1NeededControllers(limits).filter((c) => !this.places.some((p) => p.controllers.includes(c)));
      if (missing.length) throw new IsolateError(`the cgroup v1 controller(s) ${missing.join(', ')} needed for the limits are not mounted under ${this.options.root}`);
    }
    // Refuse before creating anything: the existing cgroup belongs to someone else.
    const taken = this.places.find((p) => fs.existsSync(p.leaf));
    if (taken) throw this.collision(taken.leaf);

    // Each level enables the controllers before its child is made (so the child has their files
    // at once), and the whole chain once more after the leaf exists: a concurrent run may have
    // removed and re-made a parent meanwhile, and only the leaf pins its parents (a cgroup
    // with children cannot be removed).
    if (this.version === 'v2') {
      const p = this.places[0]!;
      const wanted = [...new Set([...v2NeededControllers(limits), ...V2_STATS_CONTROLLERS])];
      this.makeLeaf(p, (dir) => void enableControllers([dir], wanted));
      enableControllers([p.root, ...p.chain], wanted);
      applyV2Limits(p.leaf, limits, warn);
    } else {
      for (const p of this.places) this.makeLeaf(p, () => undefined);
      const cpuset = this.places.find((p) => p.controllers.includes('cpuset'));
      if (cpuset) initCpuset([cpuset.root, ...cpuset.chain, cpuset.leaf], limits.cpu.cpus, limits.cpu.mems);
      applyV1Limits((c: V1Controller) => this.dirOf(c), limits, warn);
    }
    log('created %s (%s) in %s', this.path, this.version, this.dirs.join(', '));
  }

  private collision(dir: string): IsolateError {
    return new IsolateError(`cgroup ${this.path} already exists (${dir}): another container may be using it; choose another cgroups name or remove that cgroup`);
  }

  /** Makes the missing parents and the leaf, top-down; `setup` readies each dir before its child. */
  private makeLeaf(p: Place, setup: (dir: string) => void): void {
    for (let attempt = 1; ; attempt++) {
      try {
        setup(p.root);
        for (const dir of p.chain) {
          try {
            this.ops.mkdir(dir);
          } catch (err) {
            if (errnoOf(err) !== 'EEXIST') throw err;
          }
          setup(dir);
        }
        this.ops.mkdir(p.leaf);
        p.created = true;
        return;
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'EEXIST') throw this.collision(p.leaf);
        // A concurrent run removed an empty parent between our mkdir calls: make it again.
        if (code === 'ENOENT' && attempt < 20) continue;
        if (err instanceof IsolateError) throw err;
        throw new IsolateError(`cannot create cgroup ${p.leaf}: ${code ?? (err as Error).message}`);
      }
    }
  }

  /** Moves process `pid` (all its threads) into the cgroup. */
  attach(pid: number): void {
    for (const p of this.places) writeCgroupFile(`${p.leaf}/cgroup.procs`, String(pid));
    log('attached pid %d to %s', pid, this.path);
    this.sample();
  }

  /** Notes pids.current, for a pids peak where the kernel has no pids.peak. */
  sample(): void {
    const dir = this.dirOf('pids');
    const n = dir ? readNumber(`${dir}/pids.current`) : undefined;
    if (typeof n === 'number') this.pidsSeen = Math.max(this.pidsSeen ?? 0, n);
  }

  /** Usage figures and events of the run, read from the cgroup files. */
  read(): Readings {
    return this.version === 'v2' ? readV2(this.places[0]!.leaf, this.pidsSeen) : readV1((c) => this.dirOf(c), this.pidsSeen);
  }

  /**
   * Kills what is left in the cgroup, removes it, then its parents if empty. Runs once, on
   * every path (the stage defers it as soon as it starts creating).
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const problems: string[] = [];
    const ours = this.places.filter((p) => p.created);
    if (ours.length) {
      const survivors = await this.killAll(ours.map((p) => p.leaf));
      if (survivors.length) problems.push(`process(es) ${survivors.join(', ')} still in ${this.path} after SIGKILL`);
      const deadline = Date.now() + this.timeoutMs;
      for (const p of ours) {
        try {
          await this.removeDir(p.leaf, deadline);
          p.created = false;
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
    }
    if (this.options.removeParent) for (const p of this.places) this.removeParents(p);
    log('removed %s', this.path);
    if (problems.length) throw new Error(problems.join('; '));
  }

  /** Kills every process in `leaves`; resolves with the ones still alive at the deadline. */
  private async killAll(leaves: string[]): Promise<number[]> {
    let byKillFile = false;
    if (this.version === 'v2') {
      for (const leaf of leaves) {
        if (readCgroupFile(`${leaf}/cgroup.procs`)?.trim() && fs.existsSync(`${leaf}/cgroup.kill`)) {
          // cgroup.kill (Linux 5.14) kills the whole cgroup at once, also processes forking meanwhile.
          writeCgroupFile(`${leaf}/cgroup.kill`, '1');
          byKillFile = true;
        }
      }
    }
    const start = Date.now();
    const deadline = start + this.timeoutMs;
    for (;;) {
      const pids = [...new Set(leaves.flatMap(readProcs))].filter((pid) => pid !== process.pid && isAlive(pid));
      if (!pids.length) return [];
      if (Date.now() >= deadline) return pids;
      // After cgroup.kill give the kernel a moment; without it (or if it did not do), kill by pid.
      if (!byKillFile || Date.now() - start > 100) {
        log('killing %o in %s', pids, this.path);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }
      await sleep(5);
    }
  }

  /** rmdir, retried while the cgroup is still busy with exiting processes. */
  private async removeDir(dir: string, deadline: number): Promise<void> {
    for (;;) {
      try {
        this.ops.rmdir(dir);
        return;
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT') return;
        if (code === 'EBUSY' && Date.now() < deadline) {
          await sleep(10);
          continue;
        }
        throw new Error(`cannot remove cgroup ${dir}: ${code ?? (err as Error).message}`);
      }
    }
  }

  /** Removes the parents that are empty now, innermost first; others are in use by other runs. */
  private removeParents(p: Place): void {
    for (const dir of [...p.chain].reverse()) {
      try {
        this.ops.rmdir(dir);
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT') continue; // a concurrent run removed it
        if (code !== 'EBUSY' && code !== 'ENOTEMPTY') log('cannot remove parent cgroup %s: %s', dir, code);
        return;
      }
    }
  }
}
