import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The host path of `p` inside `root`, following symlinks as if `root` were "/", so that a
 * rootfs holding `dev -> /etc` cannot make a stage write or mount outside of it. Components
 * that do not exist yet are kept as given. (What runc gets from securejoin.)
 */
export function resolveInRoot(root: string, p: string): string {
  const rest = p.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (rest.length) {
    const c = rest.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const full = path.join(root, ...done, c);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(full);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) {
      if (++links > 40) {
        const err = new Error(`too many levels of symbolic links resolving ${p} in ${root}`) as NodeJS.ErrnoException;
        err.code = 'ELOOP';
        throw err;
      }
      const target = fs.readlinkSync(full);
      if (target.startsWith('/')) done.length = 0;
      rest.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(c);
  }
  return path.join(root, ...done);
}

/**
 * Makes `hostPath` exist as a mount point: a directory, or (for binds of files) an empty
 * file, creating parents as needed.
 */
export function ensureMountpoint(hostPath: string, kind: 'dir' | 'file'): void {
  if (kind === 'dir') {
    fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
    return;
  }
  fs.mkdirSync(path.dirname(hostPath), { recursive: true, mode: 0o755 });
  try {
    fs.closeSync(fs.openSync(hostPath, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, 0o644));
  } catch (err) {
    // An existing directory or special file is fine for the bind to sit on.
    if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  }
}

/** One line of /proc/<pid>/mountinfo. */
export interface MountInfo {
  id: number;
  parent: number;
  /** major:minor */
  dev: string;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  /** Per-mount options (rw, nosuid, ...). */
  options: string[];
  /** Optional fields (shared:N, master:N, ...). */
  optional: string[];
  fstype: string;
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

/** Octal escapes (\040 for space) as the kernel writes them in mountinfo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2]!,
      root: unescape(f[3]!),
      mountPoint: unescape(f[4]!),
      options: f[5]!.split(','),
      optional: f.slice(6, sep),
      fstype: f[sep + 1]!,
      source: unescape(f[sep + 2]!),
      superOptions: (f[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

export function readMountinfo(pid: number | 'self' = 'self'): MountInfo[] {
  return parseMountinfo(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}
