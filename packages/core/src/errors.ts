import { isSysError } from '@isolate/sys';

/** Exit codes of the supervisor for its own failures, as docker and podman use them. */
export const EXIT = {
  /** isolate itself failed: bad profile, a stage failed, ... */
  RUNTIME: 125,
  /** The command exists but cannot be executed. */
  NOT_EXECUTABLE: 126,
  /** The command was not found. */
  NOT_FOUND: 127,
} as const;

/** A structured account of a failure, small enough to cross the init's channel as JSON. */
export interface FailureReport {
  message: string;
  exitCode: number;
  stage?: string;
  phase?: string;
  step?: string;
  syscall?: string;
  /** errno name, e.g. EPERM */
  code?: string;
  errno?: number;
  path?: string;
}

/** An error that carries the exit code the supervisor should end with. */
export class IsolateError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.RUNTIME) {
    super(message);
    this.name = 'IsolateError';
  }
}

/** A failure inside a stage, with where it happened. */
export class StageFailure extends IsolateError {
  constructor(readonly report: FailureReport) {
    super(formatFailure(report), report.exitCode);
    this.name = 'StageFailure';
  }
}

/** Builds the report for `err` raised by `stage` in `phase` while doing `step`. */
export function failureReport(err: unknown, where: { stage?: string; phase?: string; step?: string }): FailureReport {
  if (err instanceof StageFailure) return err.report;
  const report: FailureReport = {
    message: err instanceof Error ? err.message : String(err),
    exitCode: err instanceof IsolateError ? err.exitCode : EXIT.RUNTIME,
  };
  if (where.stage) report.stage = where.stage;
  if (where.phase) report.phase = where.phase;
  if (where.step) report.step = where.step;
  if (isSysError(err)) {
    report.syscall = err.syscall;
    report.code = err.code;
    report.errno = err.errno;
    if (err.path !== undefined) report.path = err.path;
  } else if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    // Node's own fs errors carry code/syscall/path too.
    const e = err as { code: string; syscall?: string; errno?: number; path?: string };
    report.code = e.code;
    if (e.syscall) report.syscall = e.syscall;
    if (typeof e.errno === 'number') report.errno = Math.abs(e.errno);
    if (e.path) report.path = e.path;
  }
  return report;
}

/** One line: `stage mounts: bind /a on /b: mount(...) failed: ENOENT (...)`. */
export function formatFailure(r: FailureReport): string {
  const where = [r.stage ? `stage ${r.stage}` : '', r.step ?? ''].filter(Boolean).join(': ');
  return where ? `${where}: ${r.message}` : r.message;
}
