// "Sweep…" on a numeric or enum field: the values to try, as a list or a linear or log range with a
// count (enum fields: the options to try). Setting it adds the field as an axis of the document's
// sweep (two axes make a grid); the toolbar's sweep button launches it.
import { useState } from 'react';
import type { ParamField } from '../lib/param-form';
import { draftValues, withAxis, withoutAxis, type SweepDraft } from '../lib/sweep-draft';
import { studio, useStudio } from '../lib/store';

export type SweepableKind = 'number' | 'integer' | 'enum';

export const isSweepable = (field: ParamField): field is ParamField & { kind: SweepableKind } =>
  field.kind === 'number' || field.kind === 'integer' || field.kind === 'enum';

/** The values this field is swept over, when it is an axis of the document's sweep. */
export function useSweptValues(nodeId: string, key: string): readonly unknown[] | undefined {
  return useStudio((s) => s.doc.sweep?.axes.find((a) => a.nodeId === nodeId && a.field === key)?.values);
}

function initialDraft(current: readonly unknown[] | undefined, value: unknown): SweepDraft {
  if (current) return { mode: 'list', text: current.join(', ') };
  return { mode: 'list', text: value === undefined ? '' : String(value) };
}

export function SweepEditor({
  nodeId,
  field,
  value,
  onClose,
}: {
  nodeId: string;
  field: ParamField & { kind: SweepableKind };
  value: unknown;
  onClose: () => void;
}) {
  const current = useSweptValues(nodeId, field.key);
  const [draft, setDraft] = useState<SweepDraft>(() => initialDraft(current, value));
  const result = draftValues(draft, field.kind, field.options);
  const setMode = (mode: SweepDraft['mode']) => {
    const start = typeof value === 'number' && value > 0 ? value : 1;
    setDraft(mode === 'list' ? { mode, text: '' } : { mode, from: mode === 'log' ? start / 10 : start / 2, to: start * (mode === 'log' ? 10 : 2), count: 3 });
  };
  const apply = () => {
    if (!result.ok) return;
    studio.getState().setSweep(withAxis(studio.getState().doc.sweep, { nodeId, field: field.key, values: result.values }));
    onClose();
  };
  const remove = () => {
    studio.getState().setSweep(withoutAxis(studio.getState().doc.sweep, nodeId, field.key));
    onClose();
  };
  const number = (key: 'from' | 'to' | 'count') =>
    draft.mode !== 'list' && (
      <label>
        {key}{' '}
        <input
          className="input"
          type="number"
          data-testid={`sweep-${key}`}
          value={draft[key]}
          step="any"
          onChange={(e) => setDraft({ ...draft, [key]: Number(e.target.value) })}
        />
      </label>
    );
  return (
    <div className="sweep-editor nodrag" data-testid="sweep-editor">
      <div className="sweep-editor-row">
        <b>Sweep {field.key}</b>
        {field.kind !== 'enum' && (
          <select className="input" data-testid="sweep-mode" value={draft.mode} onChange={(e) => setMode(e.target.value as SweepDraft['mode'])}>
            <option value="list">values</option>
            <option value="linear">linear range</option>
            <option value="log">log range</option>
          </select>
        )}
      </div>
      {draft.mode === 'list' ? (
        field.kind === 'enum' ? (
          <div className="sweep-options">
            {field.options!.map((o) => {
              const chosen = draft.text
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean);
              const on = chosen.includes(o);
              return (
                <label key={o}>
                  <input
                    type="checkbox"
                    checked={on}
                    data-testid={`sweep-option-${o}`}
                    onChange={() => setDraft({ mode: 'list', text: (on ? chosen.filter((c) => c !== o) : [...chosen, o]).join(', ') })}
                  />{' '}
                  {o}
                </label>
              );
            })}
          </div>
        ) : (
          <input
            className="input"
            data-testid="sweep-values"
            placeholder="e.g. 1e-3, 3e-3, 1e-2"
            value={draft.text}
            onChange={(e) => setDraft({ mode: 'list', text: e.target.value })}
            onKeyDown={(e) => e.key === 'Enter' && apply()}
          />
        )
      ) : (
        <div className="sweep-editor-row">
          {number('from')}
          {number('to')}
          {number('count')}
        </div>
      )}
      <div className={result.ok ? 'muted small' : 'field-error'} data-testid="sweep-preview">
        {result.ok ? `${result.values.length} value${result.values.length === 1 ? '' : 's'}: ${result.values.join(', ')}` : result.message}
      </div>
      <div className="sweep-editor-row">
        <button type="button" className="button primary" data-testid="sweep-apply" disabled={!result.ok} onClick={apply}>
          {current ? 'Update axis' : 'Add sweep axis'}
        </button>
        {current && (
          <button type="button" className="button" data-testid="sweep-remove" onClick={remove}>
            Remove axis
          </button>
        )}
        <button type="button" className="link small" onClick={onClose}>
          cancel
        </button>
      </div>
    </div>
  );
}
