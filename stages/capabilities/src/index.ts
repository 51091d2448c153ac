import { defineStage, type ContainerContext } from '@isolate/core';
import { CAPABILITIES, PR, PR_CAP_AMBIENT_OP, isSysError, type CapabilityName } from '@isolate/sys';

/** What Docker and runc keep by default. */
export const DEFAULT_CAPABILITIES: readonly CapabilityName[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

export interface CapabilitiesSettings {
  keep: string[];
  bounding?: string[];
  permitted?: string[];
  effective?: string[];
  inheritable: string[];
  ambient: string[];
  noNewPrivs: boolean;
}

/** `CAP_NET_RAW`, `net_raw` and `NET_RAW` all name capability 13; undefined when unknown. */
export function capabilityNumber(name: string): number | undefined {
  const key = name.toUpperCase().replace(/^CAP_/, '') as CapabilityName;
  return Object.prototype.hasOwnProperty.call(CAPABILITIES, key) ? CAPABILITIES[key] : undefined;
}

/** A 64-bit mask of the named capabilities ("ALL" means every known one). */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const n of names) {
    if (n.toUpperCase() === 'ALL') {
      for (const v of Object.values(CAPABILITIES)) mask |= 1n << BigInt(v);
      continue;
    }
    const v = capabilityNumber(n);
    if (v === undefined) throw new Error(`unknown capability '${n}'`);
    mask |= 1n << BigInt(v);
  }
  return mask;
}

const names = {
  type: 'array',
  items: { type: 'string', pattern: '^[A-Za-z_]+$' },
  uniqueItems: true,
} as const;

/** The five sets, from the settings: `keep` stands for bounding, permitted and effective. */
export function capabilitySets(s: CapabilitiesSettings): { bounding: bigint; permitted: bigint; effective: bigint; inheritable: bigint; ambient: bigint } {
  return {
    bounding: capabilityMask(s.bounding ?? s.keep),
    permitted: capabilityMask(s.permitted ?? s.keep),
    effective: capabilityMask(s.effective ?? s.keep),
    inheritable: capabilityMask(s.inheritable),
    ambient: capabilityMask(s.ambient),
  };
}

export default defineStage<CapabilitiesSettings>({
  contract: 1,
  name: 'capabilities',
  description:
    'Limits the capability sets (bounding, permitted, effective, inheritable, ambient) and sets no_new_privs; ambient capabilities survive the switch to a non-root user.',
  phase: 'credentials',
  after: ['user'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      keep: {
        ...names,
        default: [...DEFAULT_CAPABILITIES],
        description: 'capabilities kept in the bounding, permitted and effective sets (CAP_NET_RAW, net_raw, or ALL); [] keeps none',
      },
      bounding: { ...names, description: 'the bounding set, when it should differ from keep' },
      permitted: { ...names, description: 'the permitted set, when it should differ from keep' },
      effective: { ...names, description: 'the effective set, when it should differ from keep' },
      inheritable: { ...names, default: [], description: 'the inheritable set' },
      ambient: { ...names, default: [], description: 'ambient capabilities: kept across execve by a non-root user (must be permitted and inheritable)' },
      noNewPrivs: { type: 'boolean', default: true, description: 'set no_new_privs: execve can never grant privileges (setuid bits and file capabilities are ignored)' },
    },
  },
  check(s) {
    const problems: string[] = [];
    for (const key of ['keep', 'bounding', 'permitted', 'effective', 'inheritable', 'ambient'] as const) {
      for (const n of s[key] ?? []) {
        if (n.toUpperCase() !== 'ALL' && capabilityNumber(n) === undefined) problems.push(`${key}: unknown capability '${n}'`);
      }
    }
    if (problems.length) return problems;
    const sets = capabilitySets(s);
    if ((sets.effective & ~sets.permitted) !== 0n) problems.push('effective must be a subset of permitted');
    if ((sets.ambient & ~(sets.permitted & sets.inheritable)) !== 0n) problems.push('ambient capabilities must also be permitted and inheritable');
    // The kernel refuses to raise an inheritable capability outside the bounding set.
    if ((sets.inheritable & ~sets.bounding) !== 0n) problems.push('inheritable capabilities must also be in the bounding set');
    return problems;
  },
  container(hooks, s) {
    const sets = capabilitySets(s);
    // Before the user stage changes ids: shrink the bounding set (needs CAP_SETPCAP, still
    // held) and keep the permitted set across setresuid to a non-root user.
    hooks.configure.tap('capabilities', (ctx) => {
      dropBounding(ctx, sets.bounding);
      ctx.step('keep capabilities across the user switch');
      ctx.sys.prctl(PR.SET_KEEPCAPS, 1);
    });
    // After the user stage: the final sets, then ambient, then no_new_privs.
    hooks.credentials.tap('capabilities', (ctx) => {
      ctx.step('capset');
      ctx.sys.capset({ effective: sets.effective, permitted: sets.permitted, inheritable: sets.inheritable });
      ctx.sys.prctl(PR.SET_KEEPCAPS, 0);
      ctx.step('set the ambient set');
      ctx.sys.prctl(PR.CAP_AMBIENT, PR_CAP_AMBIENT_OP.CLEAR_ALL);
      for (let cap = 0; cap < 64; cap++) {
        if ((sets.ambient >> BigInt(cap)) & 1n) ctx.sys.prctl(PR.CAP_AMBIENT, PR_CAP_AMBIENT_OP.RAISE, cap);
      }
      if (s.noNewPrivs) {
        ctx.step('set no_new_privs');
        ctx.sys.prctl(PR.SET_NO_NEW_PRIVS, 1);
      }
    });
  },
});

function dropBounding(ctx: ContainerContext, keep: bigint): void {
  ctx.step('drop from the bounding set');
  for (let cap = 0; cap < 64; cap++) {
    if ((keep >> BigInt(cap)) & 1n) continue;
    try {
      ctx.sys.prctl(PR.CAPBSET_DROP, cap);
    } catch (err) {
      // The kernel knows capabilities up to cap_last_cap; past that there is nothing to drop.
      if (isSysError(err) && err.code === 'EINVAL') break;
      throw err;
    }
  }
}
