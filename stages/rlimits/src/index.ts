import { defineStage } from '@isolate/core';
import { RLIMIT, RLIM_INFINITY, type RlimitName } from '@isolate/sys';

type LimitValue = number | 'unlimited' | 'inherit';
export type LimitSpec = LimitValue | { soft: LimitValue; hard: LimitValue };

export interface RlimitsSettings {
  limits: Record<string, LimitSpec>;
}

/** `nofile`, `NOFILE` and `RLIMIT_NOFILE` all name RLIMIT_NOFILE. */
export function rlimitName(key: string): RlimitName | undefined {
  const k = key.toUpperCase().replace(/^RLIMIT_/, '') as RlimitName;
  return Object.prototype.hasOwnProperty.call(RLIMIT, k) ? k : undefined;
}

function toBig(v: LimitValue, inherited: bigint): bigint {
  return v === 'unlimited' ? RLIM_INFINITY : v === 'inherit' ? inherited : BigInt(v);
}

/**
 * soft and hard of a setting (a single value sets both); `inherited` is what the init has now,
 * for "inherit" (raising a hard limit needs CAP_SYS_RESOURCE, which a host may not grant).
 */
export function softHard(spec: LimitSpec, inherited: { soft: bigint; hard: bigint } = { soft: RLIM_INFINITY, hard: RLIM_INFINITY }): { soft: bigint; hard: bigint } {
  return typeof spec === 'object'
    ? { soft: toBig(spec.soft, inherited.soft), hard: toBig(spec.hard, inherited.hard) }
    : { soft: toBig(spec, inherited.soft), hard: toBig(spec, inherited.hard) };
}

/** True when the setting keeps a value the init has: only known at run time. */
function inherits(spec: LimitSpec): boolean {
  return spec === 'inherit' || (typeof spec === 'object' && (spec.soft === 'inherit' || spec.hard === 'inherit'));
}

const value = {
  anyOf: [{ type: 'integer', minimum: 0 }, { enum: ['unlimited', 'inherit'] }],
  description: 'a number, "unlimited", or "inherit" (keep what the init has)',
} as const;

export default defineStage<RlimitsSettings>({
  contract: 1,
  name: 'rlimits',
  description: 'Sets resource limits (any RLIMIT_* by name, soft and hard); the command inherits them.',
  phase: 'configure',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limits: {
        type: 'object',
        description: 'limit name (nofile, RLIMIT_NPROC, ...) -> a number or "unlimited" for both, or {soft, hard}',
        default: { nofile: { soft: 1024, hard: 'inherit' } },
        additionalProperties: {
          anyOf: [
            value,
            {
              type: 'object',
              additionalProperties: false,
              required: ['soft', 'hard'],
              properties: { soft: value, hard: value },
            },
          ],
        },
      },
    },
  },
  check(s) {
    const problems: string[] = [];
    for (const [key, spec] of Object.entries(s.limits)) {
      if (!rlimitName(key)) {
        problems.push(`unknown limit '${key}' (expected one of: ${Object.keys(RLIMIT).map((n) => n.toLowerCase()).join(', ')})`);
        continue;
      }
      if (inherits(spec)) continue; // known at run time only
      const { soft, hard } = softHard(spec);
      if (soft > hard) problems.push(`${key}: the soft limit is above the hard limit`);
    }
    return problems;
  },
  container(hooks, s) {
    hooks.configure.tap('rlimits', (ctx) => {
      for (const [key, spec] of Object.entries(s.limits)) {
        const name = rlimitName(key)!;
        const inherited = inherits(spec) ? ctx.sys.getrlimit(RLIMIT[name]) : undefined;
        const { soft, hard } = softHard(spec, inherited);
        ctx.step(`setrlimit RLIMIT_${name} ${soft}:${hard}`);
        ctx.sys.setrlimit(RLIMIT[name], soft, hard);
      }
    });
  },
});
