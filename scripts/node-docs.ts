// Writes docs/nodes.md, the node reference, from the registry (npm run docs:nodes).
// A test checks the committed file is current, so the reference never drifts from the code.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { NODE_KINDS } from '../engine/nodes';
import { MODEL_GRAPH_KINDS } from '../engine/model-graph/kinds';
import { CATEGORIES, type AnyNodeDefinition } from '../engine/nodes/define';
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
  return ` (${Object.entries(appliesTo)
    .map(([key, values]) => `${key} ${values.join(', ')}`)
    .join('; ')})`;
}

/** The optimizer's kinds, one line each, from their definitions (engine/optim/kinds/). */
function optimizerKinds(): string[] {
  return ['Kinds:', '', ...OPTIMIZER_KIND_DEFINITIONS.map((d) => `- \`${d.kind}\`: ${d.description}`), ''];
}

/** One kind's section: description, ports, and a table of its params. */
function kindSection(def: AnyNodeDefinition, category: string): string[] {
  const out = [`## \`${def.kind}\` — ${def.title}`, '', `${def.description}`, '', `Category: ${category}. Params version: ${def.version}.`, ''];
  const ports = (side: string, ports: typeof def.inputs) =>
    Object.entries(ports).map(
      ([name, p]) =>
        `- ${side} \`${name}\`: ${p.type}${p.optional ? ' (optional)' : ''}${p.differentiate ? ' (differentiated)' : ''}${p.description ? ` — ${p.description}` : ''}`,
    );
  out.push(...ports('in', def.inputs), ...ports('out', def.outputs), '');
  if (def.kind === 'optimizer') out.push(...optimizerKinds());
  const shape = def.params.shape as Record<string, z.ZodType>;
  if (Object.keys(shape).length) {
    out.push('| param | type | default | meaning |', '|---|---|---|---|');
    for (const [key, schema] of Object.entries(shape)) {
      const fallback = schema.safeParse(undefined);
      const json = fallback.success ? JSON.stringify(fallback.data) : undefined;
      // A subgraph's default is a document of its own: described below, not printed in a cell.
      const value = json === undefined ? 'unset' : json.length > 60 ? 'the [default graph](#inside-the-model)' : `\`${json}\``;
      out.push(`| \`${key}\` | ${describeType(schema)} | ${fallback.success ? value : 'required'} | ${schema.description ?? ''}${appliesText(schema)} |`);
    }
    out.push('');
  }
  return out;
}

export function nodeReference(): string {
  const out = ['# Node reference', '', 'Generated from the engine registry by `npm run docs:nodes`; do not edit by hand.', ''];
  for (const category of CATEGORIES) {
    for (const def of NODE_KINDS.filter((d) => d.category === category.id)) out.push(...kindSection(def, category.title));
  }
  out.push(
    '# Inside the model',
    '',
    "The kinds of the `model` block's subgraph ([pipeline format 3](pipeline-format.md#the-model-block)). " +
      'Parameter names derive from the node ids and the block index (`blocks.{i}.attn.wq`), so each role has a fixed id: ' +
      '`wte`, `wpe`, `blocks` (the repeat), `norm1`, `attn`, `res1`, `norm2`, `ffn`, `res2` (inside the block, with `in` and `out`), `norm_f`, `lm_head`.',
    '',
  );
  for (const def of MODEL_GRAPH_KINDS) out.push(...kindSection(def, 'Model (inside)').map((line) => line.replace(/^## /, '### ')));
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('../docs/nodes.md', import.meta.url), nodeReference());
  console.log('wrote docs/nodes.md');
}
