import type { SeccompFilter } from './seccomp';

/**
 * Every system call a stage makes goes through this interface. The real implementation
 * (./libc) binds libc with koffi; the fake (./fake) records calls and can be told to fail.
 * Stages hold a `Sys`, never the real one, so each stage is testable without privileges.
 *
 * All calls are synchronous: they run on the calling (main) thread, which is the thread
 * whose namespaces, root and credentials the command inherits at execve.
 * Every method throws SysError on failure.
 */
export interface Sys {
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  mknod(path: string, mode: number, dev: bigint): void;
  chown(path: string, uid: number, gid: number): void;
  chmod(path: string, mode: number): void;
  symlink(target: string, linkPath: string): void;
  chdir(path: string): void;
  chroot(path: string): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;
  prctl(option: number, arg2?: number, arg3?: number, arg4?: number, arg5?: number): number;
  setresuid(ruid: number, euid: number, suid: number): void;
  setresgid(rgid: number, egid: number, sgid: number): void;
  setgroups(gids: readonly number[]): void;
  setrlimit(resource: number, soft: bigint, hard: bigint): void;
  getrlimit(resource: number): { soft: bigint; hard: bigint };
  capget(): CapSets;
  capset(sets: CapSets): void;
  umask(mask: number): number;
  fcntl(fd: number, cmd: number, arg?: number): number;
  /** Marks every fd from `first` up close-on-exec (close_range with CLOSE_RANGE_CLOEXEC). */
  closeRangeCloexec(first: number): void;
  /** Brings a network interface up (SIOCGIFFLAGS/SIOCSIFFLAGS on an AF_INET socket). */
  linkUp(name: string): void;
  getpid(): number;
  /** Starts a new session (no controlling terminal); returns the session id. */
  setsid(): number;
  /**
   * Builds a seccomp filter with libseccomp and loads it into the calling thread. Does not
   * set no_new_privs: without it the caller needs CAP_SYS_ADMIN.
   */
  seccompLoad(filter: SeccompFilter): void;
  /** The BPF program libseccomp makes of `filter`, to install later with seccompLoadProgram. */
  seccompExport(filter: SeccompFilter): Buffer;
  /**
   * Installs a BPF program (from seccompExport) on the calling thread with seccomp(2)
   * (SECCOMP_SET_MODE_FILTER); needs no_new_privs or CAP_SYS_ADMIN, like seccompLoad.
   */
  seccompLoadProgram(program: Buffer): void;
  /** Replaces the process image. Returns only by throwing. */
  execve(path: string, argv: readonly string[], envp: readonly string[]): never;
}

/** Capability sets as 64-bit masks (bit N = capability N). */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}
