import { defineStage } from '@isolate/core';

// Placeholder: being written.
export default defineStage({
  contract: 1,
  name: 'seccomp',
  description: 'seccomp (not written yet)',
  schema: { type: 'object', additionalProperties: false, properties: {} },
});
