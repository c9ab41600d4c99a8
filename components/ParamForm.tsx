// A block's params as a form generated from its zod schema (lib/param-form.ts). Params that do
// not apply to the chosen kind (momentum for adamw) fold into a section below: their values stay
// in the document, so switching kind back and forth loses nothing.
import type { Diagnostic } from '../engine/compiler/diagnostics';
import type { AnyNodeDefinition } from '../engine/nodes/define';
import type { PipelineNode } from '../lib/document';
import { namesField } from '../lib/diagnostic-fields';
import { boundsText, conditionText, effectiveValue, fieldApplies, fieldError, paramFields, type ParamField } from '../lib/param-form';
import { studio } from '../lib/store';
import { useState } from 'react';
import { Field, NumberInput, Select, Switch, TextInput } from './fields';
import { isSweepable, SweepEditor, useSweptValues } from './SweepEditor';

/**
 * Where a form writes: the block itself, or, for a block inside a model, the model block with the
 * field path `<innerId>.<param>` (so sweeps and undo address it as the pipeline does).
 */
export interface FormTarget {
  nodeId: string;
  prefix: string;
}

const addressOf = (node: PipelineNode, key: string, target?: FormTarget): [string, string] =>
  target ? [target.nodeId, `${target.prefix}${key}`] : [node.id, key];

function ParamInput({ field, node, invalid, id, target }: { field: ParamField; node: PipelineNode; invalid: boolean; id: string; target?: FormTarget }) {
  const value = effectiveValue(field, node.params);
  const set = (v: unknown) => studio.getState().setParam(...addressOf(node, field.key, target), v);
  const testId = `input-${field.key}`;
  switch (field.kind) {
    case 'number':
    case 'integer':
      return <NumberInput id={id} testId={testId} value={value} onCommit={set} invalid={invalid} />;
    case 'enum':
      return <Select id={id} testId={testId} value={value} options={field.options!} onChange={set} invalid={invalid} />;
    case 'boolean':
      return <Switch id={id} testId={testId} checked={value === true} onChange={set} />;
    case 'string':
      return <TextInput id={id} testId={testId} value={typeof value === 'string' ? value : JSON.stringify(value)} onChange={set} invalid={invalid} />;
    default:
      return <JsonInput id={id} testId={testId} value={value} onCommit={set} invalid={invalid} />;
  }
}

/** Params of a type the form does not know (arrays, objects) are edited as JSON. */
function JsonInput({ value, onCommit, invalid, id, testId }: { value: unknown; onCommit: (v: unknown) => void; invalid: boolean; id: string; testId: string }) {
  return (
    <TextInput
      id={id}
      testId={testId}
      multiline
      invalid={invalid}
      value={JSON.stringify(value ?? null)}
      onChange={(text) => {
        try {
          onCommit(JSON.parse(text));
        } catch {
          // keep typing; committed once it parses
        }
      }}
    />
  );
}

interface RowProps {
  field: ParamField;
  node: PipelineNode;
  schema: AnyNodeDefinition['params'];
  problems: Diagnostic[];
  applies: boolean;
  target?: FormTarget;
}

function ParamRow({ field, node, schema, problems, applies, target }: RowProps) {
  const [nodeId, path] = addressOf(node, field.key, target);
  const explicit = field.key in node.params;
  const value = effectiveValue(field, node.params);
  // The schema's message right away; the compiler's (cross-field, e.g. n_heads | d_model) after it runs.
  const schemaError = explicit ? fieldError(schema, field.key, value) : undefined;
  // A cross-field problem shows on every field it names, so it is beside the one just edited too.
  const compilerErrors = problems
    .filter((d) => d.field === field.key || d.field?.split(', ').includes(field.key) || namesField(d.message, field.key))
    .map((d) => d.message);
  const errors = [...new Set([schemaError, ...compilerErrors].filter((e): e is string => !!e))];
  const isDefault = !explicit || Object.is(value, field.default);
  const [sweeping, setSweeping] = useState(false);
  const swept = useSweptValues(nodeId, path);
  return (
    <>
      <Field
        label={field.key}
        testId={`param-${field.key}`}
        badge={swept ? `swept ×${swept.length}` : !explicit ? 'default' : undefined}
        dim={!applies}
        errors={errors}
        action={
          <>
            {!isDefault && field.default !== undefined && (
              <button
                type="button"
                className="link small"
                title={`Reset to the default (${JSON.stringify(field.default)})`}
                onClick={() => studio.getState().setParam(nodeId, path, field.default)}
              >
                reset
              </button>
            )}
            {isSweepable(field) && (
              <button
                type="button"
                className="link small"
                data-testid={`sweep-${field.key}`}
                title="Try several values of this field: one run each"
                onClick={() => setSweeping((v) => !v)}
              >
                sweep…
              </button>
            )}
          </>
        }
        help={
          <>
            {field.description && <span>{field.description}. </span>}
            <span className="muted">{boundsText(field)}</span>
            {!applies && field.appliesWhen.length > 0 && <span className="muted"> · used when {conditionText(field)}</span>}
          </>
        }
      >
        {(id) => <ParamInput field={field} node={node} invalid={errors.length > 0} id={id} target={target} />}
      </Field>
      {sweeping && isSweepable(field) && (
        <SweepEditor nodeId={nodeId} field={target ? { ...field, key: path } : field} value={value} onClose={() => setSweeping(false)} />
      )}
    </>
  );
}

const formCache = new Map<string, ParamField[]>();

/** The params form of `node`; `problems` are the compiler's diagnostics for this node. */
export function ParamForm({ node, def, problems, target }: { node: PipelineNode; def: AnyNodeDefinition; problems: Diagnostic[]; target?: FormTarget }) {
  // A model block's subgraph is edited on its own canvas (Open), not as a JSON field.
  if (!formCache.has(def.kind))
    formCache.set(
      def.kind,
      paramFields(def.params).filter((f) => !(def.composite && f.key === 'graph')),
    );
  const fields = formCache.get(def.kind)!;
  if (!fields.length) return <p className="muted small">This block has no settings.</p>;
  const active = fields.filter((f) => fieldApplies(f, node.params, fields));
  const inactive = fields.filter((f) => !active.includes(f));
  const unknownKeys = Object.keys(node.params).filter((k) => !fields.some((f) => f.key === k) && !(def.composite && k === 'graph'));
  const switches = fields.filter((f) => fields.some((g) => g.appliesWhen.some((c) => c.key === f.key)));
  return (
    <div className="param-form">
      {active.map((f) => (
        <ParamRow key={f.key} field={f} node={node} schema={def.params} problems={problems} applies target={target} />
      ))}
      {unknownKeys.map((key) => (
        <div key={key} className="field has-error" data-testid={`param-${key}`}>
          <div className="field-head">
            <label>{key}</label>
            <span className="spacer" />
            <button type="button" className="link small" onClick={() => studio.getState().setParam(...addressOf(node, key, target), undefined)}>
              remove
            </button>
          </div>
          <code className="small">{JSON.stringify(node.params[key])}</code>
          <div className="field-error">not a param of {def.kind}</div>
        </div>
      ))}
      {inactive.length > 0 && (
        <details className="inactive-params" data-testid="inactive-params">
          <summary>
            {inactive.length} setting{inactive.length > 1 ? 's' : ''} not used with{' '}
            {switches.map((f) => `${f.key} ${String(effectiveValue(f, node.params))}`).join(', ')}
          </summary>
          {inactive.map((f) => (
            <ParamRow key={f.key} field={f} node={node} schema={def.params} problems={problems} applies={false} target={target} />
          ))}
        </details>
      )}
    </div>
  );
}
