import type { Sys, CapSets } from './sys';
import type { SeccompFilter } from './seccomp';
import { SysError } from './errors';
import { errnoNumber } from './errno';

export interface RecordedCall {
  call: keyof Sys;
  args: unknown[];
}

/**
 * A test double for Sys: records each call with its typed arguments and succeeds, unless told
 * to fail (`failNext('mount', 'EPERM', 2)` fails the next two mount calls). execve records
 * and then throws FakeExec so a test can see what would have run.
 */
export class FakeSys implements Sys {
  readonly calls: RecordedCall[] = [];
  private failures = new Map<keyof Sys, { code: string; times: number; when?: (args: unknown[]) => boolean }>();
  private mask = 0o022;
  caps: CapSets = { effective: 0n, permitted: 0n, inheritable: 0n };
  rlimits = new Map<number, { soft: bigint; hard: bigint }>();

  /** Make the next `times` calls of `call` (optionally only those matching `when`) fail with `code`. */
  failNext(call: keyof Sys, code: string, times = 1, when?: (args: unknown[]) => boolean): this {
    this.failures.set(call, { code, times, when });
    return this;
  }

  /** The recorded calls of one kind, as argument lists. */
  argsOf(call: keyof Sys): unknown[][] {
    return this.calls.filter((c) => c.call === call).map((c) => c.args);
  }

  private rec(call: keyof Sys, args: unknown[]): void {
    this.calls.push({ call, args });
    const f = this.failures.get(call);
    if (f && f.times > 0 && (!f.when || f.when(args))) {
      f.times--;
      throw new SysError(call, errnoNumber(f.code), args, typeof args[0] === 'string' ? args[0] : undefined);
    }
  }

  unshare(flags: number): void { this.rec('unshare', [flags]); }
  setns(fd: number, nstype: number): void { this.rec('setns', [fd, nstype]); }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    this.rec('mount', [source, target, fstype, flags, data]);
  }
  umount2(target: string, flags: number): void { this.rec('umount2', [target, flags]); }
  pivotRoot(newRoot: string, putOld: string): void { this.rec('pivotRoot', [newRoot, putOld]); }
  mknod(path: string, mode: number, dev: bigint): void { this.rec('mknod', [path, mode, dev]); }
  chown(path: string, uid: number, gid: number): void { this.rec('chown', [path, uid, gid]); }
  chmod(path: string, mode: number): void { this.rec('chmod', [path, mode]); }
  symlink(target: string, linkPath: string): void { this.rec('symlink', [target, linkPath]); }
  chdir(path: string): void { this.rec('chdir', [path]); }
  chroot(path: string): void { this.rec('chroot', [path]); }
  sethostname(name: string): void { this.rec('sethostname', [name]); }
  setdomainname(name: string): void { this.rec('setdomainname', [name]); }
  prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    this.rec('prctl', [option, a2, a3, a4, a5]);
    return 0;
  }
  setresuid(r: number, e: number, s: number): void { this.rec('setresuid', [r, e, s]); }
  setresgid(r: number, e: number, s: number): void { this.rec('setresgid', [r, e, s]); }
  setgroups(gids: readonly number[]): void { this.rec('setgroups', [[...gids]]); }
  setrlimit(resource: number, soft: bigint, hard: bigint): void {
    this.rec('setrlimit', [resource, soft, hard]);
    this.rlimits.set(resource, { soft, hard });
  }
  getrlimit(resource: number): { soft: bigint; hard: bigint } {
    this.rec('getrlimit', [resource]);
    return this.rlimits.get(resource) ?? { soft: 1024n, hard: 1048576n };
  }
  capget(): CapSets {
    this.rec('capget', []);
    return { ...this.caps };
  }
  capset(sets: CapSets): void {
    this.rec('capset', [{ ...sets }]);
    this.caps = { ...sets };
  }
  umask(mask: number): number {
    this.rec('umask', [mask]);
    const old = this.mask;
    this.mask = mask;
    return old;
  }
  fcntl(fd: number, cmd: number, arg = 0): number {
    this.rec('fcntl', [fd, cmd, arg]);
    return 0;
  }
  closeRangeCloexec(first: number): void { this.rec('closeRangeCloexec', [first]); }
  linkUp(name: string): void { this.rec('linkUp', [name]); }
  getpid(): number {
    this.rec('getpid', []);
    return 1;
  }
  setsid(): number {
    this.rec('setsid', []);
    return 1;
  }
  seccompLoad(filter: SeccompFilter): void { this.rec('seccompLoad', [structuredClone(filter)]); }
  /** A stand-in program: the filter as JSON, padded to whole 8-byte instructions. */
  seccompExport(filter: SeccompFilter): Buffer {
    this.rec('seccompExport', [structuredClone(filter)]);
    const json = Buffer.from(JSON.stringify(filter, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    return Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  }
  seccompLoadProgram(program: Buffer): void { this.rec('seccompLoadProgram', [Buffer.from(program)]); }
  execve(path: string, argv: readonly string[], envp: readonly string[]): never {
    this.rec('execve', [path, [...argv], [...envp]]);
    throw new FakeExec(path, [...argv], [...envp]);
  }
}

/** Thrown by FakeSys.execve: the point where the real call would have replaced the process. */
export class FakeExec extends Error {
  constructor(readonly path: string, readonly argv: string[], readonly envp: string[]) {
    super(`execve ${path}`);
    this.name = 'FakeExec';
  }
}
