import * as fs from 'node:fs';
import type { Sys, CapSets } from './sys';
import { loadSeccompFilter, exportSeccompBpf, type SeccompFilter } from './seccomp';
import { SysError } from './errors';
import { SYS_NUMBERS } from './constants';

// koffi is loaded on first use so that importing @isolate/sys has no side effect and costs
// nothing for code (plan, profile checks, unit tests) that never makes a call.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;
interface Bound {
  koffi: typeof import('koffi');
  f: Record<string, Fn>;
  capHeader: unknown;
  capData: unknown;
  ifreq: unknown;
}
let bound: Bound | undefined;

function bind(): Bound {
  if (bound) return bound;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as typeof import('koffi');
  const libc = koffi.load('libc.so.6');
  const capHeader = koffi.struct('isolate_cap_header', { version: 'uint32', pid: 'int' });
  const capData = koffi.struct('isolate_cap_data', { effective: 'uint32', permitted: 'uint32', inheritable: 'uint32' });
  koffi.struct('isolate_sock_fprog', { len: 'uint16', filter: 'void *' });
  const ifreq = koffi.struct('isolate_ifreq', { name: koffi.array('char', 16, 'String'), flags: 'short', pad: koffi.array('uint8', 22) });
  const decl = [
    'int unshare(int flags)',
    'int setns(int fd, int nstype)',
    'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    'int umount2(const char *target, int flags)',
    'int mknod(const char *path, uint32_t mode, uint64_t dev)',
    'int chown(const char *path, uint32_t uid, uint32_t gid)',
    'int chmod(const char *path, uint32_t mode)',
    'int symlink(const char *target, const char *linkpath)',
    'int chdir(const char *path)',
    'int chroot(const char *path)',
    'int sethostname(const char *name, size_t len)',
    'int setdomainname(const char *name, size_t len)',
    'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
    'int setresuid(uint32_t r, uint32_t e, uint32_t s)',
    'int setresgid(uint32_t r, uint32_t e, uint32_t s)',
    'int setgroups(size_t size, const uint32_t *list)',
    'int setrlimit(int resource, const uint64_t *rlim)',
    'int getrlimit(int resource, _Out_ uint64_t *rlim)',
    'uint32_t umask(uint32_t mask)',
    'int fcntl(int fd, int cmd, int arg)',
    'int close_range(uint32_t first, uint32_t last, int flags)',
    'int memfd_create(const char *name, unsigned int flags)',
    'int socket(int domain, int type, int protocol)',
    'int close(int fd)',
    'int getpid(void)',
    'int setsid(void)',
    'int execve(const char *path, const char **argv, const char **envp)',
    'long syscall(long number, ...)',
  ];
  const f: Record<string, Fn> = {};
  for (const d of decl) {
    const fn = libc.func(d);
    f[fn.info.name] = fn as Fn;
  }
  f.capget = libc.func('int capget(isolate_cap_header *hdr, _Out_ isolate_cap_data *data)') as Fn;
  f.capset = libc.func('int capset(isolate_cap_header *hdr, isolate_cap_data *data)') as Fn;
  f.ioctl_ifreq = libc.func('int ioctl(int fd, unsigned long req, _Inout_ isolate_ifreq *ifr)') as Fn;
  bound = { koffi, f, capHeader, capData, ifreq };
  return bound;
}

/** Throws SysError with the current errno when `ret` is -1. */
function check(b: Bound, name: string, ret: number | bigint, args: readonly unknown[], path?: string): void {
  if (ret === -1 || ret === -1n) throw new SysError(name, b.koffi.errno(), args, path);
}

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const CLOSE_RANGE_CLOEXEC = 1 << 2;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}
function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}

class LibcSys implements Sys {
  private get b(): Bound {
    return bind();
  }

  unshare(flags: number): void {
    const b = this.b;
    check(b, 'unshare', b.f.unshare(flags), [flags]);
  }
  setns(fd: number, nstype: number): void {
    const b = this.b;
    check(b, 'setns', b.f.setns(fd, nstype), [fd, nstype]);
  }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    const b = this.b;
    check(b, 'mount', b.f.mount(source, target, fstype, flags, data), [source, target, fstype, flags, data], target);
  }
  umount2(target: string, flags: number): void {
    const b = this.b;
    check(b, 'umount2', b.f.umount2(target, flags), [target, flags], target);
  }
  pivotRoot(newRoot: string, putOld: string): void {
    const b = this.b;
    const nr = SYS_NUMBERS[process.arch]?.pivot_root;
    if (nr === undefined) throw new SysError('pivot_root', 38 /* ENOSYS */, [newRoot, putOld]);
    const ret = b.f.syscall(nr, 'const char *', newRoot, 'const char *', putOld);
    check(b, 'pivot_root', ret, [newRoot, putOld], newRoot);
  }
  mknod(path: string, mode: number, dev: bigint): void {
    const b = this.b;
    check(b, 'mknod', b.f.mknod(path, mode, dev), [path, '0' + mode.toString(8), dev], path);
  }
  chown(path: string, uid: number, gid: number): void {
    const b = this.b;
    check(b, 'chown', b.f.chown(path, uid, gid), [path, uid, gid], path);
  }
  chmod(path: string, mode: number): void {
    const b = this.b;
    check(b, 'chmod', b.f.chmod(path, mode), [path, '0' + mode.toString(8)], path);
  }
  symlink(target: string, linkPath: string): void {
    const b = this.b;
    check(b, 'symlink', b.f.symlink(target, linkPath), [target, linkPath], linkPath);
  }
  chdir(path: string): void {
    const b = this.b;
    check(b, 'chdir', b.f.chdir(path), [path], path);
  }
  chroot(path: string): void {
    const b = this.b;
    check(b, 'chroot', b.f.chroot(path), [path], path);
  }
  sethostname(name: string): void {
    const b = this.b;
    check(b, 'sethostname', b.f.sethostname(name, Buffer.byteLength(name)), [name]);
  }
  setdomainname(name: string): void {
    const b = this.b;
    check(b, 'setdomainname', b.f.setdomainname(name, Buffer.byteLength(name)), [name]);
  }
  prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    const b = this.b;
    const ret = b.f.prctl(option, a2, a3, a4, a5) as number;
    check(b, 'prctl', ret, [option, a2, a3, a4, a5]);
    return ret;
  }
  setresuid(r: number, e: number, s: number): void {
    const b = this.b;
    check(b, 'setresuid', b.f.setresuid(r, e, s), [r, e, s]);
  }
  setresgid(r: number, e: number, s: number): void {
    const b = this.b;
    check(b, 'setresgid', b.f.setresgid(r, e, s), [r, e, s]);
  }
  setgroups(gids: readonly number[]): void {
    const b = this.b;
    check(b, 'setgroups', b.f.setgroups(gids.length, gids.length ? [...gids] : null), [[...gids]]);
  }
  setrlimit(resource: number, soft: bigint, hard: bigint): void {
    const b = this.b;
    check(b, 'setrlimit', b.f.setrlimit(resource, [soft, hard]), [resource, soft, hard]);
  }
  getrlimit(resource: number): { soft: bigint; hard: bigint } {
    const b = this.b;
    const out: bigint[] = [0n, 0n];
    check(b, 'getrlimit', b.f.getrlimit(resource, out), [resource]);
    return { soft: BigInt(out[0]!), hard: BigInt(out[1]!) };
  }
  capget(): CapSets {
    const b = this.b;
    const data = [{}, {}] as Array<{ effective: number; permitted: number; inheritable: number }>;
    check(b, 'capget', b.f.capget({ version: LINUX_CAPABILITY_VERSION_3, pid: 0 }, data), []);
    const join = (k: 'effective' | 'permitted' | 'inheritable'): bigint =>
      (BigInt(data[1]![k] >>> 0) << 32n) | BigInt(data[0]![k] >>> 0);
    return { effective: join('effective'), permitted: join('permitted'), inheritable: join('inheritable') };
  }
  capset(sets: CapSets): void {
    const b = this.b;
    const data = [
      { effective: lo32(sets.effective), permitted: lo32(sets.permitted), inheritable: lo32(sets.inheritable) },
      { effective: hi32(sets.effective), permitted: hi32(sets.permitted), inheritable: hi32(sets.inheritable) },
    ];
    check(b, 'capset', b.f.capset({ version: LINUX_CAPABILITY_VERSION_3, pid: 0 }, data), [sets.effective, sets.permitted, sets.inheritable]);
  }
  umask(mask: number): number {
    return this.b.f.umask(mask) as number;
  }
  fcntl(fd: number, cmd: number, arg = 0): number {
    const b = this.b;
    const ret = b.f.fcntl(fd, cmd, arg) as number;
    check(b, 'fcntl', ret, [fd, cmd, arg]);
    return ret;
  }
  closeRangeCloexec(first: number): void {
    const b = this.b;
    check(b, 'close_range', b.f.close_range(first, 0xffffffff, CLOSE_RANGE_CLOEXEC), [first, '~0U', 'CLOSE_RANGE_CLOEXEC']);
  }
  linkUp(name: string): void {
    const b = this.b;
    const fd = b.f.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
    check(b, 'socket', fd, ['AF_INET', 'SOCK_DGRAM', 0]);
    try {
      const req = { name, flags: 0, pad: new Array(22).fill(0) };
      check(b, 'ioctl', b.f.ioctl_ifreq(fd, SIOCGIFFLAGS, req), [fd, 'SIOCGIFFLAGS', name]);
      req.flags |= IFF_UP;
      check(b, 'ioctl', b.f.ioctl_ifreq(fd, SIOCSIFFLAGS, req), [fd, 'SIOCSIFFLAGS', name]);
    } finally {
      b.f.close(fd);
    }
  }
  getpid(): number {
    return this.b.f.getpid() as number;
  }
  setsid(): number {
    const b = this.b;
    const ret = b.f.setsid() as number;
    check(b, 'setsid', ret, []);
    return ret;
  }
  seccompLoad(filter: SeccompFilter): void {
    loadSeccompFilter(filter);
  }
  seccompExport(filter: SeccompFilter): Buffer {
    const b = this.b;
    // libseccomp writes the program to a descriptor: an anonymous in-memory file.
    const MFD_CLOEXEC = 1;
    const fd = b.f.memfd_create('isolate-seccomp', MFD_CLOEXEC) as number;
    check(b, 'memfd_create', fd, ['isolate-seccomp', 'MFD_CLOEXEC']);
    try {
      exportSeccompBpf(filter, fd);
      const program = Buffer.alloc(fs.fstatSync(fd).size);
      fs.readSync(fd, program, 0, program.length, 0);
      return program;
    } finally {
      fs.closeSync(fd);
    }
  }
  seccompLoadProgram(program: Buffer): void {
    const b = this.b;
    const nr = SYS_NUMBERS[process.arch]?.seccomp;
    if (nr === undefined) throw new SysError('seccomp', 38 /* ENOSYS */, ['SECCOMP_SET_MODE_FILTER']);
    // A program is an array of 8-byte sock_filter instructions.
    if (program.length === 0 || program.length % 8 !== 0) throw new SysError('seccomp', 22 /* EINVAL */, ['SECCOMP_SET_MODE_FILTER', `${program.length} bytes`]);
    const SECCOMP_SET_MODE_FILTER = 1;
    const ret = b.f.syscall(nr, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', 0, 'isolate_sock_fprog *', { len: program.length / 8, filter: program });
    check(b, 'seccomp', ret, ['SECCOMP_SET_MODE_FILTER', 0, `${program.length / 8} instructions`]);
  }
  execve(path: string, argv: readonly string[], envp: readonly string[]): never {
    const b = this.b;
    b.f.execve(path, [...argv, null], [...envp, null]);
    throw new SysError('execve', b.koffi.errno(), [path], path);
  }
}

let instance: Sys | undefined;

/** The real syscall layer (libc through koffi), created on first use. */
export function libcSys(): Sys {
  return (instance ??= new LibcSys());
}
