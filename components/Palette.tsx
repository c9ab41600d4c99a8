// The palette: every node kind in the engine registry, grouped by category, searchable.
// Click a block (or Enter) to add it at the centre of the view with default params, or drag it
// to where it goes.
import { useReactFlow } from '@xyflow/react';
import { useState } from 'react';
import { NODE_KINDS } from '../engine/nodes';
import { CATEGORIES, type AnyNodeDefinition } from '../engine/nodes/define';
import { PORT_TYPES } from '../engine/ports';
import { freeSpot } from '../lib/flow';
import { studio } from '../lib/store';
import { categoryAccent } from './theme';

/** The drag payload type for a palette block. */
export const KIND_MIME = 'application/x-pretrain-kind';

function matches(def: AnyNodeDefinition, query: string): boolean {
  if (!query) return true;
  const ports = [...Object.values(def.inputs), ...Object.values(def.outputs)].map((p) => p.type);
  const haystack = [def.kind, def.title, def.description, def.category, ...ports, ...Object.keys(def.params.shape)].join(' ').toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

function PortDots({ ports }: { ports: AnyNodeDefinition['inputs'] }) {
  return (
    <span className="dots">
      {Object.entries(ports).map(([name, p]) => (
        <i key={name} style={{ background: PORT_TYPES[p.type]?.color }} title={`${p.label}: ${p.type}`} />
      ))}
    </span>
  );
}

export function Palette() {
  const [query, setQuery] = useState('');
  const rf = useReactFlow();
  const addAtCentre = (kind: string) => {
    const pane = document.querySelector('.canvas')?.getBoundingClientRect();
    const centre = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 0, y: 0 };
    const at = rf.screenToFlowPosition(centre);
    const { doc, sizes, addNode, reveal } = studio.getState();
    reveal(addNode(kind, freeSpot(doc, sizes, { x: at.x - 110, y: at.y - 50 })));
  };
  // Categories the registry uses but CATEGORIES does not list still show, last.
  const known = new Set(CATEGORIES.map((c) => c.id as string));
  const extra = [...new Set(NODE_KINDS.map((d) => d.category as string))].filter((c) => !known.has(c)).map((id) => ({ id, title: id }));
  const groups = [...CATEGORIES, ...extra]
    .map((c) => ({ ...c, kinds: NODE_KINDS.filter((d) => d.category === c.id && matches(d, query)) }))
    .filter((c) => c.kinds.length > 0);

  return (
    <aside className="palette" aria-label="Blocks">
      <input
        className="palette-search"
        data-testid="palette-search"
        type="search"
        placeholder="Search blocks…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <p className="palette-hint muted small">Click a block to add it, or drag it onto the canvas.</p>
      <div className="palette-list">
        {groups.map((c) => (
          <section key={c.id}>
            <h3 style={{ color: categoryAccent(c.id) }}>{c.title}</h3>
            {c.kinds.map((def) => (
              <div
                key={def.kind}
                className="palette-item"
                data-testid={`palette-${def.kind}`}
                draggable
                tabIndex={0}
                role="button"
                title={`${def.description}\nClick to add at the centre of the view, or drag onto the canvas.`}
                style={{ '--cat': categoryAccent(def.category) } as React.CSSProperties}
                onDragStart={(e) => {
                  e.dataTransfer.setData(KIND_MIME, def.kind);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                // The first click of a double-click adds; the second does not add another.
                onClick={(e) => e.detail <= 1 && addAtCentre(def.kind)}
                onKeyDown={(e) => e.key === 'Enter' && addAtCentre(def.kind)}
              >
                <span className="palette-title">{def.title}</span>
                <span className="palette-ports">
                  <PortDots ports={def.inputs} />
                  <span className="arrow">→</span>
                  <PortDots ports={def.outputs} />
                </span>
              </div>
            ))}
          </section>
        ))}
        {groups.length === 0 && <p className="muted small">No block matches “{query}”.</p>}
      </div>
    </aside>
  );
}
