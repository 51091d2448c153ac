import { defineStage } from '@isolate/core';

// Placeholder: being written.
export default defineStage({
  contract: 1,
  name: 'capabilities',
  description: 'capabilities (not written yet)',
  schema: { type: 'object', additionalProperties: false, properties: {} },
});
