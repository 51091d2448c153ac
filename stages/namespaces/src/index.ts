import { defineStage } from '@isolate/core';
import { NAMESPACE_FLAGS, MS, type NamespaceName } from '@isolate/sys';

/** Namespaces that apply to children only: the supervisor spawns the init inside them. */
const BORN_INTO: readonly NamespaceName[] = ['pid', 'time'];
/** The namespaces the init unshares itself (in one call). */
const UNSHARED: readonly NamespaceName[] = ['mount', 'uts', 'ipc', 'net', 'cgroup'];

export interface NamespacesSettings {
  unshare: Array<Exclude<NamespaceName, 'user'>>;
  propagation: 'private' | 'slave';
  loopback: boolean;
}

export default defineStage<NamespacesSettings>({
  contract: 1,
  name: 'namespaces',
  description: 'Puts the container in new namespaces (mount, uts, ipc, net, pid, cgroup, time).',
  phase: 'namespaces',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      unshare: {
        type: 'array',
        description: 'the namespaces to create',
        uniqueItems: true,
        items: { enum: ['mount', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'time'] },
        default: ['mount', 'uts', 'ipc', 'net', 'pid', 'cgroup'],
      },
      propagation: {
        enum: ['private', 'slave'],
        default: 'private',
        description: 'mount propagation of the new mount namespace: private (nothing in or out) or slave (host mounts show up inside)',
      },
      loopback: { type: 'boolean', default: true, description: 'bring up lo in a new network namespace' },
    },
  },
  namespaces: (s) => s.unshare,
  host(hooks, s) {
    hooks.prepare.tap('namespaces', (ctx) => {
      for (const ns of s.unshare) if (BORN_INTO.includes(ns)) ctx.spawnNamespaces.add(ns);
    });
  },
  container(hooks, s) {
    hooks.namespaces.tap('namespaces', (ctx) => {
      const wanted = UNSHARED.filter((ns) => (s.unshare as NamespaceName[]).includes(ns));
      if (wanted.length) {
        ctx.step(`unshare ${wanted.join(', ')}`);
        ctx.sys.unshare(wanted.reduce((flags, ns) => flags | NAMESPACE_FLAGS[ns], 0));
        for (const ns of wanted) ctx.namespaces.add(ns);
      }
      if (wanted.includes('mount')) {
        // A copied mount that is shared would carry our mounts back to the host: cut it first.
        ctx.step(`make / ${s.propagation}`);
        ctx.sys.mount(null, '/', null, MS.REC | (s.propagation === 'private' ? MS.PRIVATE : MS.SLAVE), null);
      }
      if (wanted.includes('net') && s.loopback) {
        ctx.step('bring up lo');
        ctx.sys.linkUp('lo');
      }
    });
  },
});
