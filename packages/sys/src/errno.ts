import * as os from 'node:os';

// Errno names and texts come from Node's own table (os.constants.errno), so no koffi load is
// needed to format an error (the fake syscall layer uses this too).
const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(os.constants.errno)) {
  if (!byNumber.has(num)) byNumber.set(num, name);
}

const messages: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ELOOP: 'Too many levels of symbolic links',
  ETXTBSY: 'Text file busy',
  EOPNOTSUPP: 'Operation not supported',
};

export function errnoName(errno: number): string {
  return byNumber.get(errno) ?? `E${errno}`;
}

export function errnoNumber(name: string): number {
  const n = (os.constants.errno as Record<string, number>)[name];
  if (n === undefined) throw new Error(`unknown errno name ${name}`);
  return n;
}

export function errnoMessage(errno: number): string {
  return messages[errnoName(errno)] ?? `errno ${errno}`;
}
