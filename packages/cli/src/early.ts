// Loaded first by bin/isolate.js: only the argument parser and the init spawner, nothing
// that the profile check needs (yaml, the stages), so the init starts as soon as possible.
import { spawnInit, type InitProcess } from '@isolate/runtime/dist/src/spawn';
import { parseArgs } from './args';

/**
 * For `isolate run`, spawns the init right away, in a PID namespace as most profiles want;
 * main() uses it when the plan agrees and discards it otherwise. Anything unusual (bad
 * arguments, a failed spawn) is left for main() to report.
 */
export function spawnEarlyInit(argv: readonly string[]): InitProcess | undefined {
  try {
    return parseArgs(argv).kind === 'run' ? spawnCliInit() : undefined;
  } catch {
    return undefined;
  }
}

/** The init the command line runs: in a PID namespace, with isolate's own stdio. */
export function spawnCliInit(): InitProcess {
  return spawnInit(['pid'], ['inherit', 'inherit', 'inherit']);
}
