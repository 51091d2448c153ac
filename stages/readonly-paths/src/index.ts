import { defineStage } from '@isolate/core';

// Placeholder: being written.
export default defineStage({
  contract: 1,
  name: 'readonly-paths',
  description: 'readonly-paths (not written yet)',
  schema: { type: 'object', additionalProperties: false, properties: {} },
});
