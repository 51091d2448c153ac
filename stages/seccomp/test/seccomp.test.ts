import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeSys, PR, SysError, CAPABILITIES, seccompResolve, libcSys, type SeccompFilter, type SeccompRule } from '@isolate/sys';
import { ContainerPipeline, type PlanView } from '@isolate/core';
import { runStageUnit, runStageHost, runContainer, settingsFor, planOf, type ProfileSpec, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { nativeArch, parseOciProfile, ProfileFormatError, CLONE_NAMESPACE_FLAGS, SAFE_PERSONALITIES, type SeccompSettings } from '../src';

nothingLeftAfterAll();

// What the issue says the default policy must not allow.
const DENIED = [
  'mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'keyctl', 'add_key', 'request_key', 'bpf',
  'perf_event_open', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'reboot', 'swapon', 'swapoff', 'acct', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex',
  'open_by_handle_at', 'name_to_handle_at', 'userfaultfd', 'lookup_dcookie', 'quotactl', 'syslog',
  'uselib', 'ustat', 'sysfs', '_sysctl', 'vm86', 'vm86old', 'ptrace', 'iopl', 'ioperm', 'create_module',
  'get_kernel_syms', 'query_module', 'nfsservctl',
];
const EXPECTED_ARCHES: Record<string, string[]> = { x86_64: ['x86_64', 'x86', 'x32'], aarch64: ['aarch64', 'arm'] };

const made: string[] = [];
process.on('exit', () => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-seccomp-'));
  made.push(dir);
  return dir;
}
function writeJson(value: unknown): string {
  const file = path.join(tmpDir(), 'seccomp.json');
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}
/** The one filter a unit run loaded. */
function loaded(sys: FakeSys): SeccompFilter {
  const calls = sys.argsOf('seccompLoad');
  assert.equal(calls.length, 1, 'one filter is loaded');
  return calls[0]![0] as SeccompFilter;
}
function rulesFor(f: SeccompFilter, name: string): SeccompRule[] {
  return f.rules.filter((r) => r.syscall === name);
}
const PLAN: PlanView = { has: () => true, settings: () => undefined, namespaces: new Set() };
function problems(settings: Partial<SeccompSettings> | Record<string, unknown>): readonly string[] {
  return stage.check!(settingsFor(stage, settings), PLAN);
}

// ---- the syscall layer ----

test('sys: libseccomp resolves names; unknown names and architectures are undefined', () => {
  assert.equal(typeof seccompResolve('mount'), 'number');
  assert.ok(seccompResolve('mount')! >= 0);
  assert.equal(seccompResolve('not_a_syscall_xyz'), undefined);
  // Calls of other architectures get a pseudo number, so 32-bit names can be used in rules.
  if (nativeArch() === 'x86_64') assert.ok(seccompResolve('socketcall')! < -1);
});

test('sys: libseccomp errors become SysError naming the libseccomp call (nothing is loaded)', () => {
  const sys = libcSys();
  const expectError = (filter: SeccompFilter, call: string, code: string): void => {
    assert.throws(
      () => sys.seccompLoad(filter),
      (e: unknown) => e instanceof SysError && e.syscall === call && e.code === code && e.message.startsWith(`${call}(`),
    );
  };
  // libseccomp refuses a rule that does what the default does (negative errno: -EACCES).
  expectError({ defaultAction: 'ALLOW', rules: [{ syscall: 'getpid', action: 'ALLOW' }] }, 'seccomp_rule_add_array', 'EACCES');
  expectError({ defaultAction: 'ALLOW', rules: [{ syscall: 'not_a_syscall_xyz', action: 'KILL_PROCESS' }] }, 'seccomp_syscall_resolve_name', 'EINVAL');
  expectError({ defaultAction: 'ALLOW', architectures: ['vax'], rules: [] }, 'seccomp_arch_resolve_name', 'EINVAL');
  // The test process itself is not filtered.
  assert.match(fs.readFileSync('/proc/self/status', 'utf8'), /^Seccomp:\s+0$/m);
});

// ---- the default policy ----

test('unit: the default policy is an allow-list that blocks with EPERM, loaded after no_new_privs', () => {
  const { sys, failure } = runStageUnit(stage, {});
  assert.equal(failure, undefined);
  const f = loaded(sys);
  assert.equal(f.defaultAction, 'ERRNO');
  assert.equal(f.defaultErrno, 1);
  assert.deepEqual(f.architectures, EXPECTED_ARCHES[nativeArch()] ?? []);
  const allowed = new Set(f.rules.filter((r) => r.action === 'ALLOW' && !r.args).map((r) => r.syscall));
  for (const name of ['read', 'write', 'openat', 'close', 'mmap', 'mprotect', 'futex', 'execve', 'exit_group', 'statx', 'fcntl', 'close_range', 'madvise', 'rt_sigaction', 'getdents64', 'wait4', 'socket']) {
    assert.ok(allowed.has(name), `${name} is allowed`);
  }
  if (nativeArch() === 'x86_64') assert.ok(allowed.has('arch_prctl'), 'arch_prctl is allowed on x86_64');
  for (const name of DENIED) assert.deepEqual(rulesFor(f, name), [], `${name} has no rule: the default blocks it`);
  // no_new_privs is checked, then set, then the filter is loaded: the last call of the stage.
  assert.deepEqual(
    sys.calls.filter((c) => c.call !== 'capget').map((c) => [c.call, ...(c.call === 'prctl' ? c.args.slice(0, 2) : [])]),
    [['prctl', PR.GET_NO_NEW_PRIVS, 0], ['prctl', PR.SET_NO_NEW_PRIVS, 1], ['seccompLoad']],
  );
});

test('unit: default policy: clone without namespace flags, safe personalities, clone3 gets ENOSYS', () => {
  const f = loaded(runStageUnit(stage, {}).sys);
  assert.deepEqual(rulesFor(f, 'clone'), [
    { syscall: 'clone', action: 'ALLOW', args: [{ index: 0, op: 'MASKED_EQ', value: BigInt(CLONE_NAMESPACE_FLAGS), valueTwo: 0n }] },
  ]);
  assert.equal(CLONE_NAMESPACE_FLAGS, 0x7e020000);
  // Alternatives on one argument: one rule each.
  assert.deepEqual(
    rulesFor(f, 'personality'),
    SAFE_PERSONALITIES.map((v) => ({ syscall: 'personality', action: 'ALLOW', args: [{ index: 0, op: 'EQ', value: BigInt(v) }] })),
  );
  assert.deepEqual(rulesFor(f, 'clone3'), [{ syscall: 'clone3', action: 'ERRNO', errno: 38 }]);
});

test('unit: errno changes what blocked calls get; allow/deny adjust the default policy', () => {
  const f = loaded(runStageUnit(stage, { errno: 'ENOSYS', allow: ['ptrace'], deny: ['chmod', 'clone'], action: 'KILL_PROCESS' }).sys);
  assert.equal(f.defaultAction, 'ERRNO');
  assert.equal(f.defaultErrno, 38);
  assert.deepEqual(rulesFor(f, 'ptrace'), [{ syscall: 'ptrace', action: 'ALLOW' }]);
  // A listed call replaces what the policy said about it (clone loses its conditional allow).
  assert.deepEqual(rulesFor(f, 'chmod'), [{ syscall: 'chmod', action: 'KILL_PROCESS' }]);
  assert.deepEqual(rulesFor(f, 'clone'), [{ syscall: 'clone', action: 'KILL_PROCESS' }]);
  assert.ok(rulesFor(f, 'read').length === 1);
});

// ---- the short form ----

test('unit: short form, deny only: everything else is allowed, denied calls get errno', () => {
  const f = loaded(runStageUnit(stage, { policy: 'none', deny: ['mkdir', 'mkdirat'], errno: 'EACCES' }).sys);
  assert.deepEqual(f, {
    defaultAction: 'ALLOW',
    architectures: [],
    rules: [
      { syscall: 'mkdir', action: 'ERRNO', errno: 13 },
      { syscall: 'mkdirat', action: 'ERRNO', errno: 13 },
    ],
  });
});

test('unit: short form, allow only: the default blocks with EPERM', () => {
  const f = loaded(runStageUnit(stage, { policy: 'none', allow: ['execve', 'read', 'write', 'exit_group'] }).sys);
  assert.equal(f.defaultAction, 'ERRNO');
  assert.equal(f.defaultErrno, 1);
  assert.deepEqual(f.rules.map((r) => `${r.syscall}:${r.action}`), ['execve:ALLOW', 'read:ALLOW', 'write:ALLOW', 'exit_group:ALLOW']);
});

test('unit: short form with defaultAction LOG and deny with KILL_PROCESS', () => {
  const f = loaded(runStageUnit(stage, { policy: 'none', defaultAction: 'LOG', deny: ['keyctl'], action: 'KILL_PROCESS' }).sys);
  assert.deepEqual(f, { defaultAction: 'LOG', architectures: [], rules: [{ syscall: 'keyctl', action: 'KILL_PROCESS' }] });
});

test('unit: policy none with nothing listed loads no filter but still sets no_new_privs', () => {
  const { sys } = runStageUnit(stage, { policy: 'none' });
  assert.deepEqual(sys.argsOf('seccompLoad'), []);
  assert.deepEqual(sys.argsOf('prctl').map((a) => a.slice(0, 2)), [[PR.GET_NO_NEW_PRIVS, 0], [PR.SET_NO_NEW_PRIVS, 1]]);
});

test('unit: noNewPrivs false leaves no_new_privs alone; an already set one is not set again', () => {
  const off = runStageUnit(stage, { noNewPrivs: false }).sys;
  assert.deepEqual(off.argsOf('prctl'), []);
  assert.equal(off.argsOf('seccompLoad').length, 1);

  class NnpSet extends FakeSys {
    override prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
      super.prctl(option, a2, a3, a4, a5);
      return option === PR.GET_NO_NEW_PRIVS ? 1 : 0;
    }
  }
  const set = runStageUnit(stage, {}, { sys: new NnpSet() }).sys;
  assert.deepEqual(set.argsOf('prctl').map((a) => a[0]), [PR.GET_NO_NEW_PRIVS]);
  assert.equal(set.argsOf('seccompLoad').length, 1);
});

test('unit: a filter that blocks execve is refused before it is loaded', () => {
  const { sys, failure } = runStageUnit(stage, { policy: 'none', allow: ['read', 'write'] });
  assert.match(failure!.message, /stage seccomp: build the filter: the filter blocks execve/);
  assert.deepEqual(sys.argsOf('seccompLoad'), []);
});

test('unit: a failed load names the stage, the step and the errno', () => {
  const sys = new FakeSys().failNext('seccompLoad', 'EINVAL');
  const { failure } = runStageUnit(stage, {}, { sys });
  assert.equal(failure?.report.stage, 'seccomp');
  assert.equal(failure?.report.code, 'EINVAL');
  assert.match(failure!.report.step!, /^load the filter \(default ERRNO\(1\), \d+ rules/);
});

// ---- the OCI / Docker JSON format ----

test('unit: an OCI/Docker JSON profile becomes rules: actions, errnoRet, args, conditions, unknown names', () => {
  const other = nativeArch() === 'x86_64' ? 'arm64' : 'amd64';
  const file = writeJson({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    comment: 'unknown keys are ignored',
    syscalls: [
      { names: ['mkdir', 'mkdirat', 'not_a_syscall_xyz'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['getpid'], action: 'SCMP_ACT_ERRNO' },
      { names: ['keyctl'], action: 'SCMP_ACT_KILL' },
      { name: 'add_key', action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
      // Two arguments: one rule, both must hold. One argument twice: two rules.
      { names: ['socket'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }, { index: 1, value: '0xff', valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['setpriority'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LT' }, { index: 0, value: 2, op: 'SCMP_CMP_GT' }] },
      { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: '18446744073709551615', op: 'SCMP_CMP_NE' }] },
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', includes: { arches: [other] } },
      { names: ['chown'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['fchown'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] } },
      { names: ['fchownat'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_CHOWN'] }, excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['lchown'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: '99.0' } },
      { names: ['link'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: '3.0' } },
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
    ],
  });
  const sys = new FakeSys();
  sys.caps = { effective: 0n, permitted: 1n << BigInt(CAPABILITIES.CHOWN), inheritable: 0n };
  const f = loaded(runStageUnit(stage, { profile: file }, { sys }).sys);
  assert.deepEqual(f, {
    defaultAction: 'ALLOW',
    architectures: ['x86_64', 'x86'],
    rules: [
      { syscall: 'mkdir', action: 'ERRNO', errno: 13 },
      { syscall: 'mkdirat', action: 'ERRNO', errno: 13 },
      { syscall: 'getpid', action: 'ERRNO', errno: 1 },
      { syscall: 'keyctl', action: 'KILL_THREAD' },
      { syscall: 'add_key', action: 'KILL_PROCESS' },
      { syscall: 'kill', action: 'ERRNO', errno: 1, args: [{ index: 1, op: 'EQ', value: 0n }] },
      {
        syscall: 'socket',
        action: 'TRAP',
        args: [{ index: 0, op: 'EQ', value: 40n }, { index: 1, op: 'MASKED_EQ', value: 0xffn, valueTwo: 1n }],
      },
      { syscall: 'setpriority', action: 'LOG', args: [{ index: 0, op: 'LT', value: 1n }] },
      { syscall: 'setpriority', action: 'LOG', args: [{ index: 0, op: 'GT', value: 2n }] },
      { syscall: 'ioctl', action: 'ERRNO', errno: 1, args: [{ index: 1, op: 'NE', value: 0xffffffffffffffffn }] },
      // chmod: another architecture; chown: CAP_SYS_ADMIN not held; fchown: CAP_CHOWN held (one is enough to exclude);
      // lchown: kernel too old. link applies. read does what the default does: left out.
      { syscall: 'fchownat', action: 'ERRNO', errno: 1 },
      { syscall: 'link', action: 'ERRNO', errno: 1 },
    ],
  });
});

test('unit: archMap picks the native architecture and its sub-architectures', () => {
  const file = writeJson({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ALLOW' }],
  });
  const f = loaded(runStageUnit(stage, { profile: file }).sys);
  assert.deepEqual(f, { defaultAction: 'ERRNO', defaultErrno: 38, architectures: EXPECTED_ARCHES[nativeArch()] ?? [], rules: [{ syscall: 'execve', action: 'ALLOW' }] });
});

test('unit: the profile file is read in the namespaces phase, before pivot-root hides the host', () => {
  const file = writeJson({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  const sys = new FakeSys();
  const pipeline = new ContainerPipeline({ sys, command: ['/bin/true'] });
  stage.container!(pipeline.hooks, settingsFor(stage, { profile: file }));
  // The file is gone by the time the filter is built (as after pivot-root).
  pipeline.hooks.pivot.tap('test', () => fs.rmSync(file));
  pipeline.run();
  assert.deepEqual(loaded(sys).rules, [{ syscall: 'mkdir', action: 'ERRNO', errno: 1 }]);
  // A file that cannot be read fails in that early step, naming the file.
  const { failure } = runStageUnit(stage, { profile: file });
  assert.equal(failure?.report.phase, 'namespaces');
  assert.equal(failure?.message, `stage seccomp: read the JSON profile: seccomp profile ${file}: cannot read it: ENOENT`);
});

test('parse: malformed profiles get a message naming the file and the place', () => {
  const bad = (json: unknown, re: RegExp): void =>
    assert.throws(() => parseOciProfile(json, 'seccomp profile /x.json'), (e: unknown) => e instanceof ProfileFormatError && re.test(e.message));
  bad([], /^seccomp profile \/x\.json: \(document\): expected an object, got an array$/);
  bad({}, /defaultAction: expected a non-empty string, got nothing/);
  bad({ defaultAction: 'SCMP_ACT_DENY' }, /defaultAction: unknown action "SCMP_ACT_DENY" \(expected one of SCMP_ACT_ALLOW/);
  bad({ defaultAction: 'SCMP_ACT_NOTIFY' }, /SCMP_ACT_NOTIFY is not supported/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_VAX'] }, /architectures\[0\]: unknown architecture "SCMP_ARCH_VAX"/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [], archMap: [] }, /archMap: give either architectures or archMap/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\]: missing 'names'/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: 'mkdir', action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\]\.names: expected an array/);
  bad({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }, /syscalls\[0\]\.errnoRet: expected an errno number/);
  const arg = (a: unknown): unknown => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [a] }] });
  bad(arg({ index: 6, value: 0, op: 'SCMP_CMP_EQ' }), /syscalls\[0\]\.args\[0\]\.index: expected an argument index from 0 to 5, got number 6/);
  bad(arg({ index: 0, value: 0, op: 'SCMP_CMP_LIKE' }), /args\[0\]\.op: unknown comparison "SCMP_CMP_LIKE" \(expected one of SCMP_CMP_NE, .*SCMP_CMP_MASKED_EQ\)/);
  bad(arg({ index: 0, value: -1, op: 'SCMP_CMP_EQ' }), /args\[0\]\.value: expected an unsigned integer, got -1/);
  bad(arg({ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }), /too large for an exact JSON number; write it as a string/);
  bad(arg({ index: 0, value: '0x1ffffffffffffffff', op: 'SCMP_CMP_EQ' }), /expected an unsigned 64-bit integer/);
  bad(arg({ index: 0, op: 'SCMP_CMP_EQ' }), /args\[0\]\.value: expected an unsigned 64-bit integer, got nothing/);
});

// ---- settings and plan-time checks ----

test('schema: defaults, and clear refusals of bad settings', () => {
  assert.deepEqual(settingsFor(stage, {}), { allow: [], deny: [], action: 'ERRNO', errno: 'EPERM', noNewPrivs: true });
  assert.throws(() => settingsFor(stage, { polcy: 'none' }), /must NOT have additional properties/);
  assert.throws(() => settingsFor(stage, { policy: 'docker' }), /policy must be equal to one of the allowed values/);
  assert.throws(() => settingsFor(stage, { action: 'ALLOW' }), /action must be equal to one of the allowed values/);
  assert.throws(() => settingsFor(stage, { errno: 'eperm' }), /errno must match pattern/);
  assert.throws(() => settingsFor(stage, { deny: ['Mount'] }), /deny\/0 must match pattern/);
  assert.throws(() => settingsFor(stage, { deny: ['mount', 'mount'] }), /deny must NOT have duplicate items/);
  assert.throws(() => settingsFor(stage, { noNewPrivs: 'yes' }), /noNewPrivs must be boolean/);
});

test('check: unknown names in the short form, bad errno, contradictions', () => {
  assert.deepEqual(problems({ deny: ['mount', 'keyctl'], allow: ['ptrace'] }), []);
  assert.deepEqual(problems({ deny: ['mount', 'mkdri'] }), ["deny: unknown system call 'mkdri'"]);
  assert.deepEqual(problems({ policy: 'none', allow: ['execve', 'exeve'] }), ["allow: unknown system call 'exeve'"]);
  assert.deepEqual(problems({ errno: 'ENOPE' }), ["errno: unknown errno name 'ENOPE'"]);
  assert.deepEqual(problems({ allow: ['mount'], deny: ['mount'] }), ['both allowed and denied: mount']);
  assert.deepEqual(problems({ policy: 'none', defaultAction: 'ALLOW', allow: ['mount'] }), ['allow has no effect when defaultAction is ALLOW']);
});

test('check: a profile file that is missing, malformed or combined with the short form', () => {
  const dir = tmpDir();
  const missing = path.join(dir, 'missing.json');
  assert.deepEqual(problems({ profile: missing }), [`seccomp profile ${missing}: cannot read it: ENOENT`]);
  const broken = path.join(dir, 'broken.json');
  fs.writeFileSync(broken, '{ "defaultAction": ');
  const [msg] = problems({ profile: broken });
  assert.match(msg!, new RegExp(`^seccomp profile ${broken}: not valid JSON: `));
  const wrong = writeJson({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'DENY' }] });
  assert.deepEqual(problems({ profile: wrong }), [
    `seccomp profile ${wrong}: syscalls[0].action: unknown action "DENY" (expected one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG, SCMP_ACT_TRACE)`,
  ]);
  const good = writeJson({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a_future_call'], action: 'SCMP_ACT_ERRNO' }] });
  assert.deepEqual(problems({ profile: good }), [], 'names libseccomp does not know are fine in a JSON profile');
  // Relative to the working directory.
  assert.deepEqual(problems({ profile: path.relative(process.cwd(), good) }), []);
  assert.deepEqual(problems({ profile: good, policy: 'default', deny: ['mount'] }), [
    'profile replaces the built-in policy and the short form: leave out policy, deny (or write them into the JSON file)',
  ]);
});

test('plan: a missing profile file stops the plan with the file named', () => {
  const missing = path.join(tmpDir(), 'nope.json');
  assert.throws(
    () => planOf({ stages: [{ name: 'seccomp', with: { profile: missing } }, { name: 'exec' }] }),
    (e: unknown) => e instanceof Error && e.message.includes(`stage seccomp: seccomp profile ${missing}: cannot read it: ENOENT`),
  );
  assert.throws(() => planOf({ stages: [{ name: 'seccomp', with: { deny: ['mkdri'] } }, { name: 'exec' }] }), /stages\[0\]: stage seccomp: deny: unknown system call 'mkdri'/);
});

test('plan: seccomp runs after env and the credentials stages, right before exec', () => {
  const plan = planOf(profileWith({}));
  const names = plan.stages.map((s) => s.name);
  assert.deepEqual(names.slice(-3), ['env', 'seccomp', 'exec']);
  assert.deepEqual(plan.stages.find((s) => s.name === 'seccomp')!.hooks.container, ['finalize']);
  const withFile = planOf(profileWith({ profile: writeJson({ defaultAction: 'SCMP_ACT_ALLOW' }) }));
  assert.deepEqual(withFile.stages.find((s) => s.name === 'seccomp')!.hooks.container, ['namespaces', 'finalize']);
});

// ---- real containers ----

function profileWith(seccomp: Record<string, unknown>, extra: ProfileSpec['stages'] = []): ProfileSpec {
  return {
    stages: [
      { name: 'namespaces' },
      { name: 'rootfs' },
      { name: 'mounts', with: { tmpfs: [{ target: '/tmp', mode: '1777', size: '8m' }] } },
      { name: 'devices' },
      { name: 'fd-links' },
      { name: 'pivot-root' },
      ...extra,
      // Listed before env on purpose: the stage orders itself after env.
      { name: 'seccomp', with: seccomp },
      { name: 'env' },
      { name: 'exec' },
    ],
  };
}

test('real: default policy: status shows the filter; ordinary commands work; unshare and mount get EPERM', async () => {
  const r = await runContainer(profileWith({}), [
    '/bin/sh',
    '-c',
    [
      'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status',
      'ls / >/dev/null && cat /etc/passwd >/dev/null && echo hi > /tmp/f && cat /tmp/f && rm /tmp/f',
      'echo $(echo sub) | wc -c',
      '/usr/bin/unshare -n true; echo unshare=$?',
      '/usr/bin/mount -t tmpfs none /tmp 2>/dev/null; echo mount=$?',
    ].join('\n'),
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['NoNewPrivs:\t1', 'Seccomp:\t2', 'hi', '4', 'unshare=1', 'mount=32']);
  assert.match(r.stderr, /unshare: unshare failed: Operation not permitted/);
});

test('real: default policy: node runs under the filter; blocked calls fail with EPERM, clone3 with ENOSYS', async () => {
  // koffi, bound into the container, makes the raw calls. Arguments are chosen so that each
  // call would fail differently (or succeed harmlessly) if it were not blocked.
  const koffiDir = path.dirname(require.resolve('koffi'));
  const nr = (name: string): number => {
    const n = seccompResolve(name);
    assert.ok(n !== undefined && n >= 0, `${name} has a native number`);
    return n;
  };
  const calls: Record<string, Array<[string, unknown]>> = {
    mount: [['str', 'none'], ['str', '/nonexistent-isolate'], ['str', 'tmpfs'], ['long', 0], ['ptr', null]],
    umount2: [['str', '/nonexistent-isolate'], ['long', 0]],
    unshare: [['long', 0x40000000]],
    setns: [['long', -1], ['long', 0]],
    pivot_root: [['str', '/nonexistent-isolate'], ['str', '/nonexistent-isolate']],
    keyctl: [['long', 0], ['long', -3], ['long', 0]],
    bpf: [['long', -1], ['ptr', null], ['long', 0]],
    ptrace: [['long', 2], ['long', 999999], ['long', 0], ['long', 0]],
    // CLONE_NEWUTS | SIGCHLD: a namespace flag.
    clone: [['long', 0x04000000 | 17], ['long', 0], ['long', 0], ['long', 0], ['long', 0]],
    clone3: [['ptr', null], ['long', 0]],
    personality_bad: [['long', 0x0040000]],
    personality_query: [['long', 0xffffffff]],
    getpid: [],
  };
  const plan = Object.entries(calls).map(([name, args]) => ({ name, nr: nr(name.replace(/_(bad|query)$/, '')), args }));
  const script = `
    const koffi = require('/opt/koffi');
    const os = require('os');
    const libc = koffi.load('libc.so.6');
    const syscall = libc.func('long syscall(long nr, ...)');
    const types = { str: 'const char *', long: 'long', ptr: 'void *' };
    const out = {};
    for (const c of ${JSON.stringify(plan)}) {
      const ret = Number(syscall(c.nr, ...c.args.flatMap(([t, v]) => [types[t], v])));
      out[c.name] = ret === -1 ? Object.keys(os.constants.errno).find((k) => os.constants.errno[k] === koffi.errno()) : 'ok';
    }
    console.log(JSON.stringify(out));
  `;
  const withKoffi = profileWith({});
  // koffi finds its native part in the sibling @koromix directory.
  const binds = [
    { source: koffiDir, target: '/opt/koffi', readonly: true },
    { source: path.join(koffiDir, '..', '@koromix'), target: '/opt/@koromix', readonly: true },
  ];
  withKoffi.stages[2] = { name: 'mounts', with: { binds } };
  const k = await runContainer(withKoffi, ['/usr/bin/node', '-e', script]);
  assert.equal(k.exitCode, 0, k.stderr);
  assert.deepEqual(JSON.parse(k.stdout), {
    mount: 'EPERM',
    umount2: 'EPERM',
    unshare: 'EPERM',
    setns: 'EPERM',
    pivot_root: 'EPERM',
    keyctl: 'EPERM',
    bpf: 'EPERM',
    ptrace: 'EPERM',
    clone: 'EPERM',
    clone3: 'ENOSYS',
    personality_bad: 'EPERM',
    personality_query: 'ok',
    getpid: 'ok',
  });
});

test('real: an OCI/Docker JSON profile is enforced, including argument comparisons', async () => {
  const file = writeJson({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mkdir', 'mkdirat', 'a_call_from_the_future'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      // kill(pid, 0) is refused, other signals pass.
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
    ],
  });
  const r = await runContainer(profileWith({ profile: file }), [
    '/bin/sh',
    '-c',
    'grep "^Seccomp:" /proc/self/status; mkdir /tmp/d; echo mkdir=$?; touch /tmp/f && echo touch=$?; kill -0 $$; echo kill0=$?; kill -CONT $$; echo cont=$?',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['Seccomp:\t2', 'mkdir=1', 'touch=0', 'kill0=1', 'cont=0']);
  assert.match(r.stderr, /mkdir: cannot create directory '\/tmp\/d': Permission denied/);
  assert.match(r.stderr, /kill: .*Operation not permitted/);
});

test('real: a denied call with KILL_PROCESS kills the command with SIGSYS (exit 159)', async () => {
  const r = await runContainer(profileWith({ policy: 'none', deny: ['mkdir', 'mkdirat'], action: 'KILL_PROCESS' }), ['/bin/sh', '-c', 'echo before; exec /bin/mkdir /tmp/x']);
  assert.equal(r.exitCode, 159, r.stderr);
  assert.equal(r.signal, 'SIGSYS');
  assert.equal(r.stdout, 'before\n');
});

test('real: with noNewPrivs false, root (CAP_SYS_ADMIN) loads the filter without no_new_privs', async () => {
  const r = await runContainer(profileWith({ noNewPrivs: false, policy: 'none', deny: ['mkdir', 'mkdirat'] }), [
    '/bin/sh',
    '-c',
    'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/x 2>/dev/null; echo mkdir=$?',
  ]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['NoNewPrivs:\t0', 'Seccomp:\t2', 'mkdir=1']);
});

test('real: a failure after the filter is loaded still reaches the supervisor (command not found)', async () => {
  const r = await runContainer(profileWith({}), ['no-such-command-isolate']);
  assert.equal(r.exitCode, 127);
  assert.match(r.failure!.message, /no-such-command-isolate: command not found in the container/);
  assert.equal(r.failure!.stage, 'exec');
});

// ---- built on the host while the init boots ----

/** Runs the stage's host hooks; returns what they shared with the container side. */
async function hostShared(settings: Record<string, unknown>): Promise<Record<string, unknown>> {
  const run = await runStageHost(stage, settings);
  assert.equal(run.error, undefined);
  return run.shared;
}

test('host: the default policy is compiled to a BPF program the init installs with one seccomp(2) call', async () => {
  const shared = await hostShared({});
  const pre = shared.seccomp as { program: string; description: string };
  const program = Buffer.from(pre.program, 'base64');
  assert.ok(program.length > 8 && program.length % 8 === 0, 'whole sock_filter instructions');
  // The same filter built in the init would be this one: libseccomp made the program from it.
  assert.deepEqual(program, libcSys().seccompExport(loaded(runStageUnit(stage, {}).sys)));
  const { sys, failure } = runStageUnit(stage, {}, { shared });
  assert.equal(failure, undefined);
  assert.deepEqual(sys.argsOf('seccompLoad'), [], 'libseccomp is not used in the init');
  assert.deepEqual(sys.argsOf('seccompLoadProgram'), [[program]]);
  const order = sys.calls.map((c) => c.call).filter((c) => c === 'prctl' || c === 'seccompLoadProgram');
  assert.deepEqual(order.slice(-2), ['prctl', 'seccompLoadProgram'], 'no_new_privs first');
});

test('host: a profile whose rules depend on capabilities is left to the init; nothing to filter shares null', async () => {
  const file = writeJson({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chown'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } }] });
  assert.deepEqual(await hostShared({ profile: file }), {});
  assert.deepEqual(await hostShared({ policy: 'none' }), { seccomp: { program: null, description: 'nothing to filter' } });
  const { sys } = runStageUnit(stage, { policy: 'none' }, { shared: { seccomp: { program: null, description: 'nothing to filter' } } });
  assert.deepEqual([sys.argsOf('seccompLoad'), sys.argsOf('seccompLoadProgram')], [[], []]);
});

test('real: the program built on the host is enforced like the one built in the init', async () => {
  const r = await runContainer(
    { stages: [{ name: 'namespaces' }, { name: 'rootfs' }, { name: 'mounts' }, { name: 'devices' }, { name: 'pivot-root' }, { name: 'seccomp', with: { policy: 'none', deny: ['mkdir', 'mkdirat'], errno: 'EACCES' } }, { name: 'exec' }] },
    ['/bin/sh', '-c', 'grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1 || true'],
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /^Seccomp:\t2\nmkdir: cannot create directory '\/tmp\/x': Permission denied\n$/);
});
