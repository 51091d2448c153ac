import { defineStage } from '@isolate/core';

// Placeholder: being written.
export default defineStage({
  contract: 1,
  name: 'sysctl',
  description: 'sysctl (not written yet)',
  schema: { type: 'object', additionalProperties: false, properties: {} },
});
