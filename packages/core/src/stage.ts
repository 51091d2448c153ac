import type { SyncHook, AsyncSeriesHook } from 'tapable';
import type { Sys, NamespaceName } from '@isolate/sys';

/** The version of the stage contract; a stage declares the one it was written against. */
export const STAGE_CONTRACT = 1;

/**
 * The container side runs in the init, synchronously on its main thread, in this fixed order
 * (crun's init reads the same way). A stage's `phase` says which of these it belongs to; the
 * plan orders stages by phase first, so e.g. mounts can never run after pivot-root.
 */
export const PHASES = [
  'namespaces', // unshare the namespaces the init was not born into
  'rootfs', // assemble the new root (ctx.root) in the private mount namespace
  'mounts', // mount filesystems below ctx.root
  'devices', // device nodes below ctx.root/dev
  'links', // symlinks below ctx.root
  'pivot', // make ctx.root the process root
  'seal', // finish the root once it is "/" (read-only remounts, masking)
  'configure', // hostname, rlimits, sysctl
  'credentials', // user and group ids, capabilities
  'finalize', // environment, working directory, no_new_privs, seccomp (last before exec)
  'exec', // replace the init with the command
] as const;
export type Phase = (typeof PHASES)[number];

/** What the container-side hooks receive: the init's state, shared by the stages in order. */
export interface ContainerContext {
  /** The syscall layer; the fake one in unit tests. */
  readonly sys: Sys;
  /** The command and its arguments, as given on the command line. */
  readonly command: readonly string[];
  /** Where the new root is assembled; "/" when no stage sets one. Becomes "/" at pivot. */
  root: string;
  /** True once the process root is `root` (after pivot-root). */
  pivoted: boolean;
  /** Namespaces this process is a member of beyond the host's (born into or unshared). */
  readonly namespaces: Set<NamespaceName>;
  /** The command's environment (the env stage fills it; empty by default). */
  env: Record<string, string>;
  /** The command's working directory, inside the container. */
  cwd: string;
  /** The container's hostname, once a stage set it. */
  hostname?: string;
  /** Names what the current stage is doing, so a failure can say where it happened. */
  step(label: string): void;
  /** What a host-side hook handed over with HostContext.share, by key; undefined if nothing. */
  shared<T = unknown>(key: string): T | undefined;
  /** A warning that the supervisor prints (e.g. a fallback was taken). */
  warn(message: string): void;
}

/** The container-side hooks, one per phase. */
export type ContainerHooks = { readonly [P in Phase]: SyncHook<[ContainerContext]> };

/** What the host-side hooks receive: the supervisor's view of one run. */
export interface HostContext {
  /** A unique id of this run (also used in names of cgroups and the like). */
  readonly id: string;
  readonly command: readonly string[];
  /** Namespaces the init must be born into (pid and time apply to children only). */
  readonly spawnNamespaces: Set<NamespaceName>;
  /** The init's host PID, set once it is spawned. */
  pid?: number;
  /** Registers an undo action; they run in reverse order when the run ends, also on failure. */
  defer(action: () => void | Promise<void>): void;
  warn(message: string): void;
  /**
   * Hands plain JSON data to the container side (ContainerContext.shared), e.g. work done on
   * the host while the init boots. Keys are the stage's name or start with it. Call it in
   * prepare or attach: the data leaves with the init's go message.
   */
  share(key: string, value: unknown): void;
  /**
   * A finding about the run that the user should see once it is over, e.g. "container was
   * killed by the OOM killer (memory limit 64M)". The CLI prints each on its own line.
   */
  report(message: string): void;
  /**
   * Resource usage and other figures of the run, by stage: stages fill this in the `exited`
   * hook (e.g. stats.cgroups = { memoryPeakBytes, cpuUsec, pidsPeak }). `isolate --stats`
   * prints it as JSON.
   */
  readonly stats: Record<string, unknown>;
}

export interface ExitStatus {
  /** Exit code of the command, or 128+N when killed by signal N. */
  code: number;
  signal?: string;
}

/** The host-side hooks, run by the supervisor in this order. */
export interface HostHooks {
  /** Before the init is spawned: create what the run needs (cgroups, ...). */
  readonly prepare: AsyncSeriesHook<[HostContext]>;
  /** The init is spawned and waits: attach it (cgroup.procs, id maps). */
  readonly attach: AsyncSeriesHook<[HostContext]>;
  /** The command has been exec'd. */
  readonly started: AsyncSeriesHook<[HostContext]>;
  /** The command has exited (not called when the init failed). */
  readonly exited: AsyncSeriesHook<[HostContext, ExitStatus]>;
}

/** A JSON Schema object (kept loose: ajv checks it when the profile is loaded). */
export type JSONSchema = Record<string, unknown>;

/** What a stage can see of the plan when it checks its place in it. */
export interface PlanView {
  has(stage: string): boolean;
  settings(stage: string): Record<string, unknown> | undefined;
  /** Namespaces the plan will create (from the namespaces stage, or any stage that adds one). */
  readonly namespaces: ReadonlySet<NamespaceName>;
}

export interface StageDefinition<S = Record<string, unknown>> {
  /** The contract version this stage was written for (STAGE_CONTRACT). */
  readonly contract: number;
  readonly name: string;
  readonly description: string;
  /** The container phase the stage belongs to; omitted for host-only stages. */
  readonly phase?: Phase;
  /** JSON Schema of the stage's settings (the profile's `with:`); defaults are applied. */
  readonly schema: JSONSchema;
  /** Stage names this one must run before / after when both are in the plan. */
  readonly before?: readonly string[];
  readonly after?: readonly string[];
  /** Stage names that must be in the plan for this one to work. */
  readonly requires?: readonly string[];
  /** Namespaces this stage adds to the plan (e.g. the namespaces stage's list). */
  namespaces?(settings: S): readonly NamespaceName[];
  /** Problems with this stage's place in the plan, as messages; empty when fine. */
  check?(settings: S, plan: PlanView): readonly string[];
  /** Taps the host-side hooks (in the supervisor). */
  host?(hooks: HostHooks, settings: S): void;
  /** Taps the container-side hooks (in the init; synchronous calls only). */
  container?(hooks: ContainerHooks, settings: S): void;
}

/** Declares a stage; checks the contract version up front (as babel's assertVersion does). */
export function defineStage<S>(def: StageDefinition<S>): StageDefinition<S> {
  if (def.contract !== STAGE_CONTRACT) {
    throw new Error(`stage ${def.name} was written for stage contract ${def.contract}; this isolate speaks ${STAGE_CONTRACT}`);
  }
  if (def.phase !== undefined && !PHASES.includes(def.phase)) {
    throw new Error(`stage ${def.name}: unknown phase '${def.phase}' (expected one of ${PHASES.join(', ')})`);
  }
  return Object.freeze(def);
}

/** True when `value` looks like a stage definition (used when loading third-party modules). */
export function isStageDefinition(value: unknown): value is StageDefinition<unknown> {
  const v = value as StageDefinition<unknown> | null;
  return !!v && typeof v === 'object' && typeof v.name === 'string' && typeof v.contract === 'number' && typeof v.schema === 'object';
}

/** The stage definition a module exports: `default`, `stage`, or the module itself. */
export function stageFromModule(mod: unknown): StageDefinition<unknown> | undefined {
  const m = mod as Record<string, unknown> | null;
  for (const candidate of [m?.default, m?.stage, m]) {
    if (isStageDefinition(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A `check` for stages that only make sense inside namespace `ns` (mounting outside a mount
 * namespace would change the host): the plan is refused when no stage creates it.
 */
export function needsNamespace(ns: NamespaceName, consequence = ''): (settings: unknown, plan: PlanView) => string[] {
  return (_settings, plan) => (plan.namespaces.has(ns) ? [] : [`needs a ${ns} namespace (add ${ns} to namespaces.unshare)${consequence}`]);
}
