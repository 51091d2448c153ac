/**
 * The JSON Schema of a profile's outer shape. Each stage's `with:` is checked against that
 * stage's own schema afterwards. profiles/profile.schema.json is this object, written out
 * (a test keeps the two equal).
 */
export const PROFILE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'isolate profile',
  description: 'Chooses and orders the isolation stages of a container and gives each its settings.',
  type: 'object',
  additionalProperties: false,
  required: ['stages'],
  properties: {
    description: { type: 'string', description: 'What this profile is for.' },
    stages: {
      type: 'array',
      description: 'The stages to run. Order is decided by phase first, then before/after, then this list.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            description: 'A built-in stage (@isolate/stage-<name>), a package name, or a path to a module.',
          },
          with: { type: 'object', description: "The stage's settings, checked against its schema." },
          before: { type: 'array', items: { type: 'string' }, description: 'Stages this one must run before.' },
          after: { type: 'array', items: { type: 'string' }, description: 'Stages this one must run after.' },
        },
      },
    },
  },
} as const;
