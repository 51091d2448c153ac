import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  defineStage,
  needsNamespace,
  requireNamespace,
  ensureMountpoint,
  resolveInRoot,
  readMountinfo,
  MODE_SCHEMA,
  ABSOLUTE_PATH_SCHEMA,
  MOUNT_OPTION_NAMES,
  type ContainerContext,
  type MountOptionName,
  type MountInfo,
} from '@isolate/core';
import { MS } from '@isolate/sys';

/** One row of the standard mount table (the seed's, as runc sets it up). */
export interface SystemMount {
  target: string;
  source: string;
  fstype: string;
  flags: number;
  data: string | null;
}

/** The standard mounts, in the order they are made. `cgroup` is special-cased below. */
export const SYSTEM_MOUNTS: Readonly<Record<string, SystemMount>> = {
  proc: { target: '/proc', source: 'proc', fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: null },
  dev: { target: '/dev', source: 'tmpfs', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k' },
  devpts: {
    target: '/dev/pts',
    source: 'devpts',
    fstype: 'devpts',
    flags: MS.NOSUID | MS.NOEXEC,
    data: 'newinstance,ptmxmode=0666,mode=0620,gid=5',
  },
  shm: { target: '/dev/shm', source: 'shm', fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=1777,size=65536k' },
  mqueue: { target: '/dev/mqueue', source: 'mqueue', fstype: 'mqueue', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: null },
  sysfs: { target: '/sys', source: 'sysfs', fstype: 'sysfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, data: null },
  cgroup: { target: '/sys/fs/cgroup', source: 'cgroup', fstype: 'cgroup', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY, data: null },
};
type SystemName = keyof typeof SYSTEM_MOUNTS;

const OPTION_FLAGS: Record<MountOptionName, number> = {
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME,
  ro: MS.RDONLY,
  rw: 0,
};

export interface BindMount {
  source: string;
  target?: string;
  readonly: boolean;
  recursive: boolean;
  options: MountOptionName[];
}
export interface TmpfsMount {
  target: string;
  size?: string;
  mode?: string;
  options: MountOptionName[];
}
export interface MountsSettings {
  system: SystemName[];
  binds: BindMount[];
  tmpfs: TmpfsMount[];
}

const optionsSchema = {
  type: 'array',
  items: { enum: [...MOUNT_OPTION_NAMES] },
  default: ['nosuid', 'nodev'],
  description: 'mount flags',
};

export default defineStage<MountsSettings>({
  contract: 1,
  name: 'mounts',
  description: 'Mounts proc, /dev, devpts, shm, mqueue, sysfs and cgroups in the new root, plus the binds and tmpfs mounts the profile lists.',
  phase: 'mounts',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      system: {
        type: 'array',
        uniqueItems: true,
        items: { enum: Object.keys(SYSTEM_MOUNTS) },
        default: Object.keys(SYSTEM_MOUNTS),
        description: 'which standard mounts to make (made in the table order)',
      },
      binds: {
        type: 'array',
        default: [],
        description: 'host paths bound into the container',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['source'],
          properties: {
            source: { type: 'string', minLength: 1, description: 'the host path (file or directory)' },
            target: { ...ABSOLUTE_PATH_SCHEMA, description: 'where it appears in the container (default: the same path)' },
            readonly: { type: 'boolean', default: false, description: 'bind read-only' },
            recursive: { type: 'boolean', default: true, description: 'include the mounts below the source' },
            options: optionsSchema,
          },
        },
      },
      tmpfs: {
        type: 'array',
        default: [],
        description: 'tmpfs mounts',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['target'],
          properties: {
            target: ABSOLUTE_PATH_SCHEMA,
            size: { type: 'string', pattern: '^[0-9]+[kmg%]?$', description: 'size limit, e.g. "64m"' },
            mode: MODE_SCHEMA,
            options: optionsSchema,
          },
        },
      },
    },
  },
  check: needsNamespace('mount'),
  container(hooks, s) {
    hooks.mounts.tap('mounts', (ctx) => {
      requireNamespace(ctx, 'mount', 'mount');
      for (const name of Object.keys(SYSTEM_MOUNTS) as SystemName[]) {
        if (!s.system.includes(name)) continue;
        if (name === 'cgroup') mountCgroups(ctx);
        else mountSystem(ctx, SYSTEM_MOUNTS[name]!);
      }
      for (const b of s.binds) bind(ctx, b);
      for (const t of s.tmpfs) tmpfs(ctx, t);
    });
  },
});

function flagsOf(options: readonly MountOptionName[]): number {
  return options.reduce((f, o) => f | OPTION_FLAGS[o], 0);
}

function mountSystem(ctx: ContainerContext, m: SystemMount): void {
  ctx.step(`mount ${m.fstype} on ${m.target}`);
  const dst = resolveInRoot(ctx.root, m.target);
  ensureMountpoint(dst, 'dir');
  ctx.sys.mount(m.source, dst, m.fstype, m.flags, m.data);
}

function bind(ctx: ContainerContext, b: BindMount): void {
  const source = path.resolve(b.source);
  const target = b.target ?? source;
  ctx.step(`bind ${source} on ${target}`);
  const st = fs.statSync(source);
  const dst = resolveInRoot(ctx.root, target);
  ensureMountpoint(dst, st.isDirectory() ? 'dir' : 'file');
  ctx.sys.mount(source, dst, null, MS.BIND | (b.recursive ? MS.REC : 0), null);
  const flags = flagsOf(b.options) | (b.readonly ? MS.RDONLY : 0);
  // Bind mounts take their flags only from a remount.
  if (flags) ctx.sys.mount(null, dst, null, MS.REMOUNT | MS.BIND | flags, null);
}

function tmpfs(ctx: ContainerContext, t: TmpfsMount): void {
  ctx.step(`mount tmpfs on ${t.target}`);
  const dst = resolveInRoot(ctx.root, t.target);
  ensureMountpoint(dst, 'dir');
  const data = [t.mode ? `mode=${t.mode}` : '', t.size ? `size=${t.size}` : ''].filter(Boolean).join(',');
  ctx.sys.mount('tmpfs', dst, 'tmpfs', flagsOf(t.options), data || null);
}

/**
 * /sys/fs/cgroup, read-only, showing the container's own cgroup. In a cgroup namespace a
 * fresh cgroup mount shows the namespace's root; without one, the own cgroup is bound.
 * v1/hybrid hosts get a tmpfs holding one mount per hierarchy, as runc does.
 */
function mountCgroups(ctx: ContainerContext): void {
  const RO = MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY;
  const target = '/sys/fs/cgroup';
  const dst = resolveInRoot(ctx.root, target);
  const inCgroupNs = ctx.namespaces.has('cgroup');
  const host = readMountinfo().filter((m) => (m.fstype === 'cgroup' || m.fstype === 'cgroup2') && m.mountPoint.startsWith(target));
  const own = ownCgroups();
  ensureMountpoint(dst, 'dir');
  const one = (m: MountInfo, at: string): void => {
    if (inCgroupNs) {
      ctx.step(`mount ${m.fstype} on ${path.join(target, path.relative(dst, at))}`);
      const data = m.fstype === 'cgroup' ? m.superOptions.filter((o) => o !== 'rw' && o !== 'ro').join(',') : null;
      ctx.sys.mount(m.fstype, at, m.fstype, RO, data);
    } else {
      const rel = path.relative(m.root, cgroupPathFor(m, own) ?? m.root);
      const src = path.join(m.mountPoint, rel);
      ctx.step(`bind ${src} read-only`);
      ctx.sys.mount(src, at, null, MS.BIND, null);
      ctx.sys.mount(null, at, null, MS.REMOUNT | MS.BIND | RO, null);
    }
  };
  const unified = host.find((m) => m.mountPoint === target && m.fstype === 'cgroup2');
  if (unified) {
    one(unified, dst);
    return;
  }
  ctx.step(`mount tmpfs on ${target}`);
  ctx.sys.mount('tmpfs', dst, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
  for (const m of host) {
    if (path.dirname(m.mountPoint) !== target) continue;
    const at = path.join(dst, path.basename(m.mountPoint));
    ensureMountpoint(at, 'dir');
    one(m, at);
  }
  ctx.step(`remount ${target} read-only`);
  ctx.sys.mount(null, dst, null, MS.REMOUNT | RO, 'mode=755');
}

interface OwnCgroup {
  controllers: string[];
  path: string;
}

function ownCgroups(): OwnCgroup[] {
  return fs
    .readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers, p] = line.split(/:(.*?):/);
      return { controllers: controllers ? controllers.split(',') : [], path: p ?? '/' };
    });
}

/** The process's cgroup in the hierarchy mounted at `m`. */
function cgroupPathFor(m: MountInfo, own: OwnCgroup[]): string | undefined {
  if (m.fstype === 'cgroup2') return own.find((o) => o.controllers.length === 0)?.path;
  return own.find((o) => o.controllers.length > 0 && o.controllers.every((c) => m.superOptions.includes(c)))?.path;
}
