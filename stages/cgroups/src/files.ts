// File-level access to a cgroupfs tree. Everything takes plain paths, so the same code runs
// on the kernel's cgroupfs and on a fake tree in a temporary directory.
import * as fs from 'node:fs';
import { IsolateError } from '@isolate/core';

/**
 * Creating and removing cgroup directories. On cgroupfs the kernel fills a new directory with
 * its interface files and rmdir removes them; a fake tree in tests supplies its own versions.
 */
export interface CgroupOps {
  /** mkdir(2) of one directory: EEXIST when it exists, ENOENT when its parent does not. */
  mkdir(dir: string): void;
  /** rmdir(2) of one cgroup: EBUSY while it has processes or child cgroups. */
  rmdir(dir: string): void;
}

export const KERNEL_OPS: CgroupOps = {
  mkdir: (dir) => fs.mkdirSync(dir),
  rmdir: (dir) => fs.rmdirSync(dir),
};

/** A failed read or write of a cgroup file; keeps the errno name for callers that retry. */
export class CgroupFileError extends IsolateError {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly path: string,
  ) {
    super(message);
    this.name = 'CgroupFileError';
  }
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Writes `value` to a cgroup interface file. No O_CREAT: a missing file is an error of its own
 * (controller not enabled), and cgroupfs refuses to create files anyway. No O_RDONLY part:
 * kernfs refuses to open write-only files such as cgroup.kill for reading.
 */
export function writeCgroupFile(file: string, value: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  } catch (err) {
    const code = errnoOf(err);
    throw new CgroupFileError(`cannot open ${file}: ${code ?? (err as Error).message}${code === 'ENOENT' ? ' (the controller is not enabled in this cgroup)' : ''}`, code, file);
  }
  try {
    fs.writeSync(fd, value);
  } catch (err) {
    const code = errnoOf(err);
    const why = code === 'EINVAL' || code === 'ERANGE' ? 'the kernel refused the value' : code === 'EBUSY' ? 'the cgroup is busy' : (err as Error).message;
    throw new CgroupFileError(`cannot write '${value.trim()}' to ${file}: ${code ?? 'error'} (${why})`, code, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** The contents of a cgroup file, or undefined when it does not exist (an older kernel, a controller off). */
export function readCgroupFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** A file holding one number (e.g. memory.peak); undefined when absent, null for "max". */
export function readNumber(file: string): number | null | undefined {
  const text = readCgroupFile(file)?.trim();
  if (text === undefined) return undefined;
  if (text === 'max' || text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** A flat keyed file ("oom_kill 1\nmax 0\n", as memory.events, pids.events, cpu.stat). */
export function readKeyed(file: string): Map<string, number> | undefined {
  const text = readCgroupFile(file);
  if (text === undefined) return undefined;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

/** A space-separated list file (cgroup.controllers, cgroup.subtree_control). */
export function readList(file: string): string[] {
  return (readCgroupFile(file) ?? '').split(/\s+/).map((t) => t.replace(/^\+/, '')).filter(Boolean);
}

/** PIDs in a cgroup (cgroup.procs); none when the cgroup is gone. */
export function readProcs(dir: string): number[] {
  return (readCgroupFile(`${dir}/cgroup.procs`) ?? '')
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

/** True while `pid` is a live process (a zombie holds no cgroup and cannot be killed again). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
