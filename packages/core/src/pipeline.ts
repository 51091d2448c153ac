import { SyncHook, AsyncSeriesHook } from 'tapable';
import type { Sys, NamespaceName } from '@isolate/sys';
import { PHASES, type Phase, type ContainerContext, type ContainerHooks, type HostHooks } from './stage';
import { StageFailure, failureReport } from './errors';
import { logger, type Logger } from './log';

/** Where the pipeline is: the tap (stage) running, its phase and the step it named. */
export interface Position {
  stage?: string;
  phase?: string;
  step?: string;
}

// DEBUG=isolate:stage:* shows each stage's steps as they run.
const stageLogs = new Map<string, Logger>();
function stageLog(stage: string | undefined): Logger {
  const name = `isolate:stage:${stage ?? 'runtime'}`;
  let log = stageLogs.get(name);
  if (!log) stageLogs.set(name, (log = logger(name)));
  return log;
}

/** A fresh set of container hooks (one SyncHook per phase), all declared in one place. */
export function createContainerHooks(position: Position = {}): ContainerHooks {
  const hooks = {} as Record<Phase, SyncHook<[ContainerContext]>>;
  for (const phase of PHASES) {
    const hook = new SyncHook<[ContainerContext]>(['ctx']);
    hook.intercept({
      tap(tap) {
        position.stage = tap.name;
        position.phase = phase;
        position.step = undefined;
        stageLog(tap.name)('%s', phase);
      },
    });
    hooks[phase] = hook;
  }
  return Object.freeze(hooks);
}

/** A fresh set of host hooks. */
export function createHostHooks(position: Position = {}): HostHooks {
  const hooks = {
    prepare: new AsyncSeriesHook<[import('./stage').HostContext]>(['ctx']),
    attach: new AsyncSeriesHook<[import('./stage').HostContext]>(['ctx']),
    started: new AsyncSeriesHook<[import('./stage').HostContext]>(['ctx']),
    exited: new AsyncSeriesHook<[import('./stage').HostContext, import('./stage').ExitStatus]>(['ctx', 'status']),
  };
  for (const [name, hook] of Object.entries(hooks)) {
    (hook as AsyncSeriesHook<unknown[]>).intercept({
      tap(tap) {
        position.stage = tap.name;
        position.phase = name;
        position.step = undefined;
        stageLog(tap.name)('host %s', name);
      },
    });
  }
  return Object.freeze(hooks);
}

export interface ContainerInit {
  sys: Sys;
  command: readonly string[];
  namespaces?: Iterable<NamespaceName>;
  warn?: (message: string) => void;
  /** What host-side hooks shared (HostContext.share). */
  shared?: Readonly<Record<string, unknown>>;
}

/** The container side of a run: hooks, the shared context, and the runner that names failures. */
export class ContainerPipeline {
  readonly position: Position = {};
  readonly hooks: ContainerHooks = createContainerHooks(this.position);
  readonly ctx: ContainerContext;

  constructor(init: ContainerInit) {
    const position = this.position;
    const shared = init.shared ?? {};
    this.ctx = {
      sys: init.sys,
      command: init.command,
      root: '/',
      pivoted: false,
      namespaces: new Set(init.namespaces ?? []),
      env: {},
      cwd: '/',
      step(label: string) {
        position.step = label;
        stageLog(position.stage)('  %s', label);
      },
      warn: init.warn ?? (() => undefined),
      shared: <T>(key: string): T | undefined => (Object.prototype.hasOwnProperty.call(shared, key) ? (shared[key] as T) : undefined),
    };
  }

  /** Runs the phases in order, or up to and including `until`. Failures become StageFailure. */
  run(until?: Phase): void {
    for (const phase of PHASES) {
      try {
        this.hooks[phase].call(this.ctx);
      } catch (err) {
        throw new StageFailure(failureReport(err, this.position));
      }
      if (phase === until) return;
    }
  }
}

/** The phases and host hooks a stage taps, found by letting it tap fresh hooks. */
export function tappedHooks(
  name: string,
  tap: { container?: (h: ContainerHooks) => void; host?: (h: HostHooks) => void },
): { container: Phase[]; host: string[] } {
  const c = createContainerHooks();
  const h = createHostHooks();
  tap.container?.(c);
  tap.host?.(h);
  const byName = (hook: { taps: { name: string }[] }): boolean => hook.taps.some((t) => t.name === name);
  return {
    container: PHASES.filter((p) => byName(c[p] as unknown as { taps: { name: string }[] })),
    host: Object.entries(h)
      .filter(([, hook]) => byName(hook as unknown as { taps: { name: string }[] }))
      .map(([k]) => k),
  };
}

/**
 * Throws unless the process is in its own `ns` namespace: a stage that mounts, or renames
 * the host, must never act on the host's namespace, even if its plan check was bypassed.
 */
export function requireNamespace(ctx: ContainerContext, ns: NamespaceName, why: string): void {
  if (!ctx.namespaces.has(ns)) {
    throw new Error(`refusing to ${why} outside a ${ns} namespace (add ${ns} to namespaces.unshare)`);
  }
}
