// From the stage's settings to the filter Sys loads: a base (the built-in policy, a JSON
// profile, or nothing), then the short form's allow/deny on top.
import * as os from 'node:os';
import { errnoNumber, type SeccompAction, type SeccompFilter, type SeccompRule } from '@isolate/sys';
import { filterFromOci, parseOciProfile, type Host, type OciProfile } from './oci';
import { DEFAULT_POLICY } from './default-policy';

/** Actions a profile names in the short form (SCMP_ACT_ without the prefix). */
export const SHORT_ACTIONS = ['ALLOW', 'ERRNO', 'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'LOG'] as const;
export type ShortAction = (typeof SHORT_ACTIONS)[number];
/** What a call in `deny` may get. */
export const DENY_ACTIONS = ['ERRNO', 'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'LOG'] as const;
export type DenyAction = (typeof DENY_ACTIONS)[number];

export interface SeccompSettings {
  policy?: 'default' | 'none';
  profile?: string;
  defaultAction?: ShortAction;
  allow: string[];
  deny: string[];
  action: DenyAction;
  errno: string;
  noNewPrivs: boolean;
}

let builtin: OciProfile | undefined;
/** The built-in policy, checked like a file (once). */
export function defaultPolicy(): OciProfile {
  return (builtin ??= parseOciProfile(DEFAULT_POLICY, 'built-in seccomp policy'));
}

/** The libseccomp name of this machine's architecture. */
export function nativeArch(): string {
  const names: Record<string, string> = {
    x64: 'x86_64',
    ia32: 'x86',
    arm64: 'aarch64',
    arm: 'arm',
    ppc64: os.endianness() === 'LE' ? 'ppc64le' : 'ppc64',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loongarch64',
  };
  return names[process.arch] ?? process.arch;
}

export interface Compiled {
  /** The filter to load; undefined when there is nothing to filter. */
  filter?: SeccompFilter;
  /** Names of the base that libseccomp does not know (left out). */
  unknown: string[];
}

/**
 * The filter for `s` on `host`. `file` is the JSON profile already read when `s.profile`
 * is set (the init reads it before pivot-root, while the host's files are still there).
 */
export function compile(s: SeccompSettings, host: Host, file?: OciProfile): Compiled {
  const errno = errnoNumber(s.errno);
  let base: SeccompFilter | undefined;
  let unknown: string[] = [];
  if (s.profile !== undefined) {
    if (!file) throw new Error(`seccomp profile ${s.profile} was not read`);
    ({ filter: base, unknown } = filterFromOci(file, host));
  } else if ((s.policy ?? 'default') === 'default') {
    ({ filter: base, unknown } = filterFromOci(defaultPolicy(), host));
    // The built-in policy's blocked calls fail with the configured errno.
    base = { ...base, defaultErrno: errno };
  }

  // The short form: its calls replace whatever the base says about them.
  const replaced = new Set([...s.allow, ...s.deny]);
  const rules: SeccompRule[] = (base?.rules ?? []).filter((r) => !replaced.has(r.syscall));
  for (const name of s.allow) rules.push({ syscall: name, action: 'ALLOW' });
  for (const name of s.deny) rules.push(s.action === 'ERRNO' ? { syscall: name, action: 'ERRNO', errno } : { syscall: name, action: s.action });

  const defaultAction: SeccompAction = s.defaultAction ?? base?.defaultAction ?? (s.allow.length ? 'ERRNO' : 'ALLOW');
  const withErrno = defaultAction === 'ERRNO' || defaultAction === 'TRACE';
  const defaultErrno = withErrno ? ((s.defaultAction === undefined ? base?.defaultErrno : undefined) ?? errno) : undefined;
  const filter: SeccompFilter = {
    defaultAction,
    ...(defaultErrno !== undefined ? { defaultErrno } : {}),
    architectures: base?.architectures ?? [],
    rules: tidy(rules, defaultAction, defaultErrno),
  };
  if (filter.defaultAction === 'ALLOW' && filter.rules.length === 0) return { unknown };
  return { filter, unknown };
}

/**
 * Drops rules that do what the default does (libseccomp refuses them with EACCES, and they
 * change nothing) and exact duplicates (profiles list some calls in several entries).
 */
function tidy(rules: readonly SeccompRule[], defaultAction: SeccompAction, defaultErrno: number | undefined): SeccompRule[] {
  const seen = new Set<string>();
  const out: SeccompRule[] = [];
  for (const r of rules) {
    if (r.action === defaultAction && r.errno === defaultErrno) continue;
    const key = JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

/**
 * Whether the filter lets execve through (unconditionally allowed, or not caught by the
 * default): without it the command could never start, so the stage refuses such a filter.
 */
export function allowsExecve(f: SeccompFilter): boolean {
  const rules = f.rules.filter((r) => r.syscall === 'execve');
  const passes = (a: SeccompAction): boolean => a === 'ALLOW' || a === 'LOG';
  if (rules.some((r) => passes(r.action) && !r.args?.length)) return true;
  if (rules.some((r) => !passes(r.action) && !r.args?.length)) return false;
  return passes(f.defaultAction) || rules.some((r) => passes(r.action));
}

/** A short description for logs and step labels: `ERRNO(1), 312 rules`. */
export function describeFilter(f: SeccompFilter): string {
  const d = f.defaultAction === 'ERRNO' || f.defaultAction === 'TRACE' ? `${f.defaultAction}(${f.defaultErrno})` : f.defaultAction;
  const arches = f.architectures?.length ? `, architectures ${f.architectures.join(' ')}` : '';
  return `default ${d}, ${f.rules.length} rules${arches}`;
}
