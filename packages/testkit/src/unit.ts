import { FakeSys } from '@isolate/sys';
import { ContainerPipeline, validatorFor, StageFailure, type StageDefinition, type ContainerContext, type Phase } from '@isolate/core';
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
