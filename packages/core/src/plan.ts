import * as path from 'node:path';
import type { NamespaceName } from '@isolate/sys';
import { PHASES, stageFromModule, STAGE_CONTRACT, type Phase, type PlanView, type StageDefinition } from './stage';
import { loadProfileFile, profileDir, validateAt, precompiledPathFor, type Profile } from './profile';
import { tappedHooks } from './pipeline';

/** One stage of a plan: what runs, with which settings (defaults filled in), and where. */
export interface PlannedStage {
  readonly name: string;
  /** Absolute path of the module that exports the stage (the init loads it from here). */
  readonly module: string;
  readonly settings: Record<string, unknown>;
  readonly def: StageDefinition<Record<string, unknown>>;
  /** Position of the stage's entry in the profile. */
  readonly entry: number;
  readonly hooks: { container: Phase[]; host: string[] };
}

export interface Plan {
  readonly file: string;
  readonly description?: string;
  /** Stages in the order they run. */
  readonly stages: readonly PlannedStage[];
  /** Namespaces the plan creates. */
  readonly namespaces: ReadonlySet<NamespaceName>;
}

/** What the init needs of a plan: plain JSON. */
export interface InitStage {
  name: string;
  module: string;
  settings: Record<string, unknown>;
}

export interface PlanOptions {
  /** Extra directories to resolve stage packages from. */
  searchPaths?: string[];
}

/** Loads, checks and orders the profile at `file`. */
export function planFromFile(file: string, options: PlanOptions = {}): Plan {
  return buildPlan(loadProfileFile(file), options);
}

const PHASE_RANK = new Map<string, number>(PHASES.map((p, i) => [p, i]));

/** Resolves every stage, checks its settings, and orders the stages. */
export function buildPlan(profile: Profile, options: PlanOptions = {}): Plan {
  const resolved = profile.stages.map((entry, i) => {
    const { module, def } = resolveStage(entry.name, profile, i, options);
    const settings = entry.with;
    validateAt(profile, ['stages', i, 'with'], def.schema, settings, precompiledPathFor(module));
    return { entry, index: i, module, def, settings };
  });

  const seen = new Map<string, number>();
  for (const r of resolved) {
    const prev = seen.get(r.def.name);
    if (prev !== undefined) {
      throw profile.error(['stages', r.index, 'name'], `stage '${r.def.name}' is already listed at stages[${prev}]; list a stage once`);
    }
    seen.set(r.def.name, r.index);
  }

  // Edges "a runs before b", each with the reason, so an impossible order can be explained.
  const n = resolved.length;
  const edges: Array<Map<number, string>> = resolved.map(() => new Map());
  const addEdge = (a: number, b: number, why: string): void => {
    if (a !== b && !edges[a]!.has(b)) edges[a]!.set(b, why);
  };
  for (const a of resolved) {
    for (const b of resolved) {
      if (a.def.phase && b.def.phase && PHASE_RANK.get(a.def.phase)! < PHASE_RANK.get(b.def.phase)!) {
        addEdge(a.index, b.index, `phase ${a.def.phase} runs before phase ${b.def.phase}`);
      }
    }
    for (const other of a.def.before ?? []) {
      const j = seen.get(other);
      if (j !== undefined) addEdge(a.index, j, `stage ${a.def.name} declares before: ${other}`);
    }
    for (const other of a.def.after ?? []) {
      const j = seen.get(other);
      if (j !== undefined) addEdge(j, a.index, `stage ${a.def.name} declares after: ${other}`);
    }
    for (const [key, list] of [['before', a.entry.before], ['after', a.entry.after]] as const) {
      list.forEach((other, k) => {
        const j = seen.get(other);
        if (j === undefined) throw profile.error(['stages', a.index, key, k], `no stage named '${other}' in this profile`);
        if (key === 'before') addEdge(a.index, j, `the profile says ${a.def.name} before ${other}`);
        else addEdge(j, a.index, `the profile says ${a.def.name} after ${other}`);
      });
    }
  }

  const order = topoOrder(n, edges);
  if (order.length < n) {
    const cycle = findCycle(n, edges, new Set(order));
    const lines = cycle.map(([a, b]) => `${resolved[a]!.def.name} before ${resolved[b]!.def.name} (${edges[a]!.get(b)})`);
    throw profile.error(['stages', cycle[0]![0]], `impossible order: ${lines.join(', but ')}`);
  }

  const namespaces = new Set<NamespaceName>();
  for (const r of resolved) for (const ns of r.def.namespaces?.(r.settings) ?? []) namespaces.add(ns);
  const view: PlanView = {
    has: (name) => seen.has(name),
    settings: (name) => (seen.has(name) ? resolved[seen.get(name)!]!.settings : undefined),
    namespaces,
  };
  for (const r of resolved) {
    for (const req of r.def.requires ?? []) {
      if (!seen.has(req)) throw profile.error(['stages', r.index, 'name'], `stage ${r.def.name} requires stage ${req}, which is not in this profile`);
    }
    const problems = r.def.check?.(r.settings, view) ?? [];
    if (problems.length) throw profile.error(['stages', r.index], `stage ${r.def.name}: ${problems.join('; ')}`);
  }
  const runners = resolved.filter((r) => r.def.phase === 'exec');
  if (runners.length === 0) throw profile.error(['stages'], 'no stage runs the command: add the exec stage');

  const stages = order.map((i) => {
    const r = resolved[i]!;
    const hooks = tappedHooks(r.def.name, {
      container: r.def.container && ((h) => r.def.container!(h, r.settings)),
      host: r.def.host && ((h) => r.def.host!(h, r.settings)),
    });
    return { name: r.def.name, module: r.module, settings: r.settings, def: r.def, entry: i, hooks };
  });
  return { file: profile.file, description: profile.description, stages, namespaces };
}

/** Kahn's algorithm; among ready stages the one listed first in the profile goes first. */
function topoOrder(n: number, edges: Array<Map<number, string>>): number[] {
  const indegree = new Array<number>(n).fill(0);
  for (const out of edges) for (const b of out.keys()) indegree[b]!++;
  const done: number[] = [];
  const ready = new Set<number>();
  for (let i = 0; i < n; i++) if (indegree[i] === 0) ready.add(i);
  while (ready.size) {
    const next = Math.min(...ready);
    ready.delete(next);
    done.push(next);
    for (const b of edges[next]!.keys()) if (--indegree[b]! === 0) ready.add(b);
  }
  return done;
}

/** One cycle among the stages not ordered, as a list of edges. */
function findCycle(n: number, edges: Array<Map<number, string>>, ordered: Set<number>): Array<[number, number]> {
  const state = new Array<number>(n).fill(0); // 0 new, 1 on stack, 2 done
  const stack: number[] = [];
  const visit = (a: number): number[] | undefined => {
    state[a] = 1;
    stack.push(a);
    for (const b of edges[a]!.keys()) {
      if (ordered.has(b)) continue;
      if (state[b] === 1) return stack.slice(stack.indexOf(b));
      if (state[b] === 0) {
        const c = visit(b);
        if (c) return c;
      }
    }
    stack.pop();
    state[a] = 2;
    return undefined;
  };
  for (let i = 0; i < n; i++) {
    if (ordered.has(i) || state[i] !== 0) continue;
    const c = visit(i);
    if (c) return c.map((a, k) => [a, c[(k + 1) % c.length]!]);
  }
  return [];
}

const BUILTIN_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Finds and loads the module of the stage named `name` in entry `index` of `profile`. */
function resolveStage(
  name: string,
  profile: Profile,
  index: number,
  options: PlanOptions,
): { module: string; def: StageDefinition<Record<string, unknown>> } {
  const dir = profileDir(profile);
  const paths = [dir, process.cwd(), ...(options.searchPaths ?? []), __dirname];
  const candidates = name.startsWith('.') || name.startsWith('/')
    ? [path.resolve(dir, name)]
    : BUILTIN_NAME.test(name)
      ? [`@isolate/stage-${name}`, `isolate-stage-${name}`]
      : [name];
  let module: string | undefined;
  for (const c of candidates) {
    try {
      module = require.resolve(c, { paths });
      break;
    } catch {
      // try the next candidate
    }
  }
  if (!module) {
    throw profile.error(['stages', index, 'name'], `unknown stage '${name}' (looked for ${candidates.join(', ')})`);
  }
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(module);
  } catch (err) {
    throw profile.error(['stages', index, 'name'], `stage '${name}' failed to load from ${module}: ${(err as Error).message}`);
  }
  const def = stageFromModule(exported);
  if (!def) throw profile.error(['stages', index, 'name'], `${module} does not export a stage (expected an object with name, contract and schema)`);
  if (def.contract !== STAGE_CONTRACT) {
    throw profile.error(['stages', index, 'name'], `stage '${def.name}' was written for stage contract ${def.contract}; this isolate speaks ${STAGE_CONTRACT}`);
  }
  return { module, def: def as StageDefinition<Record<string, unknown>> };
}

/** The JSON the init receives for each stage, in run order. */
export function initStages(plan: Plan): InitStage[] {
  return plan.stages.map((s) => ({ name: s.name, module: s.module, settings: s.settings }));
}

/** A readable account of the plan (what `isolate plan` prints). */
export function explainPlan(plan: Plan): string {
  const out: string[] = [`plan for ${plan.file}${plan.description ? ` - ${plan.description.trim()}` : ''}`];
  if (plan.namespaces.size) out.push(`namespaces: ${[...plan.namespaces].join(', ')}`);
  plan.stages.forEach((s, i) => {
    const hooks = [...s.hooks.host.map((h) => `host:${h}`), ...s.hooks.container.map((h) => `container:${h}`)];
    out.push(`${String(i + 1).padStart(2)}. ${s.name}${s.def.phase ? ` [${s.def.phase}]` : ''}  hooks: ${hooks.join(', ') || '(none)'}`);
    out.push(`    ${s.def.description}`);
    const settings = JSON.stringify(s.settings);
    if (settings !== '{}') out.push(`    with: ${settings}`);
  });
  return out.join('\n');
}
