'use client';
// The inspector's live section for a block of the attached run while it trains: hot fields
// editable (applied at the next step boundary, all at once), the others locked with the reason,
// and the block's edit history.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fieldLocks, parseFieldValue, sendEdit, type EditReply } from '../lib/live-edit';
import { displayState } from '../lib/run-stream';
import { useRuns } from '../lib/runs-store';
import { useStudio } from '../lib/store';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function LiveEdits({ nodeId, kind }: { nodeId: string; kind: string }) {
  const runId = useRuns((s) => s.attached);
  const state = useRuns((s) => (s.attached && s.runs[s.attached] ? displayState(s.runs[s.attached]) : undefined));
  const history = useRuns(useShallow((s) => (s.attached ? (s.runs[s.attached]?.edits ?? []) : []).filter((e) => e.nodeId === nodeId)));
  const params = useStudio((s) => s.doc.nodes.find((n) => n.id === nodeId)?.params ?? {});
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [reply, setReply] = useState<EditReply | null>(null);
  if (!runId || (state !== 'running' && state !== 'paused')) return null;
  const locks = fieldLocks(kind);
  const live = locks.filter((f) => f.live);
  const apply = async () => {
    const changed = Object.fromEntries(Object.entries(draft).map(([field, text]) => [field, parseFieldValue(text)]));
    if (!Object.keys(changed).length) return;
    const result = await sendEdit(runId, nodeId, changed);
    setReply(result);
    if (result.ok) setDraft({});
  };
  return (
    <section className="live-edits" data-testid="live-edits">
      <h3>
        Live <span className="live-dot" aria-hidden /> <span className="muted small">applies at the next step</span>
      </h3>
      {live.length === 0 && <p className="muted small">Nothing here changes while the run trains — fork it instead.</p>}
      {live.map(({ field }) => (
        <label key={field} className="live-field" data-testid="live-field" data-field={field}>
          <span>{field}</span>
          <input
            className="input nodrag"
            placeholder={show(params[field] ?? '')}
            value={draft[field] ?? ''}
            onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
            onKeyDown={(e) => e.key === 'Enter' && void apply()}
          />
        </label>
      ))}
      {live.length > 0 && (
        <button type="button" className="button" data-testid="live-apply" disabled={!Object.keys(draft).length} onClick={() => void apply()}>
          Apply live
        </button>
      )}
      {reply &&
        (reply.ok ? (
          <p className="small" data-testid="live-applied">
            Applied at step {reply.appliedAtStep}.
          </p>
        ) : (
          <p className="field-error" data-testid="live-refused">
            {reply.errors.map((e) => `${e.field ?? e.nodeId}: ${e.message}`).join('; ') || reply.error}
          </p>
        ))}
      {history.length > 0 && (
        <ul className="live-history small" data-testid="live-history">
          {history.map((e) => (
            <li key={`${e.step}-${Object.keys(e.changes).join()}`}>
              step {e.step}:{' '}
              {Object.entries(e.changes)
                .map(([f, [a, b]]) => `${f} ${show(a)} → ${show(b)}`)
                .join(', ')}
            </li>
          ))}
        </ul>
      )}
      <details className="live-locked small">
        <summary>{locks.length - live.length} locked while the run trains</summary>
        <ul>
          {locks
            .filter((f) => !f.live)
            .map((f) => (
              <li key={f.field} data-testid="locked-field" title={f.reason}>
                <code>{f.field}</code>: {f.reason}
              </li>
            ))}
        </ul>
      </details>
    </section>
  );
}
