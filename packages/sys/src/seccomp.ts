// seccomp filters through libseccomp (libseccomp.so.2), bound with koffi on first use like
// libc: libseccomp compiles the rules to BPF for every architecture of the filter, so no BPF
// is written here. DESIGN.md fact 9: this works from the init's main thread.
import { SysError } from './errors';

/** What a rule (or the filter's default) does with a matching call. */
export const SECCOMP_ACTIONS = ['ALLOW', 'ERRNO', 'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'LOG', 'TRACE'] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

/** Argument comparisons (enum scmp_compare, in its order from 1). */
export const SECCOMP_CMP_OPS = ['NE', 'LT', 'LE', 'EQ', 'GE', 'GT', 'MASKED_EQ'] as const;
export type SeccompCmpOp = (typeof SECCOMP_CMP_OPS)[number];

/**
 * One comparison of a call's argument `index` (0-5): `arg OP value`; for MASKED_EQ,
 * `(arg & value) == valueTwo`. Values are 64-bit.
 */
export interface SeccompArgCmp {
  index: number;
  op: SeccompCmpOp;
  value: bigint;
  valueTwo?: bigint;
}

/** One libseccomp rule: `action` for `syscall` when every comparison in `args` holds. */
export interface SeccompRule {
  /** The call's name as libseccomp knows it (it maps the name for each architecture). */
  syscall: string;
  action: SeccompAction;
  /** ERRNO: the errno the call fails with; TRACE: the value the tracer sees. Default EPERM. */
  errno?: number;
  args?: readonly SeccompArgCmp[];
}

export interface SeccompFilter {
  defaultAction: SeccompAction;
  /** The errno of an ERRNO default action (default EPERM). */
  defaultErrno?: number;
  /**
   * More architectures for the filter, by libseccomp name (x86_64, x86, x32, aarch64, arm,
   * ...); the native one is always in. Calls from any other architecture kill the process.
   */
  architectures?: readonly string[];
  rules: readonly SeccompRule[];
}

const EPERM = 1;
const EINVAL = 22;
const EEXIST = 17;
// __NR_SCMP_ERROR: the name is unknown to libseccomp.
const NR_SCMP_ERROR = -1;
// enum scmp_filter_attr
const SCMP_FLTATR_CTL_NNP = 3;

/** The 32-bit action value libseccomp takes (SCMP_ACT_* in seccomp.h). */
export function seccompActionValue(action: SeccompAction, errno = EPERM): number {
  const data = errno & 0xffff;
  switch (action) {
    case 'ALLOW':
      return 0x7fff0000;
    case 'ERRNO':
      return (0x00050000 | data) >>> 0;
    case 'KILL_PROCESS':
      return 0x80000000;
    case 'KILL_THREAD':
      return 0x00000000;
    case 'TRAP':
      return 0x00030000;
    case 'LOG':
      return 0x7ffc0000;
    case 'TRACE':
      return (0x7ff00000 | data) >>> 0;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- koffi functions take and return loosely typed values
type Fn = (...args: any[]) => any;
interface Bound {
  init: Fn;
  release: Fn;
  load: Fn;
  archAdd: Fn;
  archResolve: Fn;
  resolve: Fn;
  ruleAdd: Fn;
  attrSet: Fn;
  exportBpf: Fn;
}
let bound: Bound | undefined;

function bind(): Bound {
  if (bound) return bound;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof import('koffi');
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load('libseccomp.so.2');
  } catch (err) {
    throw new Error(`cannot load libseccomp.so.2 (install libseccomp2): ${(err as Error).message}`);
  }
  koffi.struct('isolate_scmp_arg_cmp', { arg: 'uint32', op: 'int', datum_a: 'uint64', datum_b: 'uint64' });
  bound = {
    // scmp_filter_ctx is an opaque pointer: declared void * and handed back as koffi returns it.
    init: lib.func('void *seccomp_init(uint32_t def_action)') as Fn,
    release: lib.func('void seccomp_release(void *ctx)') as Fn,
    load: lib.func('int seccomp_load(void *ctx)') as Fn,
    archAdd: lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)') as Fn,
    archResolve: lib.func('uint32_t seccomp_arch_resolve_name(const char *arch_name)') as Fn,
    resolve: lib.func('int seccomp_syscall_resolve_name(const char *name)') as Fn,
    ruleAdd: lib.func(
      'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const isolate_scmp_arg_cmp *arg_array)',
    ) as Fn,
    attrSet: lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)') as Fn,
    exportBpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)') as Fn,
  };
  return bound;
}

/**
 * The native number of a system call by name, or undefined when libseccomp does not know
 * the name. Calls that exist only on other architectures get a negative pseudo number.
 */
export function seccompResolve(name: string): number | undefined {
  // Cached: a policy names each call when it is checked and again when it is loaded.
  if (resolved.has(name)) return resolved.get(name);
  const nr = bind().resolve(name) as number;
  const out = nr === NR_SCMP_ERROR ? undefined : nr;
  resolved.set(name, out);
  return out;
}
const resolved = new Map<string, number | undefined>();

/** The audit token of an architecture by libseccomp name (x86_64, aarch64, ...), or undefined. */
export function seccompResolveArch(name: string): number | undefined {
  const token = (bind().archResolve(name) as number) >>> 0;
  return token === 0 ? undefined : token;
}

/** libseccomp returns a negative errno: throw it as SysError naming the libseccomp call. */
function check(call: string, rc: number, args: readonly unknown[]): void {
  if (rc < 0) throw new SysError(call, -rc, args);
}

function describeAction(action: SeccompAction, errno?: number): string {
  return action === 'ERRNO' || action === 'TRACE' ? `SCMP_ACT_${action}(${errno ?? EPERM})` : `SCMP_ACT_${action}`;
}

/**
 * Builds `filter` with libseccomp and hands the context to `use`, releasing it afterwards.
 * libseccomp would set no_new_privs itself at load; that is turned off so the caller decides
 * (set it first, or hold CAP_SYS_ADMIN). Every name must be known (see seccompResolve).
 */
function withFilter<T>(filter: SeccompFilter, use: (b: Bound, ctx: unknown) => T): T {
  const b = bind();
  const ctx: unknown = b.init(seccompActionValue(filter.defaultAction, filter.defaultErrno));
  if (!ctx) throw new SysError('seccomp_init', EINVAL, [describeAction(filter.defaultAction, filter.defaultErrno)]);
  try {
    check('seccomp_attr_set', b.attrSet(ctx, SCMP_FLTATR_CTL_NNP, 0) as number, ['SCMP_FLTATR_CTL_NNP', 0]);
    for (const arch of filter.architectures ?? []) {
      const token = seccompResolveArch(arch);
      if (token === undefined) throw new SysError('seccomp_arch_resolve_name', EINVAL, [arch]);
      const rc = b.archAdd(ctx, token) as number;
      if (rc !== -EEXIST) check('seccomp_arch_add', rc, [arch]); // the native one is in already
    }
    for (const rule of filter.rules) {
      const nr = seccompResolve(rule.syscall);
      if (nr === undefined) throw new SysError('seccomp_syscall_resolve_name', EINVAL, [rule.syscall]);
      const args = (rule.args ?? []).map((a) => ({
        arg: a.index,
        op: SECCOMP_CMP_OPS.indexOf(a.op) + 1,
        datum_a: a.value,
        datum_b: a.valueTwo ?? 0n,
      }));
      const rc = b.ruleAdd(ctx, seccompActionValue(rule.action, rule.errno), nr, args.length, args.length ? args : null) as number;
      check('seccomp_rule_add_array', rc, [
        rule.syscall,
        describeAction(rule.action, rule.errno),
        ...(rule.args ?? []).map((a) => `arg${a.index} ${a.op} ${a.value}${a.valueTwo !== undefined ? ` ${a.valueTwo}` : ''}`),
      ]);
    }
    return use(b, ctx);
  } finally {
    b.release(ctx);
  }
}

/**
 * Builds `filter` with libseccomp and loads it into the calling thread (no TSYNC: the
 * filter goes with the main thread through execve, the other threads die there).
 */
export function loadSeccompFilter(filter: SeccompFilter): void {
  withFilter(filter, (b, ctx) => check('seccomp_load', b.load(ctx) as number, []));
}

/**
 * Writes the BPF program libseccomp makes of `filter` (what seccomp_load would install) to
 * `fd` (seccomp_export_bpf). Made on the host while the init boots, it is installed there
 * with seccomp(2) alone, which keeps libseccomp's work off the container's start.
 */
export function exportSeccompBpf(filter: SeccompFilter, fd: number): void {
  withFilter(filter, (b, ctx) => check('seccomp_export_bpf', b.exportBpf(ctx, fd) as number, [fd]));
}
