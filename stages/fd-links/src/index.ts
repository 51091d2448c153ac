import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineStage, needsNamespace, requireNamespace, resolveInRoot, type ContainerContext } from '@isolate/core';

/** The seed's links in /dev. */
export const DEFAULT_LINKS: Readonly<Record<string, string>> = {
  '/dev/fd': '/proc/self/fd',
  '/dev/stdin': '/proc/self/fd/0',
  '/dev/stdout': '/proc/self/fd/1',
  '/dev/stderr': '/proc/self/fd/2',
  '/dev/ptmx': 'pts/ptmx',
  '/dev/core': '/proc/kcore',
};

export interface FdLinksSettings {
  defaults: boolean;
  extra: Record<string, string>;
}

export default defineStage<FdLinksSettings>({
  contract: 1,
  name: 'fd-links',
  description: 'Creates the /dev links: fd, stdin, stdout, stderr, ptmx and core, plus extra links.',
  phase: 'links',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      defaults: { type: 'boolean', default: true, description: 'create /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx and /dev/core' },
      extra: {
        type: 'object',
        default: {},
        description: 'more links: path in the container -> link target',
        propertyNames: { pattern: '^/' },
        additionalProperties: { type: 'string', minLength: 1 },
      },
    },
  },
  check: needsNamespace('mount'),
  container(hooks, s) {
    hooks.links.tap('fd-links', (ctx) => {
      requireNamespace(ctx, 'mount', 'create /dev links');
      const links = { ...(s.defaults ? DEFAULT_LINKS : {}), ...s.extra };
      for (const [at, target] of Object.entries(links)) link(ctx, at, target);
    });
  },
});

function link(ctx: ContainerContext, at: string, target: string): void {
  ctx.step(`link ${at} -> ${target}`);
  // Resolve the parent only: the link itself replaces whatever is there.
  const dst = path.join(resolveInRoot(ctx.root, path.dirname(at)), path.basename(at));
  fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o755 });
  const existing = fs.lstatSync(dst, { throwIfNoEntry: false });
  if (existing) {
    if (!existing.isSymbolicLink()) throw Object.assign(new Error(`${at} exists and is not a symlink`), { code: 'EEXIST', path: at });
    fs.unlinkSync(dst);
  }
  ctx.sys.symlink(target, dst);
}
