import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { EXIT, IsolateError } from './errors';
import { PROFILE_SCHEMA } from './profile-schema';
import type { JSONSchema } from './stage';

/** A path inside a profile document, e.g. ['stages', 1, 'with', 'size']. */
export type DocPath = readonly (string | number)[];

/** `stages[1].with.size` */
export function formatPath(p: DocPath): string {
  let out = '';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(document)';
}

/** A problem in a profile: names the file, the line and column, the path and what was expected. */
export class ProfileError extends IsolateError {
  constructor(
    readonly file: string,
    readonly docPath: DocPath,
    readonly detail: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(`${file}${line ? `:${line}:${col ?? 1}` : ''}: ${formatPath(docPath)}: ${detail}`, EXIT.RUNTIME);
    this.name = 'ProfileError';
  }
}

export interface ProfileEntry {
  name: string;
  with: Record<string, unknown>;
  before: string[];
  after: string[];
}

/** A profile read and checked for its outer shape; stage settings are checked by the plan. */
export interface Profile {
  /** Where it came from: a file path, or a label for profiles given as objects. */
  readonly file: string;
  readonly description?: string;
  readonly stages: ProfileEntry[];
  /** Turns a path in the document into a ProfileError at that place. */
  error(docPath: DocPath, detail: string, atKey?: boolean): ProfileError;
}

// yaml and ajv are loaded on first use: the init never needs them.
/* eslint-disable @typescript-eslint/no-require-imports */
function yamlLib(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}
type AjvInstance = import('ajv').default;
let ajvInstance: AjvInstance | undefined;
function ajv(): AjvInstance {
  if (!ajvInstance) {
    const Ajv = (require('ajv') as { default: typeof import('ajv').default }).default;
    ajvInstance = new Ajv(AJV_OPTIONS);
  }
  return ajvInstance;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The ajv options every validator is made with, precompiled or not (defaults are filled in). */
export const AJV_OPTIONS = { allErrors: false, useDefaults: true, verbose: true, strict: true, allowUnionTypes: true } as const;

/** A fingerprint of a schema: a precompiled validator is used only for the schema it was made from. */
export function schemaHash(schema: JSONSchema): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 32);
}

/** Where a stage package's precompiled settings validator sits: next to its entry module. */
export function precompiledPathFor(modulePath: string): string {
  return path.join(path.dirname(modulePath), 'settings.validate.js');
}

const validators = new WeakMap<object, ValidateFunction>();
/**
 * A validator for `schema` (cached per schema object). When `precompiled` names a module
 * made by `precompileValidator` from this very schema, it is used and ajv is not even loaded:
 * compiling schemas is the largest part of checking a profile.
 */
export function validatorFor(schema: JSONSchema, precompiled?: string): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    v = (precompiled && loadPrecompiled(precompiled, schema)) || ajv().compile(schema);
    validators.set(schema, v);
  }
  return v;
}

function loadPrecompiled(file: string, schema: JSONSchema): ValidateFunction | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as { validate?: ValidateFunction; schemaHash?: string };
    return mod.schemaHash === schemaHash(schema) ? mod.validate : undefined;
  } catch {
    return undefined;
  }
}

/** JavaScript source of a standalone validator for `schema` (ajv standalone code). */
export function precompileValidator(schema: JSONSchema): string {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Ajv = (require('ajv') as { default: typeof import('ajv').default }).default;
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: AjvInstance, v: ValidateFunction) => string }).default;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const compiler = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const code = standalone(compiler, compiler.compile(schema));
  return `${code}
module.exports.validate = module.exports;
module.exports.schemaHash = ${JSON.stringify(schemaHash(schema))};
`;
}

/**
 * Checks `data` (mutated: defaults are filled in) against `schema`. The first error is
 * reported through `profile.error` at `base` + the error's path.
 */
export function validateAt(profile: Profile, base: DocPath, schema: JSONSchema, data: unknown, precompiled?: string): void {
  const validate = validatorFor(schema, precompiled);
  if (validate(data)) return;
  const e = validate.errors![0]!;
  const { docPath, detail, atKey } = describeAjvError(e);
  throw profile.error([...base, ...docPath], detail, atKey);
}

function describeAjvError(e: ErrorObject): { docPath: DocPath; detail: string; atKey: boolean } {
  const docPath: (string | number)[] = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const parent = e.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  const hint = parent?.description ? ` (${parent.description})` : '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const known = Object.keys(parent?.properties ?? {});
      docPath.push(String(p.additionalProperty));
      return {
        docPath,
        atKey: true,
        detail: `unknown key '${String(p.additionalProperty)}'` + (known.length ? ` (expected one of: ${known.join(', ')})` : ''),
      };
    }
    case 'required':
      return { docPath, atKey: false, detail: `missing required key '${String(p.missingProperty)}'` };
    case 'type':
      return { docPath, atKey: false, detail: `expected ${String(p.type)}, got ${describeValue(e.data)}${hint}` };
    case 'enum':
      return {
        docPath,
        atKey: false,
        detail: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(e.data)}`,
      };
    case 'pattern':
      return { docPath, atKey: false, detail: `expected a string matching ${String(p.pattern)}, got ${describeValue(e.data)}${hint}` };
    default:
      return { docPath, atKey: false, detail: `expected a value that ${e.message ?? 'is valid'}, got ${describeValue(e.data)}${hint}` };
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  return `${typeof v} ${String(v)}`;
}

/** The precompiled validator of the profile schema, made at build time. */
export const PROFILE_VALIDATOR = path.join(__dirname, 'profile-schema.validate.js');

/** Reads a profile file (YAML) and checks its outer shape. */
export function loadProfileFile(file: string): Profile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new IsolateError(`${file}: cannot read profile: ${code}`, EXIT.RUNTIME);
  }
  return parseProfile(text, file);
}

/** Parses profile text (YAML) named `file` and checks its outer shape. */
export function parseProfile(text: string, file: string): Profile {
  const YAML = yamlLib();
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (docPath: DocPath, atKey = false): { line: number; col: number } | undefined =>
    locateNode(doc, lineCounter, docPath, atKey);
  const errorAt = (docPath: DocPath, detail: string, atKey = false): ProfileError => {
    const pos = locate(docPath, atKey);
    return new ProfileError(file, docPath, detail, pos?.line, pos?.col);
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ProfileError(file, [], `invalid YAML: ${msg}`, pos.line, pos.col);
  }
  return checkShape(doc.toJS({ maxAliasCount: 100 }) as unknown, file, errorAt);
}

/** A profile given as a plain object (library use); errors name paths but no lines. */
export function profileFromObject(data: unknown, label = '<profile>'): Profile {
  const errorAt = (docPath: DocPath, detail: string): ProfileError => new ProfileError(label, docPath, detail);
  return checkShape(structuredClone(data), label, errorAt);
}

function checkShape(data: unknown, file: string, errorAt: (p: DocPath, d: string, atKey?: boolean) => ProfileError): Profile {
  const profile: Profile = {
    file,
    stages: [],
    error: errorAt,
  };
  if (data === null || data === undefined) throw errorAt([], 'the profile is empty (expected a mapping with a stages: list)');
  validateAt(profile, [], PROFILE_SCHEMA as unknown as JSONSchema, data, PROFILE_VALIDATOR);
  const d = data as { description?: string; stages: Array<Partial<ProfileEntry>> };
  const stages = d.stages.map((s) => ({ name: s.name!, with: s.with ?? {}, before: s.before ?? [], after: s.after ?? [] }));
  return { ...profile, description: d.description, stages };
}

function locateNode(doc: Document, lc: LineCounter, docPath: DocPath, atKey: boolean): { line: number; col: number } | undefined {
  const YAML = yamlLib();
  // Walk down as far as the document goes; report the deepest node that exists.
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as { range?: number[] } | null)?.range?.[0];
  for (let i = 0; i < docPath.length; i++) {
    const seg = docPath[i]!;
    if (YAML.isMap(node)) {
      const pair = node.items.find((it) => (YAML.isScalar(it.key) ? it.key.value : it.key) === seg);
      if (!pair) break;
      const keyRange = (pair.key as { range?: number[] } | null)?.range;
      const last = i === docPath.length - 1;
      if (last && atKey && keyRange) {
        offset = keyRange[0];
        break;
      }
      node = pair.value;
      offset = (node as { range?: number[] } | null)?.range?.[0] ?? keyRange?.[0] ?? offset;
    } else if (YAML.isSeq(node)) {
      node = node.items[Number(seg)];
      if (node === undefined) break;
      offset = (node as { range?: number[] } | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  if (offset === undefined) return undefined;
  return lc.linePos(offset);
}

/** The directory relative stage paths in a profile are resolved against. */
export function profileDir(profile: Profile): string {
  // (a profile given as an object has a label for a file name: its directory is the cwd)
  return path.dirname(path.resolve(profile.file));
}
