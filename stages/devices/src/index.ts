import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineStage, needsNamespace, requireNamespace, resolveInRoot, parseMode, MODE_SCHEMA, type ContainerContext } from '@isolate/core';
import { S, makedev } from '@isolate/sys';

export interface DeviceSpec {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  mode: string;
  uid: number;
  gid: number;
}

/** The seed's character devices (runc's defaults), all 0666 root:root. */
export const DEFAULT_DEVICES: readonly DeviceSpec[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: '0666', uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, mode: '0666', uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, mode: '0666', uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, mode: '0666', uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, mode: '0666', uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, mode: '0666', uid: 0, gid: 0 },
];
export const FUSE_DEVICE: DeviceSpec = { path: '/dev/fuse', type: 'c', major: 10, minor: 229, mode: '0666', uid: 0, gid: 0 };

export interface DevicesSettings {
  defaults: boolean;
  fuse: boolean;
  extra: DeviceSpec[];
}

export default defineStage<DevicesSettings>({
  contract: 1,
  name: 'devices',
  description: 'Creates the device nodes in /dev: null, zero, full, tty, random, urandom, optionally fuse and extra devices.',
  phase: 'devices',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      defaults: { type: 'boolean', default: true, description: 'create null, zero, full, tty, random and urandom' },
      fuse: { type: 'boolean', default: false, description: 'create /dev/fuse (10:229)' },
      extra: {
        type: 'array',
        default: [],
        description: 'more device nodes',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'major', 'minor'],
          properties: {
            path: { type: 'string', pattern: '^/dev/[^/]', description: 'a path below /dev' },
            type: { enum: ['c', 'b'], default: 'c', description: 'c for a character device, b for a block device' },
            major: { type: 'integer', minimum: 0, maximum: 4095 },
            minor: { type: 'integer', minimum: 0, maximum: 1048575 },
            mode: { ...MODE_SCHEMA, default: '0666' },
            uid: { type: 'integer', minimum: 0, default: 0 },
            gid: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
    },
  },
  check: needsNamespace('mount'),
  container(hooks, s) {
    hooks.devices.tap('devices', (ctx) => {
      requireNamespace(ctx, 'mount', 'create device nodes');
      const list = [...(s.defaults ? DEFAULT_DEVICES : []), ...(s.fuse ? [FUSE_DEVICE] : []), ...s.extra];
      for (const d of list) createDevice(ctx, d);
    });
  },
});

function createDevice(ctx: ContainerContext, d: DeviceSpec): void {
  ctx.step(`create ${d.path} (${d.type} ${d.major}:${d.minor})`);
  const dst = resolveInRoot(ctx.root, d.path);
  if (!dst.startsWith(resolveInRoot(ctx.root, '/dev') + '/')) {
    throw Object.assign(new Error(`${d.path} resolves outside /dev`), { code: 'EXDEV' });
  }
  fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o755 });
  try {
    fs.unlinkSync(dst); // whatever the rootfs had there is replaced
  } catch {
    // nothing there
  }
  const mode = parseMode(d.mode);
  ctx.sys.mknod(dst, (d.type === 'b' ? S.IFBLK : S.IFCHR) | mode, makedev(d.major, d.minor));
  ctx.sys.chmod(dst, mode); // mknod's mode is masked by the umask
  ctx.sys.chown(dst, d.uid, d.gid);
}
