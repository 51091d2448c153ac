import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { SIGNALS, type NamespaceName, type SignalName } from '@isolate/sys';
import {
  createHostHooks,
  failureReport,
  initStages,
  StageFailure,
  EXIT,
  type ExitStatus,
  type FailureReport,
  type HostContext,
  type Plan,
  type Position,
  logger,
} from '@isolate/core';
import { CHANNEL_FD, MessageSplitter, type GoMessage, type InitMessage } from './channel';
import { spawnInit, initFits, discardInit, type InitProcess, type Stdio } from './spawn';

const log = logger('isolate:supervisor');


export interface StartOptions {
  plan: Plan;
  command: readonly string[];
  /** stdin, stdout, stderr of the command: 'inherit' (default), 'pipe', 'ignore' or fds. */
  stdio?: Stdio;
  /**
   * An init spawned early with spawnInit (same stdio), booting while the plan was made. It
   * is used when it was born into the namespaces the plan needs, and discarded otherwise.
   */
  init?: InitProcess;
  /** A run id; random by default. */
  id?: string;
  /** Called with each warning a stage gives (default: debug log). */
  onWarning?: (message: string) => void;
}

export interface RunResult {
  /** The command's exit code; 128+N when killed by signal N; 125-127 when isolate failed. */
  exitCode: number;
  /** The signal that ended the command, if one did. */
  signal?: SignalName;
  /** Set when the container could not be started: what failed, where. */
  failure?: FailureReport;
  /** What stages found about the run (see HostContext.report), in order. */
  reports?: string[];
  /** Figures stages collected at exit (see HostContext.stats), by stage. */
  stats?: Record<string, unknown>;
}

export interface Container {
  readonly id: string;
  /** Host PID of the init, which becomes the command. */
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /**
   * Sends `signal` to the command. Before the command runs, any signal stops the start (the
   * init is killed) and wait() reports 128+N for it.
   */
  kill(signal?: SignalName): void;
  /** Resolves when the command has exited and everything the run created is gone. */
  wait(): Promise<RunResult>;
}

/** Starts a container for `plan` running `command`. Resolves once the init is spawned. */
export async function start(options: StartOptions): Promise<Container> {
  const { plan } = options;
  const id = options.id ?? randomBytes(6).toString('hex');
  const undo: Array<() => void | Promise<void>> = [];
  const warn = options.onWarning ?? ((m: string) => log('warning: %s', m));
  const spawnNamespaces = new Set<NamespaceName>();
  const reports: string[] = [];
  const stats: Record<string, unknown> = {};
  const shared: Record<string, unknown> = {};
  const hctx: HostContext = {
    id,
    command: options.command,
    spawnNamespaces,
    defer: (action) => undo.push(action),
    warn,
    report: (message) => void reports.push(message),
    stats,
    share: (key, value) => void (shared[key] = value),
  };
  const position: Position = {};
  const hooks = createHostHooks(position);
  for (const s of plan.stages) s.def.host?.(hooks, s.settings);
  const cleanup = async (): Promise<void> => {
    while (undo.length) {
      const action = undo.pop()!;
      try {
        await action();
      } catch (err) {
        warn(`cleanup failed: ${(err as Error).message}`);
      }
    }
  };
  const hostFailure = async (err: unknown): Promise<never> => {
    await cleanup();
    throw new StageFailure(failureReport(err, position));
  };

  const early = options.init;
  try {
    await hooks.prepare.promise(hctx);
  } catch (err) {
    if (early) await discardInit(early);
    return hostFailure(err);
  }

  let child: ChildProcess;
  try {
    if (early && initFits(early, spawnNamespaces)) {
      child = early.child;
    } else {
      if (early) await discardInit(early);
      child = spawnInit(spawnNamespaces, options.stdio ?? ['inherit', 'inherit', 'inherit']).child;
    }
  } catch (err) {
    return hostFailure(err);
  }
  const pid = child.pid!;
  hctx.pid = pid;
  log('run %s: init spawned as pid %d', id, pid);

  // Watch the channel and the process from now on, so nothing is missed.
  let execSent = false;
  let failure: FailureReport | undefined;
  const channel = child.stdio[CHANNEL_FD] as NodeJS.ReadWriteStream & Writable;
  const splitter = new MessageSplitter<InitMessage>((m) => {
    if (m.t === 'warn') warn(m.message);
    else if (m.t === 'exec') execSent = true;
    else if (m.t === 'error') failure = m.report;
  });
  channel.on('data', (d: Buffer) => splitter.push(d));
  channel.on('error', () => undefined); // EPIPE when the init is gone; the exit tells the rest
  // An init spawned early may already be gone: look at its state as well as its events.
  const channelClosed = new Promise<void>((resolve) => {
    if ((channel as unknown as { closed?: boolean }).closed) resolve();
    else channel.on('close', () => resolve());
  });
  const exited = new Promise<ExitStatus & { signalName?: SignalName }>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (signal) resolve({ code: 128 + (SIGNALS[signal as SignalName] ?? 0), signal, signalName: signal as SignalName });
      else resolve({ code: code ?? EXIT.RUNTIME });
    };
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.on('exit', done);
  });
  let interrupted: SignalName | undefined;

  try {
    await hooks.attach.promise(hctx);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    return hostFailure(err);
  }
  const go: GoMessage = { t: 'go', stages: initStages(plan), command: [...options.command], namespaces: [...spawnNamespaces], shared };
  channel.write(JSON.stringify(go) + '\n');

  // The command runs once the channel closed (close-on-exec) after the init said "exec".
  let running = false;
  let started: Promise<boolean> | undefined;
  const whenStarted = (): Promise<boolean> =>
    (started ??= channelClosed.then(async () => {
      if (!execSent || failure) return false;
      running = true;
      log('run %s: command started', id);
      await hooks.started.promise(hctx);
      return true;
    }));
  // Run the started hooks as soon as the command runs, not only when someone waits.
  whenStarted().catch(() => undefined);

  let result: Promise<RunResult> | undefined;
  const wait = (): Promise<RunResult> =>
    (result ??= (async () => {
      const status = await exited;
      let ran = false;
      try {
        ran = await whenStarted();
        if (ran) await hooks.exited.promise(hctx, { code: status.code, signal: status.signal });
      } catch (err) {
        failure ??= failureReport(err, position);
      }
      await cleanup();
      const extra = { ...(reports.length ? { reports } : {}), ...(Object.keys(stats).length ? { stats } : {}) };
      if (failure) return { exitCode: failure.exitCode, failure, ...extra };
      if (!ran) {
        if (interrupted) return { exitCode: 128 + SIGNALS[interrupted], signal: interrupted, ...extra };
        const how = status.signalName ? `was killed by ${status.signalName}` : `exited with ${status.code}`;
        return { exitCode: EXIT.RUNTIME, failure: { message: `the init ${how} before the command started`, exitCode: EXIT.RUNTIME }, ...extra };
      }
      log('run %s: command exited: %o', id, status);
      return { exitCode: status.code, ...(status.signalName ? { signal: status.signalName } : {}), ...extra };
    })());

  return {
    id,
    pid,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill(signal: SignalName = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (running) {
        child.kill(signal);
      } else if (execSent && !failure) {
        // The init is at execve: deliver once the channel tells that the command runs.
        void whenStarted().then((ran) => {
          if (ran && child.exitCode === null && child.signalCode === null) child.kill(signal);
        });
      } else {
        // Before the command runs, the init is PID 1 of its namespace and would drop the
        // signal (it has no handler): any forwarded signal stops the start instead.
        interrupted = signal;
        child.kill('SIGKILL');
      }
    },
    wait,
  };
}

/** Starts a container and waits for it. */
export async function run(options: StartOptions): Promise<RunResult> {
  try {
    return await (await start(options)).wait();
  } catch (err) {
    if (err instanceof StageFailure) return { exitCode: err.exitCode, failure: err.report };
    throw err;
  }
}
