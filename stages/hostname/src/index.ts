import { defineStage, needsNamespace, requireNamespace } from '@isolate/core';

export interface HostnameSettings {
  hostname: string;
  domainname?: string;
}

export default defineStage<HostnameSettings>({
  contract: 1,
  name: 'hostname',
  description: "Sets the container's hostname and NIS domain name in its UTS namespace.",
  phase: 'configure',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hostname: {
        type: 'string',
        default: 'isolate',
        pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$',
        description: 'the hostname (letters, digits, dots and dashes, at most 63 characters)',
      },
      domainname: { type: 'string', maxLength: 64, description: 'the NIS domain name' },
    },
  },
  check: needsNamespace('uts', ', or it would rename the host'),
  container(hooks, s) {
    hooks.configure.tap('hostname', (ctx) => {
      requireNamespace(ctx, 'uts', 'set the hostname');
      ctx.step(`sethostname ${s.hostname}`);
      ctx.sys.sethostname(s.hostname);
      ctx.hostname = s.hostname;
      if (s.domainname !== undefined) {
        ctx.step(`setdomainname ${s.domainname}`);
        ctx.sys.setdomainname(s.domainname);
      }
    });
  },
});
