// The OCI / Docker seccomp profile format (JSON): read, checked with a clear message that
// names the file and the place in it, and turned into the typed filter that Sys loads.
// No ajv here: the init reads the file too and keeps its module graph small.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seccompResolveArch, SECCOMP_CMP_OPS, type SeccompAction, type SeccompArgCmp, type SeccompFilter, type SeccompRule } from '@isolate/sys';

/** OCI action names and what they mean for libseccomp (SCMP_ACT_KILL is KILL_THREAD). */
export const OCI_ACTIONS: Readonly<Record<string, SeccompAction>> = {
  SCMP_ACT_ALLOW: 'ALLOW',
  SCMP_ACT_ERRNO: 'ERRNO',
  SCMP_ACT_KILL: 'KILL_THREAD',
  SCMP_ACT_KILL_THREAD: 'KILL_THREAD',
  SCMP_ACT_KILL_PROCESS: 'KILL_PROCESS',
  SCMP_ACT_TRAP: 'TRAP',
  SCMP_ACT_LOG: 'LOG',
  SCMP_ACT_TRACE: 'TRACE',
};

const EPERM = 1;
const MAX_ERRNO = 4095;

/** When an entry applies (Docker's `includes` / `excludes`). */
export interface Condition {
  /** Capabilities (CAP_*) the process holds. */
  caps?: string[];
  /** Architectures (Go or libseccomp names: amd64, x86_64, arm64, ...) of the host. */
  arches?: string[];
  /** The lowest kernel version, e.g. "4.8". */
  minKernel?: string;
}

export interface OciSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args: SeccompArgCmp[];
  includes: Condition;
  excludes: Condition;
}

/** A checked OCI / Docker profile; architectures are libseccomp names (x86_64, x86, ...). */
export interface OciProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] }>;
  syscalls: OciSyscall[];
}

/** A problem in a profile, already naming the file and the place. */
export class ProfileFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileFormatError';
  }
}

/** Reads and checks the JSON profile at `file` (relative to the working directory). */
export function readOciProfile(file: string): OciProfile {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ProfileFormatError(`seccomp profile ${abs}: cannot read it: ${e.code ?? e.message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProfileFormatError(`seccomp profile ${abs}: not valid JSON: ${(err as Error).message}`);
  }
  return parseOciProfile(json, `seccomp profile ${abs}`);
}

type Json = Record<string, unknown>;

/** Checks a parsed OCI / Docker profile; errors read `<source>: <where>: <what>`. */
export function parseOciProfile(json: unknown, source: string): OciProfile {
  const fail = (where: string, what: string): never => {
    throw new ProfileFormatError(`${source}: ${where}: ${what}`);
  };
  const obj = (v: unknown, where: string): Json =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : fail(where, `expected an object, got ${kind(v)}`);
  const arr = (v: unknown, where: string): unknown[] => (Array.isArray(v) ? v : fail(where, `expected an array, got ${kind(v)}`));
  const str = (v: unknown, where: string): string => (typeof v === 'string' && v !== '' ? v : fail(where, `expected a non-empty string, got ${kind(v)}`));
  const strings = (v: unknown, where: string): string[] => arr(v, where).map((x, i) => str(x, `${where}[${i}]`));
  const action = (v: unknown, where: string): SeccompAction => {
    const name = str(v, where);
    if (name === 'SCMP_ACT_NOTIFY') fail(where, 'SCMP_ACT_NOTIFY is not supported (it needs a seccomp agent)');
    return OCI_ACTIONS[name] ?? fail(where, `unknown action ${JSON.stringify(name)} (expected one of ${Object.keys(OCI_ACTIONS).join(', ')})`);
  };
  const errno = (v: unknown, where: string): number =>
    Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_ERRNO ? (v as number) : fail(where, `expected an errno number from 0 to ${MAX_ERRNO}, got ${kind(v)}`);
  const arch = (v: unknown, where: string): string => {
    const name = str(v, where);
    const m = /^SCMP_ARCH_([A-Z0-9_]+)$/.exec(name);
    const lib = m?.[1]?.toLowerCase();
    if (!lib || seccompResolveArch(lib) === undefined) fail(where, `unknown architecture ${JSON.stringify(name)} (expected e.g. SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64)`);
    return lib!;
  };
  const condition = (v: unknown, where: string): Condition => {
    if (v === undefined) return {};
    const o = obj(v, where);
    const c: Condition = {};
    if (o.caps !== undefined) c.caps = strings(o.caps, `${where}.caps`);
    if (o.arches !== undefined) c.arches = strings(o.arches, `${where}.arches`);
    if (o.minKernel !== undefined) {
      c.minKernel = str(o.minKernel, `${where}.minKernel`);
      if (!/^\d+\.\d+/.test(c.minKernel)) fail(`${where}.minKernel`, `expected a kernel version such as "4.8", got ${JSON.stringify(c.minKernel)}`);
    }
    return c;
  };

  const top = obj(json, '(document)');
  const profile: OciProfile = {
    defaultAction: action(top.defaultAction, 'defaultAction'),
    syscalls: [],
  };
  if (top.defaultErrnoRet !== undefined) profile.defaultErrnoRet = errno(top.defaultErrnoRet, 'defaultErrnoRet');
  if (top.architectures !== undefined && top.archMap !== undefined) {
    fail('archMap', 'give either architectures or archMap, not both');
  }
  if (top.architectures !== undefined) {
    profile.architectures = arr(top.architectures, 'architectures').map((a, i) => arch(a, `architectures[${i}]`));
  }
  if (top.archMap !== undefined) {
    profile.archMap = arr(top.archMap, 'archMap').map((m, i) => {
      const o = obj(m, `archMap[${i}]`);
      return {
        architecture: arch(o.architecture, `archMap[${i}].architecture`),
        subArchitectures: o.subArchitectures === undefined ? [] : arr(o.subArchitectures, `archMap[${i}].subArchitectures`).map((a, j) => arch(a, `archMap[${i}].subArchitectures[${j}]`)),
      };
    });
  }
  const syscalls = top.syscalls === undefined || top.syscalls === null ? [] : arr(top.syscalls, 'syscalls');
  syscalls.forEach((entry, i) => {
    const where = `syscalls[${i}]`;
    const o = obj(entry, where);
    // Old Docker profiles name one call per entry in `name`.
    const names = o.names !== undefined ? strings(o.names, `${where}.names`) : o.name !== undefined ? [str(o.name, `${where}.name`)] : fail(where, "missing 'names'");
    const sc: OciSyscall = {
      names,
      action: action(o.action, `${where}.action`),
      args: [],
      includes: condition(o.includes, `${where}.includes`),
      excludes: condition(o.excludes, `${where}.excludes`),
    };
    if (o.errnoRet !== undefined) sc.errnoRet = errno(o.errnoRet, `${where}.errnoRet`);
    const args = o.args === undefined || o.args === null ? [] : arr(o.args, `${where}.args`);
    sc.args = args.map((a, j) => {
      const w = `${where}.args[${j}]`;
      const ao = obj(a, w);
      const index = ao.index;
      if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > 5) fail(`${w}.index`, `expected an argument index from 0 to 5, got ${kind(index)}`);
      const opName = str(ao.op, `${w}.op`);
      const op = SECCOMP_CMP_OPS.find((x) => `SCMP_CMP_${x}` === opName);
      if (!op) fail(`${w}.op`, `unknown comparison ${JSON.stringify(opName)} (expected one of ${SECCOMP_CMP_OPS.map((x) => `SCMP_CMP_${x}`).join(', ')})`);
      const cmp: SeccompArgCmp = { index: index as number, op: op!, value: u64(ao.value, `${w}.value`, fail) };
      if (ao.valueTwo !== undefined) cmp.valueTwo = u64(ao.valueTwo, `${w}.valueTwo`, fail);
      return cmp;
    });
    profile.syscalls.push(sc);
  });
  return profile;
}

/** A 64-bit argument value: a JSON number (exact only up to 2^53) or a decimal/hex string. */
function u64(v: unknown, where: string, fail: (where: string, what: string) => never): bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) fail(where, `expected an unsigned integer, got ${v}`);
    if (!Number.isSafeInteger(v)) fail(where, `${v} is too large for an exact JSON number; write it as a string, e.g. "0xffffffffffffffff"`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) {
    const n = BigInt(v);
    if (n <= 0xffffffffffffffffn) return n;
  }
  return fail(where, `expected an unsigned 64-bit integer, got ${kind(v)}`);
}

function kind(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

/** What the entries of a profile are evaluated against. */
export interface Host {
  /** The native architecture, libseccomp name (x86_64, aarch64, ...). */
  arch: string;
  /** Capabilities the process holds (CAP_* names), for includes/excludes.caps. */
  caps: ReadonlySet<string>;
  /** The kernel release (os.release()). */
  kernel: string;
  /** True when libseccomp knows the call. */
  known(name: string): boolean;
}

/** The filter a profile describes on `host`, and the names libseccomp does not know. */
export function filterFromOci(p: OciProfile, host: Host): { filter: SeccompFilter; unknown: string[] } {
  const unknown: string[] = [];
  const rules: SeccompRule[] = [];
  for (const sc of p.syscalls) {
    if (!applies(sc.includes, host, true) || applies(sc.excludes, host, false)) continue;
    const errno = sc.action === 'ERRNO' || sc.action === 'TRACE' ? (sc.errnoRet ?? EPERM) : undefined;
    for (const name of sc.names) {
      // Names from newer kernels than libseccomp knows are left out, as runc does.
      if (!host.known(name)) {
        unknown.push(name);
        continue;
      }
      const base: SeccompRule = errno === undefined ? { syscall: name, action: sc.action } : { syscall: name, action: sc.action, errno };
      const indexes = new Set(sc.args.map((a) => a.index));
      if (sc.args.length === 0) rules.push(base);
      else if (indexes.size === sc.args.length) rules.push({ ...base, args: sc.args });
      // Several comparisons of one argument cannot all hold: as in runc, each is a rule of
      // its own (personality is allowed for value A or value B).
      else for (const a of sc.args) rules.push({ ...base, args: [a] });
    }
  }
  const filter: SeccompFilter = {
    defaultAction: p.defaultAction,
    ...(p.defaultAction === 'ERRNO' || p.defaultAction === 'TRACE' ? { defaultErrno: p.defaultErrnoRet ?? EPERM } : {}),
    architectures: architecturesOf(p, host.arch),
    rules,
  };
  return { filter, unknown: [...new Set(unknown)] };
}

function architecturesOf(p: OciProfile, native: string): string[] {
  if (p.architectures) return [...new Set(p.architectures)];
  const m = p.archMap?.find((x) => x.architecture === native);
  return m ? [...new Set([m.architecture, ...m.subArchitectures])] : [];
}

/** Names a host architecture goes by in `arches` lists (Docker uses Go's names). */
const ARCH_ALIASES: Readonly<Record<string, readonly string[]>> = {
  x86_64: ['x86_64', 'amd64'],
  x86: ['x86', '386', 'i386'],
  aarch64: ['aarch64', 'arm64'],
  arm: ['arm'],
  loongarch64: ['loongarch64', 'loong64'],
  ppc64le: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
};

/**
 * Whether condition `c` holds on `host`: every part that is given must hold. `empty` is
 * what a condition without parts means (includes: applies; excludes: does not exclude).
 */
function applies(c: Condition, host: Host, empty: boolean): boolean {
  const parts: boolean[] = [];
  if (c.arches?.length) {
    const names = ARCH_ALIASES[host.arch] ?? [host.arch];
    parts.push(c.arches.some((a) => names.includes(a.replace(/^SCMP_ARCH_/, '').toLowerCase())));
  }
  if (c.caps?.length) {
    const held = (cap: string): boolean => host.caps.has(/^CAP_/i.test(cap) ? cap.toUpperCase() : `CAP_${cap.toUpperCase()}`);
    // includes: every capability is held; excludes: any one held excludes.
    parts.push(empty ? c.caps.every(held) : c.caps.some(held));
  }
  if (c.minKernel) parts.push(compareVersions(host.kernel, c.minKernel) >= 0);
  if (parts.length === 0) return empty;
  // includes: all parts must hold; excludes: any part that holds excludes the entry.
  return empty ? parts.every(Boolean) : parts.some(Boolean);
}

/** Compares the leading "major.minor" of two kernel versions. */
export function compareVersions(a: string, b: string): number {
  const num = (v: string): number[] => (/^(\d+)\.(\d+)/.exec(v) ?? ['', '0', '0']).slice(1, 3).map(Number);
  const [a1, a2] = num(a);
  const [b1, b2] = num(b);
  return a1! - b1! || a2! - b2!;
}
