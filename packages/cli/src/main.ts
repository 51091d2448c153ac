import * as fs from 'node:fs';
import * as path from 'node:path';
import { planFromFile, explainPlan, IsolateError, EXIT, formatFailure, type Plan } from '@isolate/core';
import { start, discardInit, type Container, type InitProcess } from '@isolate/runtime';
import { spawnCliInit } from './early';
import type { SignalName } from '@isolate/sys';
import { parseArgs, UsageError, USAGE } from './args';

/** Signals the supervisor passes on to the container. */
const FORWARDED: readonly SignalName[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** Signals that ask the container to stop. */
const STOPPING: readonly SignalName[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

function say(message: string): void {
  process.stderr.write(`isolate: ${message}\n`);
}

/** The profile file for `--profile X`: a file when one exists, else a built-in profile name. */
export function resolveProfile(arg: string | undefined): string {
  const name = arg ?? 'default';
  if (fs.existsSync(name)) return name;
  if (/^[a-z0-9-]+$/.test(name)) {
    try {
      return require.resolve(`@isolate/profiles/${name}.yaml`);
    } catch {
      // fall through to the error below
    }
  }
  throw new IsolateError(`${name}: no such profile file or built-in profile`, EXIT.RUNTIME);
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs the isolate command line; resolves with the exit code. `early` is an init spawned by
 * spawnEarlyInit for these arguments, if any; it is always used or discarded.
 */
export async function main(argv: readonly string[], early?: InitProcess): Promise<number> {
  try {
    const inv = parseArgs(argv);
    switch (inv.kind) {
      case 'help':
        process.stdout.write(USAGE + '\n');
        return 0;
      case 'version':
        process.stdout.write(`isolate ${version()}\n`);
        return 0;
      case 'plan': {
        const plan = planFromFile(resolveProfile(inv.profile));
        process.stdout.write(
          (inv.json
            ? JSON.stringify(
                {
                  file: plan.file,
                  description: plan.description,
                  namespaces: [...plan.namespaces],
                  stages: plan.stages.map((s) => ({ name: s.name, phase: s.def.phase, module: s.module, hooks: s.hooks, settings: s.settings })),
                },
                null,
                2,
              )
            : explainPlan(plan)) + '\n',
        );
        return 0;
      }
      case 'run': {
        // The init boots while the profile is read and checked: Node's start-up is the larger
        // part of the time to run a command.
        const init = early ?? spawnCliInit();
        early = undefined;
        let plan: Plan;
        try {
          plan = planFromFile(resolveProfile(inv.profile));
        } catch (err) {
          await discardInit(init);
          throw err;
        }
        return await runCommand(plan, inv.command, init, inv.stats);
      }
    }
  } catch (err) {
    if (early) await discardInit(early);
    if (err instanceof UsageError) {
      say(`${err.message}\n${USAGE}`);
      return EXIT.RUNTIME;
    }
    if (err instanceof IsolateError) {
      say(err.message);
      return err.exitCode;
    }
    say(`internal error: ${(err as Error).stack ?? String(err)}`);
    return EXIT.RUNTIME;
  }
}

async function runCommand(plan: Plan, command: string[], init: InitProcess, statsTo?: string | true): Promise<number> {
  const began = process.hrtime.bigint();
  let container: Container | undefined;
  const pending: SignalName[] = [];
  let stops = 0;
  const forward = (signal: NodeJS.Signals): void => {
    // A command may ignore SIGINT/SIGTERM (as PID 1 it does unless it handles them): the
    // second such signal kills the container, so the user is never stuck.
    const sig: SignalName = STOPPING.includes(signal as SignalName) && ++stops >= 2 ? 'SIGKILL' : (signal as SignalName);
    if (sig === 'SIGKILL') say(`${signal} again: killing the container`);
    if (container) container.kill(sig);
    else pending.push(sig);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    container = await start({ plan, command, init, onWarning: (m) => say(`warning: ${m}`) });
    for (const s of pending) container.kill(s);
    const result = await container.wait();
    if (result.failure) say(formatFailure(result.failure));
    for (const r of result.reports ?? []) say(r);
    if (statsTo) {
      const summary = {
        exitCode: result.exitCode,
        ...(result.signal ? { signal: result.signal } : {}),
        wallMs: Number((process.hrtime.bigint() - began) / 1000n) / 1000,
        ...(result.stats ?? {}),
      };
      if (statsTo === true) say(`stats: ${JSON.stringify(summary)}`);
      else fs.writeFileSync(statsTo, JSON.stringify(summary, null, 2) + '\n');
    }
    return result.exitCode;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
