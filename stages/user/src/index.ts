import * as fs from 'node:fs';
import { defineStage, IsolateError, resolveInRoot, type ContainerContext } from '@isolate/core';

export interface UserSettings {
  user: string | number;
  groups: Array<string | number>;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}
interface GroupEntry {
  name: string;
  gid: number;
}

/** Entries of a passwd or group file (name:x:id:...). */
function readIdFile(ctx: ContainerContext, file: string): string[][] {
  try {
    return fs
      .readFileSync(resolveInRoot(ctx.root, file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const NUMERIC = /^\d+$/;

/** Resolves "name", "uid", "name:group" or "uid:gid" against the container's /etc files. */
export function resolveUser(ctx: ContainerContext, spec: string | number, groupSpecs: ReadonlyArray<string | number>): { uid: number; gid: number; groups: number[] } {
  const [u, g] = String(spec).split(':', 2) as [string, string | undefined];
  const passwd: PasswdEntry[] = readIdFile(ctx, '/etc/passwd').map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
  const groupFile: GroupEntry[] = readIdFile(ctx, '/etc/group').map((f) => ({ name: f[0]!, gid: Number(f[2]) }));
  const entry = NUMERIC.test(u) ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
  if (!entry && !NUMERIC.test(u)) throw new IsolateError(`user '${u}' is not in the container's /etc/passwd`);
  const uid = entry?.uid ?? Number(u);
  const group = (gspec: string): number => {
    if (NUMERIC.test(gspec)) return Number(gspec);
    const found = groupFile.find((x) => x.name === gspec);
    if (!found) throw new IsolateError(`group '${gspec}' is not in the container's /etc/group`);
    return found.gid;
  };
  // A numeric user without a passwd entry and without a group runs with gid = uid.
  const gid = g !== undefined ? group(g) : (entry?.gid ?? uid);
  return { uid, gid, groups: groupSpecs.map((x) => group(String(x))) };
}

export default defineStage<UserSettings>({
  contract: 1,
  name: 'user',
  description: 'Runs the command as a given user and group with given supplementary groups (numeric, or names from the container\'s /etc/passwd and /etc/group).',
  phase: 'credentials',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['user'],
    properties: {
      user: {
        type: ['string', 'integer'],
        pattern: '^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$',
        minimum: 0,
        description: 'user[:group], by name or number, e.g. "1000:1000" or "nobody"',
      },
      groups: {
        type: 'array',
        default: [],
        items: { type: ['string', 'integer'], minimum: 0 },
        description: 'supplementary groups, by name or number (none by default)',
      },
    },
  },
  container(hooks, s) {
    hooks.credentials.tap('user', (ctx) => {
      ctx.step(`resolve ${s.user}`);
      const { uid, gid, groups } = resolveUser(ctx, s.user, s.groups);
      // Groups first: once the uid changes, the process may no longer change them.
      ctx.step(`setgroups [${groups.join(', ')}]`);
      ctx.sys.setgroups(groups);
      ctx.step(`setresgid ${gid}`);
      ctx.sys.setresgid(gid, gid, gid);
      ctx.step(`setresuid ${uid}`);
      ctx.sys.setresuid(uid, uid, uid);
      // (This clears the parent-death signal; the init arms it again after the credentials phase.)
    });
  },
});
