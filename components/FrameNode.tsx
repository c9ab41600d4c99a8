// A group frame: a tinted rectangle behind its blocks with a title bar. Its box is computed from
// the blocks (lib/flow.ts); dragging the title drags them all; double-click the title to rename.
import type { NodeProps } from '@xyflow/react';
import { memo, useState } from 'react';
import type { FrameFlowNode } from '../lib/flow';
import { studio } from '../lib/store';
import { cls } from './theme';

export const DEFAULT_FRAME_COLOR = '#e2e8f0';

function FrameNodeView({ data, selected }: NodeProps<FrameFlowNode>) {
  const [draft, setDraft] = useState<string | null>(null);
  const commit = () => {
    if (draft !== null && draft.trim()) studio.getState().updateGroup(data.id, { title: draft.trim() });
    setDraft(null);
  };
  return (
    <div
      className={cls('frame', selected && 'is-selected')}
      data-testid="group-frame"
      data-group-id={data.id}
      style={{ '--frame': data.color ?? DEFAULT_FRAME_COLOR } as React.CSSProperties}
    >
      <div className="frame-title" onDoubleClick={() => setDraft(data.title)} title="Drag to move the group; double-click to rename">
        {draft !== null ? (
          <input
            className="nodrag"
            aria-label="Group title"
            autoFocus
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={commit}
            onKeyDown={(e) => {
              if (e.key === 'Enter') commit();
              if (e.key === 'Escape') setDraft(null);
            }}
          />
        ) : (
          <span>{data.title || 'Group'}</span>
        )}
      </div>
    </div>
  );
}

export const FrameNode = memo(FrameNodeView);
