import { errnoName, errnoMessage } from './errno';

/**
 * A failed system call, shaped like Node's own errors (code, errno, syscall, path) so callers
 * can handle both alike. `args` keeps the call's main arguments for the error message.
 */
export class SysError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  readonly args: readonly unknown[];

  constructor(syscall: string, errno: number, args: readonly unknown[], path?: string) {
    const code = errnoName(errno);
    super(`${syscall}(${args.map(formatArg).join(', ')}) failed: ${code} (${errnoMessage(errno)})`);
    this.name = 'SysError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.args = args;
    if (path !== undefined) this.path = path;
  }
}

function formatArg(a: unknown): string {
  if (a === null || a === undefined) return 'NULL';
  if (typeof a === 'string') return JSON.stringify(a);
  if (typeof a === 'number') return a > 0xff ? '0x' + a.toString(16) : String(a);
  if (typeof a === 'bigint') return a > 0xffn ? '0x' + a.toString(16) : a.toString();
  if (Array.isArray(a)) return '[' + a.map(formatArg).join(', ') + ']';
  return String(a);
}

export function isSysError(e: unknown): e is SysError {
  return e instanceof SysError;
}
