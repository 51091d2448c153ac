import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineStage, needsNamespace, requireNamespace, ensureMountpoint, type ContainerContext } from '@isolate/core';
import { MS } from '@isolate/sys';

/** Where the composed root's tmpfs is mounted, in the init's private mount namespace only. */
export const COMPOSE_MOUNTPOINT = '/run/isolate/rootfs';

export interface RootfsSettings {
  path?: string;
  readonly: boolean;
  binds: string[];
  etc: string[];
  dirs: string[];
  size: string;
  mountpoint: string;
}

const BIND_FLAGS = MS.BIND | MS.REC;
const RO_REMOUNT = MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV;

export default defineStage<RootfsSettings>({
  contract: 1,
  name: 'rootfs',
  description: "Assembles the container's root: a directory bind-mounted, or a tmpfs composed from read-only binds of the host's system directories.",
  phase: 'rootfs',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', minLength: 1, description: 'a directory to use as the root (relative paths are from the working directory); omit to compose one from the host' },
      readonly: { type: 'boolean', default: false, description: 'remount the root read-only once it is in place' },
      binds: {
        type: 'array',
        items: { type: 'string', pattern: '^/' },
        default: ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'],
        description: 'host directories bound read-only into a composed root (a host symlink is copied as a symlink; a missing one is skipped)',
      },
      etc: {
        type: 'array',
        items: { type: 'string', pattern: '^[^/]' },
        default: ['passwd', 'group', 'nsswitch.conf', 'hosts', 'resolv.conf', 'host.conf', 'ld.so.cache', 'ld.so.conf', 'localtime', 'services', 'protocols'],
        description: 'files of the host /etc bound read-only into a composed root (missing ones are skipped)',
      },
      dirs: {
        type: 'array',
        items: { type: 'string', pattern: '^/' },
        default: ['/tmp', '/root', '/run', '/var/tmp', '/home'],
        description: 'empty directories created in a composed root',
      },
      size: { type: 'string', pattern: '^[0-9]+[kmg]?$', default: '16m', description: 'size of the composed root tmpfs, e.g. "16m"' },
      mountpoint: {
        type: 'string',
        pattern: '^/',
        default: COMPOSE_MOUNTPOINT,
        description: 'where a composed root is assembled; the tmpfs is mounted there in the private mount namespace only',
      },
    },
  },
  check: needsNamespace('mount'),
  container(hooks, s) {
    hooks.rootfs.tap('rootfs', (ctx) => {
      requireNamespace(ctx, 'mount', 'assemble a root');
      if (s.path) bindDirectory(ctx, path.resolve(s.path));
      else compose(ctx, s);
    });
    hooks.seal.tap('rootfs', (ctx) => {
      if (!s.readonly) return;
      ctx.step('remount / read-only');
      const flags = MS.REMOUNT | MS.BIND | MS.RDONLY | (s.path ? 0 : MS.NOSUID | MS.NODEV);
      ctx.sys.mount(null, ctx.pivoted ? '/' : ctx.root, null, flags, null);
    });
  },
});

function bindDirectory(ctx: ContainerContext, dir: string): void {
  ctx.step(`bind ${dir} as the root`);
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', syscall: 'stat', path: dir });
  const real = fs.realpathSync(dir);
  // A bind of the directory onto itself makes it a mount point, which pivot_root needs.
  ctx.sys.mount(real, real, null, BIND_FLAGS, null);
  ctx.root = real;
}

function compose(ctx: ContainerContext, s: RootfsSettings): void {
  const root = s.mountpoint;
  ctx.step(`mount tmpfs on ${root}`);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  ctx.sys.mount('tmpfs', root, 'tmpfs', MS.NOSUID | MS.NODEV, `mode=755,size=${s.size}`);
  ctx.root = root;
  for (const dir of s.binds) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue; // not on this host (e.g. /lib32)
    }
    const dst = path.join(root, dir);
    fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o755 });
    if (st.isSymbolicLink()) {
      ctx.step(`link ${dir}`);
      ctx.sys.symlink(fs.readlinkSync(dir), dst);
      continue;
    }
    ctx.step(`bind ${dir} read-only`);
    ensureMountpoint(dst, st.isDirectory() ? 'dir' : 'file');
    ctx.sys.mount(dir, dst, null, BIND_FLAGS, null);
    ctx.sys.mount(null, dst, null, RO_REMOUNT, null);
  }
  for (const name of s.etc) {
    const src = path.join('/etc', name);
    let st: fs.Stats;
    try {
      st = fs.statSync(src);
    } catch {
      continue;
    }
    ctx.step(`bind ${src} read-only`);
    const dst = path.join(root, 'etc', name);
    ensureMountpoint(dst, st.isDirectory() ? 'dir' : 'file');
    ctx.sys.mount(src, dst, null, BIND_FLAGS, null);
    ctx.sys.mount(null, dst, null, RO_REMOUNT, null);
  }
  for (const dir of s.dirs) {
    ctx.step(`create ${dir}`);
    const dst = path.join(root, dir);
    fs.mkdirSync(dst, { recursive: true, mode: 0o755 });
    if (dir === '/tmp' || dir === '/var/tmp') ctx.sys.chmod(dst, 0o1777);
  }
}
