// The inspector's form, generated from a node kind's zod params: one field per param with its
// input type, bounds, default and help text (.describe()), read through z.toJSONSchema so the UI
// keeps no second table of params.
//
// Which kind a param applies to is the schema's `appliesTo` metadata (engine/nodes/define.ts):
// `{ kind: ['adam', 'adamw', 'lion'] }` makes the field matter only while `kind` is one of those.
import { z } from 'zod';

export type FieldKind = 'number' | 'integer' | 'enum' | 'boolean' | 'string' | 'json';

/** A condition on another (enum) param: this field matters only when `key` is one of `values`. */
export interface FieldCondition {
  key: string;
  values: string[];
}

export interface ParamField {
  key: string;
  kind: FieldKind;
  description: string;
  default: unknown;
  /** Allowed values of an enum. */
  options?: string[];
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  maxLength?: number;
  /** All must hold for the field to apply; empty: always applies. */
  appliesWhen: FieldCondition[];
}

/** Bounds at or past 2^53 are "no bound" in practice (z.number().int() reports them anyway). */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

function describeField(key: string, schema: z.ZodType): ParamField {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const field: ParamField = { key, kind: 'json', description: schema.description ?? '', default: json.default, appliesWhen: conditionsOf(json.appliesTo) };
  if (Array.isArray(json.enum) && json.enum.every((v) => typeof v === 'string')) {
    return { ...field, kind: 'enum', options: json.enum as string[] };
  }
  if (json.type === 'boolean') return { ...field, kind: 'boolean' };
  if (json.type === 'string') return { ...field, kind: 'string', ...(typeof json.maxLength === 'number' ? { maxLength: json.maxLength } : {}) };
  if (json.type === 'number' || json.type === 'integer') {
    const out: ParamField = { ...field, kind: json.type };
    if (typeof json.minimum === 'number' && json.minimum > -UNBOUNDED) out.min = json.minimum;
    if (typeof json.exclusiveMinimum === 'number') Object.assign(out, { min: json.exclusiveMinimum, exclusiveMin: true });
    if (typeof json.maximum === 'number' && json.maximum < UNBOUNDED) out.max = json.maximum;
    if (typeof json.exclusiveMaximum === 'number') Object.assign(out, { max: json.exclusiveMaximum, exclusiveMax: true });
    return out;
  }
  return field;
}

/** The schema's `appliesTo` metadata ({ kind: ['sgd'] }) as conditions; anything else: none. */
function conditionsOf(appliesTo: unknown): FieldCondition[] {
  if (typeof appliesTo !== 'object' || appliesTo === null) return [];
  return Object.entries(appliesTo)
    .filter((entry): entry is [string, string[]] => Array.isArray(entry[1]) && entry[1].every((v) => typeof v === 'string'))
    .map(([key, values]) => ({ key, values: [...values] }));
}

/**
 * The form for a params schema, in declaration order.
 * @example paramFields(optimizer.params).find((f) => f.key === 'momentum')
 *   // { kind: 'number', min: 0, max: 1, exclusiveMax: true, appliesWhen: [{ key: 'kind', values: ['sgd'] }], ... }
 */
export function paramFields(schema: z.ZodObject): ParamField[] {
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([key, s]) => describeField(key, s));
}

/** A param's value as the run will see it: the stored one, else the default. */
export function effectiveValue(field: ParamField, params: Record<string, unknown>): unknown {
  return field.key in params ? params[field.key] : field.default;
}

/**
 * Whether a field matters for the current params (its conditions hold, and so do theirs:
 * `vocab_size (tokenizer bpe)` also needs `tokenizer` itself to apply).
 */
export function fieldApplies(field: ParamField, params: Record<string, unknown>, fields: readonly ParamField[], depth = 0): boolean {
  return field.appliesWhen.every((c) => {
    const owner = fields.find((f) => f.key === c.key);
    if (!owner) return true;
    const value = effectiveValue(owner, params);
    return c.values.includes(String(value)) && (depth > 8 || fieldApplies(owner, params, fields, depth + 1));
  });
}

/** "when kind is sgd" / "when source is files and tokenizer is bpe", for the inspector. */
export function conditionText(field: ParamField): string {
  return field.appliesWhen.map((c) => `${c.key} is ${c.values.join(' or ')}`).join(' and ');
}

/**
 * The bounds in words, for the help line.
 * @example boundsText({ kind: 'number', min: 0, max: 1, exclusiveMax: true, ... }) // 'number, ≥ 0, < 1'
 */
export function boundsText(field: ParamField): string {
  const parts: string[] = [field.kind === 'json' ? 'value' : field.kind];
  if (field.min !== undefined) parts.push(`${field.exclusiveMin ? '>' : '≥'} ${field.min}`);
  if (field.max !== undefined) parts.push(`${field.exclusiveMax ? '<' : '≤'} ${field.max}`);
  if (field.maxLength !== undefined) parts.push(`at most ${field.maxLength} characters`);
  return parts.join(', ');
}

/**
 * The schema's own message for a value, or undefined when it is valid.
 * @example fieldError(model.params, 'n_heads', 0) // 'Too small: expected number to be >=1'
 */
export function fieldError(schema: z.ZodObject, key: string, value: unknown): string | undefined {
  const field = (schema.shape as Record<string, z.ZodType>)[key];
  if (!field) return `unknown param`;
  const result = field.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

/**
 * Reads a number typed into a field. Accepts `1e-3`, `.5`, `-2`; rejects empty and non-numbers.
 * @example parseNumber('1e-3') // { ok: true, value: 0.001 }
 */
export function parseNumber(text: string): { ok: true; value: number } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'enter a number' };
  const value = Number(trimmed);
  return Number.isFinite(value) ? { ok: true, value } : { ok: false, message: `'${trimmed}' is not a number` };
}

/**
 * A number as the inspector and the blocks show it: short, exact for the values people type.
 * @example formatNumber(1e-8) // '1e-8'
 * @example formatNumber(0.002) // '0.002'
 */
export function formatNumber(value: number): string {
  if (value !== 0 && (Math.abs(value) < 1e-4 || Math.abs(value) >= 1e9)) return value.toExponential().replace('e+', 'e');
  return String(value);
}

/** A param value, short, for block summaries. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') {
    const shown = /^\s|\s$/.test(value) || value === '' ? JSON.stringify(value) : value; // make edge spaces visible
    return shown.length > 24 ? `${shown.slice(0, 23)}…` : shown;
  }
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === undefined) return '—';
  const json = JSON.stringify(value);
  return json.length > 24 ? `${json.slice(0, 23)}…` : json;
}
