import * as fs from 'node:fs';
import { defineStage, needsNamespace, pathListSchema, requireNamespace, resolveInRoot } from '@isolate/core';
import { MS } from '@isolate/sys';

/** The seed's table (runc's defaults): kernel tunables and buses stay readable, not writable. */
export const DEFAULT_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface ReadonlyPathsSettings {
  paths: string[];
}

const RO = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC;

export default defineStage<ReadonlyPathsSettings>({
  contract: 1,
  name: 'readonly-paths',
  description: 'Makes paths (by default the writable parts of /proc) read-only by binding each onto itself and remounting it read-only.',
  phase: 'seal',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      paths: pathListSchema(DEFAULT_READONLY, 'paths to make read-only (ones that do not exist are skipped)'),
    },
  },
  check: needsNamespace('mount'),
  container(hooks, s) {
    hooks.seal.tap('readonly-paths', (ctx) => {
      requireNamespace(ctx, 'mount', 'make paths read-only');
      for (const p of s.paths) {
        const target = resolveInRoot(ctx.root, p);
        if (!fs.existsSync(target)) continue;
        ctx.step(`make ${p} read-only`);
        ctx.sys.mount(target, target, null, MS.BIND | MS.REC, null);
        ctx.sys.mount(null, target, null, MS.REMOUNT | MS.BIND | RO, null);
      }
    });
  },
});
