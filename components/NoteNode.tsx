// A markdown note on the canvas: rendered with react-markdown (no raw HTML), edited in place on
// double-click, resizable when selected. Its text, position and size live in the document.
import { NodeResizer, type NodeProps } from '@xyflow/react';
import { memo, useState } from 'react';
import type { NoteFlowNode } from '../lib/flow';
import { studio } from '../lib/store';
import { Markdown } from './Markdown';
import { cls } from './theme';

function NoteNodeView({ data, selected }: NodeProps<NoteFlowNode>) {
  const [draft, setDraft] = useState<string | null>(null);
  const commit = () => {
    if (draft !== null) studio.getState().updateNote(data.id, { text: draft });
    setDraft(null);
  };
  return (
    <div
      className={cls('note', selected && 'is-selected', draft !== null && 'is-editing')}
      data-node-type="note"
      data-note-id={data.id}
      onDoubleClick={() => draft === null && setDraft(data.text)}
    >
      <NodeResizer isVisible={selected && draft === null} minWidth={140} minHeight={48} color="#a16207" />
      {draft !== null ? (
        <textarea
          className="note-editor nodrag nowheel"
          aria-label="Note text (markdown)"
          autoFocus
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setDraft(null);
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) commit();
          }}
        />
      ) : (
        <div className="note-body">{data.text.trim() ? <Markdown text={data.text} /> : <p className="muted">Empty note: double-click to write.</p>}</div>
      )}
    </div>
  );
}

export const NoteNode = memo(NoteNodeView);
