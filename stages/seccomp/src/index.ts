import * as os from 'node:os';
import { defineStage, logger } from '@isolate/core';
import { CAPABILITIES, PR, errnoNumber, seccompResolve, libcSys, type CapabilityName, type SeccompFilter } from '@isolate/sys';
import { readOciProfile, type OciProfile } from './oci';
import { compile, allowsExecve, describeFilter, nativeArch, SHORT_ACTIONS, DENY_ACTIONS, type SeccompSettings } from './policy';

export { DEFAULT_POLICY, DEFAULT_ALLOWED, CLONE_NAMESPACE_FLAGS, SAFE_PERSONALITIES } from './default-policy';
export { parseOciProfile, readOciProfile, filterFromOci, compareVersions, OCI_ACTIONS, ProfileFormatError, type OciProfile, type Host } from './oci';
export { compile, defaultPolicy, allowsExecve, nativeArch, SHORT_ACTIONS, DENY_ACTIONS, type SeccompSettings, type Compiled } from './policy';

const log = logger('isolate:stage:seccomp');

/** What the host hands the init (HostContext.share): the BPF program, base64, or null. */
interface Precompiled {
  program: string | null;
  description: string;
}
const SHARED_KEY = 'seccomp';
const EXECVE_BLOCKED = 'the filter blocks execve, so the command could never start (allow execve)';

/** JSON of a filter, with its 64-bit argument values as text. */
function stableJson(filter: SeccompFilter | undefined): string {
  return JSON.stringify(filter ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const SYSCALL_NAMES = {
  type: 'array',
  uniqueItems: true,
  items: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$', description: 'a system call name, as libseccomp knows it (e.g. mount, keyctl)' },
  default: [],
} as const;

export default defineStage<SeccompSettings>({
  contract: 1,
  name: 'seccomp',
  description:
    'Loads a seccomp filter (libseccomp) last before exec: a built-in allow-list like Docker\'s default, an OCI/Docker JSON profile, or a short allow/deny list; blocked calls fail with EPERM. Sets no_new_privs first.',
  phase: 'finalize',
  // Last of the finalize stages: calls those stages make would meet the filter otherwise.
  after: ['env', 'capabilities'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      policy: {
        enum: ['default', 'none'],
        description:
          'the built-in base: default (allow the ordinary calls, block the rest, like Docker\'s default profile) or none (no built-in rules: only allow/deny; nothing at all is filtered without them). Default: default, unless profile is given',
      },
      profile: {
        type: 'string',
        minLength: 1,
        description: 'an OCI/Docker seccomp profile (JSON file, relative to the working directory) used instead of policy and the short form',
      },
      defaultAction: {
        enum: [...SHORT_ACTIONS],
        description:
          'what calls no rule matches get. Default: the policy\'s (ERRNO for default); with policy none, ERRNO when allow lists calls, else ALLOW',
      },
      allow: { ...SYSCALL_NAMES, description: 'system calls to allow (replacing what the policy says about them)' },
      deny: { ...SYSCALL_NAMES, description: 'system calls to block with action (replacing what the policy says about them)' },
      action: {
        enum: [...DENY_ACTIONS],
        default: 'ERRNO',
        description:
          'what a call in deny gets: ERRNO (fails with errno), KILL_PROCESS (SIGSYS kills the process), KILL_THREAD, TRAP (a SIGSYS it may catch) or LOG (allowed and logged)',
      },
      errno: {
        type: 'string',
        pattern: '^E[A-Z0-9]+$',
        default: 'EPERM',
        description: 'the errno blocked calls fail with (the ERRNO default action and deny with action ERRNO), e.g. EPERM, ENOSYS; a JSON profile gives its own',
      },
      noNewPrivs: {
        type: 'boolean',
        default: true,
        description: 'set no_new_privs before loading the filter (false needs CAP_SYS_ADMIN to load it, and lets setuid programs gain privileges)',
      },
    },
  },
  check(s) {
    const problems: string[] = [];
    if (s.profile !== undefined) {
      const extra = [
        s.policy !== undefined ? 'policy' : '',
        s.defaultAction !== undefined ? 'defaultAction' : '',
        s.allow.length ? 'allow' : '',
        s.deny.length ? 'deny' : '',
      ].filter(Boolean);
      if (extra.length) problems.push(`profile replaces the built-in policy and the short form: leave out ${extra.join(', ')} (or write them into the JSON file)`);
      try {
        readOciProfile(s.profile);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    try {
      errnoNumber(s.errno);
    } catch {
      problems.push(`errno: unknown errno name '${s.errno}'`);
    }
    const both = s.allow.filter((n) => s.deny.includes(n));
    if (both.length) problems.push(`both allowed and denied: ${both.join(', ')}`);
    if (s.defaultAction === 'ALLOW' && s.allow.length) problems.push('allow has no effect when defaultAction is ALLOW');
    // The short form is the profile author's own list: a name libseccomp does not know is a typo.
    try {
      for (const key of ['allow', 'deny'] as const) {
        for (const name of s[key]) {
          if (seccompResolve(name) === undefined) problems.push(`${key}: unknown system call '${name}'`);
        }
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
    return problems;
  },
  host(hooks, s) {
    // libseccomp's work (about 10 ms for the default policy) is done here while the init
    // boots; the init then installs the program with one seccomp(2) call. That is exact only
    // when the filter does not depend on the init's capabilities at finalize (a JSON profile
    // may condition rules on them): compiled with all and with none, it must come out the same.
    hooks.prepare.tap('seccomp', (ctx) => {
      const file = s.profile !== undefined ? readOciProfile(s.profile) : undefined;
      const host = { arch: nativeArch(), kernel: os.release(), known: (n: string) => seccompResolve(n) !== undefined };
      const all = compile(s, { ...host, caps: new Set(Object.keys(CAPABILITIES).map((c) => `CAP_${c}`)) }, file);
      const none = compile(s, { ...host, caps: new Set() }, file);
      if (stableJson(all.filter) !== stableJson(none.filter)) {
        log('the filter depends on capabilities: it is built in the init');
        return;
      }
      if (all.filter && !allowsExecve(all.filter)) throw new Error(EXECVE_BLOCKED);
      const precompiled: Precompiled = all.filter
        ? { program: libcSys().seccompExport(all.filter).toString('base64'), description: describeFilter(all.filter) }
        : { program: null, description: 'nothing to filter' };
      ctx.share(SHARED_KEY, precompiled);
    });
  },
  container(hooks, s) {
    let file: OciProfile | undefined;
    if (s.profile !== undefined) {
      const profile = s.profile;
      // Read while the host's files are still visible: finalize runs after pivot-root.
      hooks.namespaces.tap('seccomp', (ctx) => {
        if (ctx.shared(SHARED_KEY)) return; // the host built the program
        ctx.step('read the JSON profile');
        file = readOciProfile(profile);
      });
    }
    hooks.finalize.tap('seccomp', (ctx) => {
      const precompiled = ctx.shared<Precompiled>(SHARED_KEY);
      let filter: SeccompFilter | undefined;
      if (!precompiled) {
        ctx.step('build the filter');
        const caps = new Set<string>();
        const { permitted } = ctx.sys.capget();
        for (const [name, bit] of Object.entries(CAPABILITIES) as Array<[CapabilityName, number]>) {
          if ((permitted >> BigInt(bit)) & 1n) caps.add(`CAP_${name}`);
        }
        const compiled = compile(s, { arch: nativeArch(), caps, kernel: os.release(), known: (n) => seccompResolve(n) !== undefined }, file);
        if (compiled.unknown.length) log('left out, unknown to libseccomp: %s', compiled.unknown.join(' '));
        filter = compiled.filter;
        if (filter && !allowsExecve(filter)) throw new Error(EXECVE_BLOCKED);
      }
      // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN (libseccomp is told not to set it).
      if (s.noNewPrivs && ctx.sys.prctl(PR.GET_NO_NEW_PRIVS) !== 1) {
        ctx.step('set no_new_privs');
        ctx.sys.prctl(PR.SET_NO_NEW_PRIVS, 1);
      }
      // From here to execve the init's own calls meet the filter (the default policy allows them).
      if (precompiled?.program) {
        ctx.step(`install the filter built on the host (${precompiled.description})`);
        ctx.sys.seccompLoadProgram(Buffer.from(precompiled.program, 'base64'));
      } else if (filter) {
        ctx.step(`load the filter (${describeFilter(filter)})`);
        ctx.sys.seccompLoad(filter);
      } else {
        log('nothing to filter: no filter loaded');
      }
    });
  },
});
