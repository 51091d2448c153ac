// The built-in policy: an allow-list in the spirit of Docker's default profile, written here
// as data in the OCI / Docker JSON shape (so it goes through the same reader as a file).
// Calls that are not listed fail with EPERM. Left out on purpose (they reach outside the
// container or into the kernel): mount and the new mount API, umount2, unshare, setns,
// pivot_root, keyrings, bpf, perf_event_open, kexec, modules, reboot, swap, acct, the clocks'
// setters, adjtimex, file handles, userfaultfd, lookup_dcookie, quotactl, syslog, uselib,
// ustat, sysfs, _sysctl, vm86, ptrace and process_vm_*, iopl, ioperm, the old module calls,
// nfsservctl, io_uring, NUMA policy calls. personality and clone are allowed only with
// harmless arguments; clone3 fails with ENOSYS so that libc falls back to clone, whose flags
// a filter can see (clone3 passes them in memory).
//
// Names are libseccomp's. Calls of other architectures (socketcall, mmap2, the *32 and
// *_time64 variants) are listed for 32-bit programs under the x86 and arm sub-architectures;
// names libseccomp does not know are left out when the filter is built.

const PROCESSES = [
  'exit', 'exit_group', 'fork', 'vfork', 'execve', 'execveat', 'wait4', 'waitid', 'waitpid',
  'kill', 'tkill', 'tgkill', 'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'setpgid',
  'getsid', 'setsid', 'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq',
  'restart_syscall', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'prctl', 'seccomp',
  'set_thread_area', 'get_thread_area', 'membarrier', 'getcpu', 'times', 'getrusage',
  'getrlimit', 'setrlimit', 'prlimit64', 'ugetrlimit', 'capget', 'capset',
  'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'sched_yield', 'sched_getaffinity',
  'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam',
  'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64',
];

const CREDENTIALS = [
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups',
  'setfsuid', 'setfsgid',
  'getuid32', 'geteuid32', 'getgid32', 'getegid32', 'getresuid32', 'getresgid32', 'getgroups32',
  'setuid32', 'setgid32', 'setreuid32', 'setregid32', 'setresuid32', 'setresgid32', 'setgroups32',
  'setfsuid32', 'setfsgid32',
];

const SIGNALS = [
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo',
  'sigaltstack', 'sigreturn', 'sigprocmask', 'sigaction', 'sigpending', 'sigsuspend',
  'signal', 'signalfd', 'signalfd4', 'pause', 'alarm', 'getitimer', 'setitimer',
];

const MEMORY = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync',
  'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'remap_file_pages',
  'memfd_create', 'memfd_secret', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
  'map_shadow_stack', 'mseal',
];

const FILES = [
  // descriptors and data
  'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2',
  'pwritev2', 'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2',
  'dup3', 'lseek', '_llseek', 'fcntl', 'fcntl64', 'ioctl', 'flock', 'fsync', 'fdatasync',
  'sync', 'syncfs', 'sync_file_range', 'fadvise64', 'fadvise64_64', 'fallocate', 'readahead',
  'truncate', 'truncate64', 'ftruncate', 'ftruncate64', 'sendfile', 'sendfile64',
  'copy_file_range', 'splice', 'tee', 'vmsplice', 'pipe', 'pipe2', 'cachestat',
  // names, metadata, directories
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'newfstatat', 'fstatat64', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'access', 'faccessat', 'faccessat2',
  'getdents', 'getdents64', 'readdir', 'getcwd', 'chdir', 'fchdir', 'chroot', 'mkdir', 'mkdirat',
  'mknod', 'mknodat', 'rmdir', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink',
  'symlinkat', 'unlink', 'unlinkat', 'readlink', 'readlinkat', 'chmod', 'fchmod', 'fchmodat',
  'fchmodat2', 'chown', 'fchown', 'fchownat', 'lchown', 'chown32', 'fchown32', 'lchown32',
  'umask', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr',
  'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr',
  // change notification, asynchronous I/O, self-sandboxing
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents',
  'io_pgetevents_time64', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
];

const WAITING_AND_TIME = [
  'select', '_newselect', 'pselect6', 'pselect6_time64', 'poll', 'ppoll', 'ppoll_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old',
  'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'timerfd_create', 'timerfd_settime',
  'timerfd_settime64', 'timerfd_gettime', 'timerfd_gettime64', 'timer_create', 'timer_settime',
  'timer_settime64', 'timer_gettime', 'timer_gettime64', 'timer_getoverrun', 'timer_delete',
  'futex', 'futex_time64', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
  'nanosleep', 'clock_nanosleep', 'clock_nanosleep_time64', 'clock_gettime', 'clock_gettime64',
  'clock_getres', 'clock_getres_time64', 'gettimeofday', 'time',
];

const NETWORK = [
  'socket', 'socketpair', 'socketcall', 'bind', 'connect', 'listen', 'accept', 'accept4',
  'getsockname', 'getpeername', 'getsockopt', 'setsockopt', 'shutdown', 'send', 'sendto',
  'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64',
];

const IPC = [
  'ipc', 'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop',
  'semtimedop_time64', 'semctl', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink',
  'mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64',
  'mq_notify', 'mq_getsetattr',
];

// The container has its own UTS namespace; capabilities still decide who may rename it.
const SYSTEM = ['uname', 'olduname', 'oldolduname', 'sysinfo', 'getrandom', 'sethostname', 'setdomainname'];

/** Every call the default policy allows without looking at arguments. */
export const DEFAULT_ALLOWED: readonly string[] = [
  ...PROCESSES,
  ...CREDENTIALS,
  ...SIGNALS,
  ...MEMORY,
  ...FILES,
  ...WAITING_AND_TIME,
  ...NETWORK,
  ...IPC,
  ...SYSTEM,
];

/** The namespace flags of clone (CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP). */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x02000000;

/** personality() values that change nothing dangerous: PER_LINUX, PER_LINUX32, UNAME26 forms, and the query. */
export const SAFE_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

const ENOSYS = 38;
const EPERM = 1;

/** The default policy in the OCI / Docker JSON shape. */
export const DEFAULT_POLICY = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  // The native architecture and the 32-bit ones its kernel also runs, as Docker does.
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: DEFAULT_ALLOWED, action: 'SCMP_ACT_ALLOW' },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      // Comparisons of one argument are alternatives: each is a rule of its own.
      args: SAFE_PERSONALITIES.map((value) => ({ index: 0, value, op: 'SCMP_CMP_EQ' })),
    },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      // (flags & namespace flags) == 0: threads and processes, never new namespaces.
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    // x86 only: thread-local storage setup (every x86_64 program) and LDT entries.
    { names: ['arch_prctl', 'modify_ldt'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x86_64', '386', 'x86'] } },
    // 32-bit arm only.
    {
      names: ['breakpoint', 'cacheflush', 'set_tls', 'arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2'],
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: ['arm', 'arm64'] },
    },
  ],
} as const;
