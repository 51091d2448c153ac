import { FakeSys } from '@isolate/sys';
import { ContainerPipeline, createHostHooks, validatorFor, StageFailure, type StageDefinition, type ContainerContext, type Phase, type ExitStatus, type HostContext, type HostHooks } from '@isolate/core';
import type { NamespaceName } from '@isolate/sys';

/** A stage's settings with its schema's defaults filled in; throws on invalid settings. */
export function settingsFor<S>(def: StageDefinition<S>, settings: Partial<S> | Record<string, unknown> = {}): S {
  const data = structuredClone(settings) as Record<string, unknown>;
  const validate = validatorFor(def.schema);
  if (!validate(data)) {
    throw new Error(`invalid settings for ${def.name}: ${validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
  return data as S;
}

export interface UnitRunOptions {
  /** The syscall layer; a fresh FakeSys by default. */
  sys?: FakeSys;
  command?: string[];
  /** Namespaces the context claims to be in (as if the namespaces stage had run). */
  namespaces?: NamespaceName[];
  /** The root being assembled (a temporary directory in most unit tests). */
  root?: string;
  /** Sets more of the context before the run. */
  prepare?: (ctx: ContainerContext) => void;
  /** Stop after this phase (default: run all). */
  until?: Phase;
  /** What host-side hooks would have shared (HostContext.share). */
  shared?: Record<string, unknown>;
}

export interface UnitRunResult {
  sys: FakeSys;
  ctx: ContainerContext;
  warnings: string[];
  /** The failure, when the stage threw. */
  failure?: StageFailure;
}

/**
 * Runs one stage's container side against the fake syscall layer: the unit test of a stage.
 * File operations (mkdir, symlinks checks) still hit the real filesystem below `root`.
 */
export function runStageUnit<S>(def: StageDefinition<S>, settings: Partial<S> | Record<string, unknown> = {}, options: UnitRunOptions = {}): UnitRunResult {
  const sys = options.sys ?? new FakeSys();
  const warnings: string[] = [];
  const pipeline = new ContainerPipeline({
    sys,
    command: options.command ?? ['/bin/true'],
    namespaces: options.namespaces ?? [],
    warn: (m) => warnings.push(m),
    shared: options.shared,
  });
  if (options.root) pipeline.ctx.root = options.root;
  options.prepare?.(pipeline.ctx);
  def.container?.(pipeline.hooks, settingsFor(def, settings));
  try {
    pipeline.run(options.until);
  } catch (err) {
    if (err instanceof StageFailure) return { sys, ctx: pipeline.ctx, warnings, failure: err };
    throw err;
  }
  return { sys, ctx: pipeline.ctx, warnings };
}

export interface HostRunOptions<S> {
  /** The run id (ctx.id). */
  id?: string;
  /** The init's pid given to attach and later hooks (a number no process has, by default). */
  pid?: number;
  /** The exit status given to `exited`. */
  status?: ExitStatus;
  /** Called between `started` and `exited`, while the "command" runs. */
  whileRunning?: () => void | Promise<void>;
  /** Taps the hooks instead of the stage's own host(): to hand the stage a test double. */
  tap?: (hooks: HostHooks, settings: S) => void;
}

export interface HostRunResult {
  /** What a hook threw (the run stopped there; cleanups still ran). */
  error?: Error;
  cleanupErrors: string[];
  warnings: string[];
  reports: string[];
  stats: Record<string, unknown>;
  /** What the host hooks shared with the container side. */
  shared: Record<string, unknown>;
}

/**
 * Runs one stage's host side as the supervisor does: prepare, attach, started, exited, then
 * the deferred cleanups newest first (also after a failure). The unit test of a host stage.
 */
export async function runStageHost<S>(def: StageDefinition<S>, settings: Partial<S> | Record<string, unknown> = {}, o: HostRunOptions<S> = {}): Promise<HostRunResult> {
  const hooks = createHostHooks();
  const undo: Array<() => void | Promise<void>> = [];
  const run: HostRunResult = { cleanupErrors: [], warnings: [], reports: [], stats: {}, shared: {} };
  const ctx: HostContext = {
    id: o.id ?? 'unit0001',
    command: ['/bin/true'],
    spawnNamespaces: new Set(),
    defer: (a) => void undo.push(a),
    warn: (m) => void run.warnings.push(m),
    report: (m) => void run.reports.push(m),
    stats: run.stats,
    share: (k, v) => void (run.shared[k] = v),
  };
  const s = settingsFor(def, settings);
  (o.tap ?? def.host)?.(hooks, s);
  try {
    await hooks.prepare.promise(ctx);
    ctx.pid = o.pid ?? 999999999;
    await hooks.attach.promise(ctx);
    await hooks.started.promise(ctx);
    await o.whileRunning?.();
    await hooks.exited.promise(ctx, o.status ?? { code: 0 });
  } catch (err) {
    run.error = err as Error;
  }
  while (undo.length) {
    try {
      await undo.pop()!();
    } catch (err) {
      run.cleanupErrors.push((err as Error).message);
    }
  }
  return run;
}
