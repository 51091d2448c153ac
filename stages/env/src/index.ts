import { defineStage, MODE_SCHEMA, parseMode } from '@isolate/core';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface EnvSettings {
  clear: boolean;
  inherit: string[];
  path: string;
  home: string;
  vars: Record<string, string>;
  cwd: string;
  umask: string;
}

const NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

export default defineStage<EnvSettings>({
  contract: 1,
  name: 'env',
  description: "Sets the command's environment (clean by default: PATH, HOME, TERM, HOSTNAME and the profile's variables), working directory and umask.",
  phase: 'finalize',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      clear: { type: 'boolean', default: true, description: "start from an empty environment (false: from the host's)" },
      inherit: {
        type: 'array',
        items: { type: 'string', pattern: NAME },
        default: ['TERM'],
        description: 'host variables passed through when they are set',
      },
      path: { type: 'string', default: DEFAULT_PATH, description: 'PATH' },
      home: { type: 'string', default: '/root', description: 'HOME' },
      vars: {
        type: 'object',
        default: {},
        description: 'more variables (they win over the others)',
        propertyNames: { pattern: NAME },
        additionalProperties: { type: 'string' },
      },
      cwd: { type: 'string', pattern: '^/', default: '/', description: 'working directory in the container' },
      umask: { ...MODE_SCHEMA, default: '0022' },
    },
  },
  container(hooks, s) {
    hooks.finalize.tap('env', (ctx) => {
      const env: Record<string, string> = s.clear ? {} : { ...filterStrings(process.env) };
      for (const name of s.inherit) {
        const v = process.env[name];
        if (v !== undefined) env[name] = v;
      }
      env.PATH = s.path;
      env.HOME = s.home;
      if (ctx.hostname) env.HOSTNAME = ctx.hostname;
      Object.assign(env, s.vars);
      ctx.env = env;
      ctx.step(`chdir ${s.cwd}`);
      ctx.sys.chdir(s.cwd);
      ctx.cwd = s.cwd;
      ctx.step(`umask ${s.umask}`);
      ctx.sys.umask(parseMode(s.umask));
    });
  },
});

function filterStrings(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
