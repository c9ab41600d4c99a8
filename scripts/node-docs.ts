// Writes docs/nodes.md, the node reference, from the registry (npm run docs:nodes).
// A test checks the committed file is current, so the reference never drifts from the code.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { NODE_KINDS } from '../engine/nodes';
import { CATEGORIES } from '../engine/nodes/define';
import { OPTIMIZER_KIND_DEFINITIONS } from '../engine/optim/kinds';

function describeType(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  if (Array.isArray(json.enum)) return json.enum.map((v) => `\`${v}\``).join(' \\| ');
  const parts = [String(json.type ?? 'any')];
  if (json.minimum !== undefined) parts.push(`≥ ${json.minimum}`);
  if (json.exclusiveMinimum !== undefined) parts.push(`> ${json.exclusiveMinimum}`);
  if (json.maximum !== undefined) parts.push(`≤ ${json.maximum}`);
  if (json.exclusiveMaximum !== undefined) parts.push(`< ${json.exclusiveMaximum}`);
  return parts.join(', ');
}

/** " (kind adam, adamw, lion)" for a param whose schema says where it applies; "" otherwise. */
function appliesText(schema: z.ZodType): string {
  const { appliesTo } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { appliesTo?: Record<string, string[]> };
  if (!appliesTo) return '';
  return ` (${Object.entries(appliesTo).map(([key, values]) => `${key} ${values.join(', ')}`).join('; ')})`;
}

/** The optimizer's kinds, one line each, from their definitions (engine/optim/kinds/). */
function optimizerKinds(): string[] {
  return ['Kinds:', '', ...OPTIMIZER_KIND_DEFINITIONS.map((d) => `- \`${d.kind}\`: ${d.description}`), ''];
}

export function nodeReference(): string {
  const out = ['# Node reference', '', 'Generated from the engine registry by `npm run docs:nodes`; do not edit by hand.', ''];
  for (const category of CATEGORIES) {
    for (const def of NODE_KINDS.filter((d) => d.category === category.id)) {
      out.push(`## \`${def.kind}\` — ${def.title}`, '', `${def.description}`, '', `Category: ${category.title}. Params version: ${def.version}.`, '');
      const ports = (side: string, ports: typeof def.inputs) =>
        Object.entries(ports).map(([name, p]) => `- ${side} \`${name}\`: ${p.type}${p.optional ? ' (optional)' : ''}${p.differentiate ? ' (differentiated)' : ''}${p.description ? ` — ${p.description}` : ''}`);
      out.push(...ports('in', def.inputs), ...ports('out', def.outputs), '');
      const shape = def.params.shape as Record<string, z.ZodType>;
      if (Object.keys(shape).length) {
        out.push('| param | type | default | meaning |', '|---|---|---|---|');
        for (const [key, schema] of Object.entries(shape)) {
          const fallback = schema.safeParse(undefined);
          const value = !fallback.success ? 'required' : fallback.data === undefined ? 'unset' : `\`${JSON.stringify(fallback.data)}\``; // unset: an optional param
          out.push(`| \`${key}\` | ${describeType(schema)} | ${value} | ${schema.description ?? ''}${appliesText(schema)} |`);
        }
        out.push('');
      }
      if (def.kind === 'optimizer') out.push(...optimizerKinds());
    }
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('../docs/nodes.md', import.meta.url), nodeReference());
  console.log('wrote docs/nodes.md');
}
