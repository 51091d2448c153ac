/** What the command line asks for. */
export type Invocation =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'plan'; profile?: string; json: boolean }
  | { kind: 'run'; profile?: string; command: string[]; stats?: string | true };

export class UsageError extends Error {}

export const USAGE = `usage: isolate [--profile FILE|NAME] [--] COMMAND [ARGS...]
       isolate plan [--profile FILE|NAME] [--json]
       isolate --help | --version

Runs COMMAND in a new container built by the stages of a profile (YAML).
Without --profile the built-in profile "default" is used; NAME picks a built-in
profile (default, minimal), FILE a profile of your own.

options:
  -p, --profile FILE|NAME   the profile to use
      --stats[=FILE]        after the run, print resource usage (cgroup figures, exit
                            status, wall time) as JSON on stderr, or write it to FILE
      --json                (plan) print the plan as JSON
  -h, --help                show this help
  -V, --version             show the version

exit status: the command's; 128+N when it was killed by signal N; 125 when
isolate failed (bad profile, a stage failed); 126 when the command cannot be
executed; 127 when it was not found.
Logging: DEBUG=isolate:* isolate ...`;

export function parseArgs(argv: readonly string[]): Invocation {
  const args = [...argv];
  let kind: 'run' | 'plan' = 'run';
  if (args[0] === 'plan' || args[0] === 'run') kind = args.shift() as 'run' | 'plan';
  let profile: string | undefined;
  let json = false;
  let stats: string | true | undefined;
  while (args.length) {
    const a = args[0]!;
    if (a === '--') {
      args.shift();
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    args.shift();
    if (a === '-h' || a === '--help') return { kind: 'help' };
    if (a === '-V' || a === '--version') return { kind: 'version' };
    if (a === '--json' && kind === 'plan') {
      json = true;
    } else if (a === '--stats' && kind === 'run') {
      stats = true;
    } else if (a.startsWith('--stats=') && kind === 'run') {
      stats = a.slice('--stats='.length);
      if (!stats) throw new UsageError('--stats= needs a file name');
    } else if (a === '-p' || a === '--profile') {
      const v = args.shift();
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      profile = v;
    } else if (a.startsWith('--profile=')) {
      profile = a.slice('--profile='.length);
    } else {
      throw new UsageError(`unknown option ${a}`);
    }
  }
  if (kind === 'plan') {
    if (args.length) throw new UsageError(`plan takes no command (got ${args[0]})`);
    return { kind, profile, json };
  }
  if (!args.length) throw new UsageError('no command given');
  return stats === undefined ? { kind, profile, command: args } : { kind, profile, command: args, stats };
}
