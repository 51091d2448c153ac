import { defineStage } from '@isolate/core';

// Placeholder: being written.
export default defineStage({
  contract: 1,
  name: 'cgroups',
  description: 'cgroups (not written yet)',
  schema: { type: 'object', additionalProperties: false, properties: {} },
});
