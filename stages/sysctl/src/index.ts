import * as fs from 'node:fs';
import { defineStage, requireNamespace, resolveInRoot, type PlanView } from '@isolate/core';
import type { NamespaceName } from '@isolate/sys';

export interface SysctlSettings {
  values: Record<string, string | number>;
}

/** The sysctls a namespace owns: writing them changes the container only, not the host. */
const IPC_KEYS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** The namespace that makes `key` safe to set, or undefined when it is not namespaced. */
export function namespaceOf(key: string): NamespaceName | undefined {
  if (IPC_KEYS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'net';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}

/** /proc/sys path of a key: dots separate levels (net.ipv4.ip_forward). */
export function sysctlPath(key: string): string {
  return '/proc/sys/' + key.split('.').join('/');
}

export default defineStage<SysctlSettings>({
  contract: 1,
  name: 'sysctl',
  description: "Writes namespaced kernel parameters (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) in the container's /proc/sys, before it is made read-only; others are refused.",
  phase: 'seal',
  before: ['readonly-paths'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      values: {
        type: 'object',
        default: {},
        description: 'sysctl name -> value, e.g. net.ipv4.ip_unprivileged_port_start: 0',
        propertyNames: { pattern: '^[a-z0-9_]+(\\.[A-Za-z0-9_-]+)+$' },
        additionalProperties: { type: ['string', 'integer'] },
      },
    },
  },
  check(s, plan: PlanView) {
    const problems: string[] = [];
    for (const key of Object.keys(s.values)) {
      const ns = namespaceOf(key);
      if (!ns) problems.push(`${key} is not namespaced: setting it would change the host`);
      else if (!plan.namespaces.has(ns)) problems.push(`${key} needs a ${ns} namespace (add ${ns} to namespaces.unshare)`);
    }
    return problems;
  },
  container(hooks, s) {
    hooks.seal.tap('sysctl', (ctx) => {
      for (const [key, value] of Object.entries(s.values)) {
        requireNamespace(ctx, namespaceOf(key)!, `set ${key}`);
        ctx.step(`write ${key} = ${value}`);
        fs.writeFileSync(resolveInRoot(ctx.root, sysctlPath(key)), String(value));
      }
    });
  },
});
