import type { JSONSchema, StageDefinition } from './stage';

type Prop = { type?: string | string[]; enum?: unknown[]; items?: Prop; default?: unknown; description?: string; properties?: Record<string, Prop>; pattern?: string };

function typeOf(p: Prop): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (p.type === 'array') return `array of ${p.items ? typeOf(p.items) : 'any'}`;
  if (Array.isArray(p.type)) return p.type.join(' \\| ');
  return p.type ?? 'any';
}

function rows(props: Record<string, Prop>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, p] of Object.entries(props)) {
    const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    out.push(`| \`${prefix}${name}\` | ${typeOf(p)} | ${def} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`);
    const nested = p.type === 'array' ? p.items?.properties : p.properties;
    if (nested) out.push(...rows(nested, `${prefix}${name}${p.type === 'array' ? '[]' : ''}.`));
  }
  return out;
}

/**
 * The README of a stage package, made from its definition so that the documented settings
 * are always the ones the schema checks (a test compares the two).
 */
export function stageReadme(def: StageDefinition<unknown>, packageName: string): string {
  const props = ((def.schema as JSONSchema).properties ?? {}) as Record<string, Prop>;
  const lines = [
    `# ${packageName}`,
    '',
    def.description,
    '',
    `- stage name: \`${def.name}\`${def.phase ? `, phase \`${def.phase}\`` : ' (host side only)'}`,
  ];
  if (def.requires?.length) lines.push(`- requires: ${def.requires.map((r) => `\`${r}\``).join(', ')}`);
  if (def.before?.length) lines.push(`- runs before: ${def.before.map((r) => `\`${r}\``).join(', ')}`);
  if (def.after?.length) lines.push(`- runs after: ${def.after.map((r) => `\`${r}\``).join(', ')}`);
  lines.push('', '## Settings (`with:`)', '');
  if (Object.keys(props).length) {
    lines.push('| setting | type | default | meaning |', '| --- | --- | --- | --- |', ...rows(props));
  } else {
    lines.push('None.');
  }
  lines.push(
    '',
    '## Use',
    '',
    '```yaml',
    'stages:',
    `  - name: ${def.name}`,
    '```',
    '',
    'The code is in [src/index.ts](src/index.ts); its tests, against the fake syscall layer and in real',
    'containers, in [test/](test/). This file is generated from the stage definition',
    '(`npm run docs`).',
    '',
  );
  return lines.join('\n');
}
