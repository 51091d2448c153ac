import * as fs from 'node:fs';
import { defineStage, needsNamespace, pathListSchema, requireNamespace, resolveInRoot, IsolateError, type ContainerContext } from '@isolate/core';
import { MS } from '@isolate/sys';

/** The seed's table plus runc's defaults: kernel memory, timers, keys, hardware detail. */
export const DEFAULT_MASKED = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export interface MaskedPathsSettings {
  paths: string[];
}

export default defineStage<MaskedPathsSettings>({
  contract: 1,
  name: 'masked-paths',
  description: 'Hides paths of /proc and /sys from the container: files behind /dev/null, directories behind an empty read-only tmpfs.',
  phase: 'seal',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      paths: pathListSchema(DEFAULT_MASKED, 'paths to hide (ones that do not exist are skipped)'),
    },
  },
  check: needsNamespace('mount'),
  container(hooks, s) {
    hooks.seal.tap('masked-paths', (ctx) => {
      requireNamespace(ctx, 'mount', 'mask paths');
      for (const p of s.paths) mask(ctx, p);
    });
  },
});

function mask(ctx: ContainerContext, p: string): void {
  const target = resolveInRoot(ctx.root, p);
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    ctx.step(`mask ${p} with an empty read-only tmpfs`);
    ctx.sys.mount('tmpfs', target, 'tmpfs', MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'size=0,mode=555');
    return;
  }
  ctx.step(`mask ${p} with /dev/null`);
  const devNull = resolveInRoot(ctx.root, '/dev/null');
  const nullSt = fs.statSync(devNull, { throwIfNoEntry: false });
  if (!nullSt?.isCharacterDevice()) throw new IsolateError(`masking ${p} needs /dev/null in the container (add the devices stage)`);
  ctx.sys.mount(devNull, target, null, MS.BIND, null);
}
