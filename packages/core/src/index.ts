// The light part of core (the stage contract, the pipeline, errors) loads fast and is what
// the init needs; profile loading and planning pull in yaml and ajv only when called.
export * from './stage';
export * from './errors';
export * from './pipeline';
export * from './paths';
export * from './schema-parts';
export * from './log';
export { stageReadme } from './docs';
export { PROFILE_SCHEMA } from './profile-schema';
export {
  ProfileError,
  formatPath,
  loadProfileFile,
  parseProfile,
  profileFromObject,
  validateAt,
  validatorFor,
  precompileValidator,
  precompiledPathFor,
  schemaHash,
  PROFILE_VALIDATOR,
} from './profile';
export type { Profile, ProfileEntry, DocPath } from './profile';
export { buildPlan, planFromFile, initStages, explainPlan } from './plan';
export type { Plan, PlannedStage, InitStage, PlanOptions } from './plan';
