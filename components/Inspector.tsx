// The inspector: what is selected, editable. One block: its params form, ports and problems.
// A note, a group, an edge or several items: their own small panels. Nothing: pipeline settings.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { modelGraphRegistry } from '../engine/model-graph/kinds';
import { registry } from '../engine/nodes';
import { PORT_TYPES } from '../engine/ports';
import { parseFlowId } from '../lib/edits';
import { edgePortType } from '../lib/flow';
import { innerNode } from '../lib/model-view';
import { studio, useStudio } from '../lib/store';
import { DataInspector } from './DataInspector';
import { Field, TextInput } from './fields';
import { DEFAULT_FRAME_COLOR } from './FrameNode';
import { LiveEdits } from './LiveEdits';
import { ParamForm } from './ParamForm';
import { PromptBox } from './PromptBox';
import { PipelineSettings } from './PipelineSettings';
import { categoryAccent } from './theme';

/** A block inside the opened model: its params, written to the model block as `<innerId>.<param>`. */
function InnerInspector({ modelId, id }: { modelId: string; id: string }) {
  const model = useStudio((s) => s.doc.nodes.find((n) => n.id === modelId));
  const problems = useStudio(useShallow((s) => s.diagnostics.filter((d) => d.nodeId === modelId && d.innerNodeId === id)));
  const inner = model && innerNode(model, id);
  if (!inner) return null;
  const def = modelGraphRegistry.get(inner.type);
  const asNode = { id, type: inner.type, params: inner.params ?? {}, position: inner.position ?? { x: 0, y: 0 } };
  // The form matches problems by param name: strip the `<innerId>.` the model block's diagnostics carry.
  const local = problems.map((d) => ({ ...d, field: d.field?.slice(id.length + 1) || undefined }));
  const paramKeys = new Set(def ? Object.keys(def.params.shape) : []);
  const general = local.filter((d) => !d.field || !paramKeys.has(d.field));
  return (
    <div className="inspector-node" data-testid="inner-inspector">
      <header className="inspector-head" style={{ '--cat': categoryAccent(def?.category) } as React.CSSProperties}>
        <h2>{def?.title ?? inner.type}</h2>
        <div className="muted small">
          <code>{inner.type}</code> · id <code>{id}</code> · inside <code>{modelId}</code>
        </div>
        {def && <p className="small">{def.description}</p>}
      </header>
      {general.length > 0 && (
        <ul className="inspector-problems" data-testid="inspector-problems">
          {general.map((d, i) => (
            <li key={i}>
              {d.field && <b>{d.field}: </b>}
              {d.message}
            </li>
          ))}
        </ul>
      )}
      {def && (
        <section>
          <h3>Settings</h3>
          <ParamForm node={asNode} def={def} problems={local} target={{ nodeId: modelId, prefix: `${id}.` }} />
        </section>
      )}
    </div>
  );
}

function NodeInspector({ id }: { id: string }) {
  const node = useStudio((s) => s.doc.nodes.find((n) => n.id === id));
  const problems = useStudio(useShallow((s) => s.diagnostics.filter((d) => d.nodeId === id)));
  const edges = useStudio(useShallow((s) => s.doc.edges.filter((e) => e.source === id || e.target === id)));
  const [rename, setRename] = useState<{ text: string; problem: string | null } | null>(null);
  if (!node) return null;
  const def = registry.get(node.type);
  // Problems about a param show next to it in the form; the rest (ports, wiring) show here.
  const paramKeys = new Set(def ? Object.keys(def.params.shape) : []);
  const general = problems.filter((d) => !d.field || !paramKeys.has(d.field));
  const commitRename = () => {
    if (!rename) return;
    const problem = studio.getState().renameNode(id, rename.text.trim());
    setRename(problem ? { ...rename, problem } : null);
  };
  return (
    <div className="inspector-node">
      <header className="inspector-head" style={{ '--cat': categoryAccent(def?.category) } as React.CSSProperties}>
        <h2>{def?.title ?? node.type}</h2>
        <div className="muted small">
          <code>{node.type}</code> · id{' '}
          {rename ? (
            <input
              className="input inline"
              aria-label="Block id"
              autoFocus
              value={rename.text}
              onChange={(e) => setRename({ text: e.target.value, problem: null })}
              onBlur={commitRename}
              onKeyDown={(e) => {
                if (e.key === 'Enter') commitRename();
                if (e.key === 'Escape') setRename(null);
              }}
            />
          ) : (
            <button type="button" className="link" title="Rename" onClick={() => setRename({ text: id, problem: null })}>
              <code>{id}</code> ✎
            </button>
          )}
        </div>
        {rename?.problem && <div className="field-error">{rename.problem}</div>}
        {def && <p className="small">{def.description}</p>}
      </header>
      {general.length > 0 && (
        <ul className="inspector-problems" data-testid="inspector-problems">
          {general.map((d, i) => (
            <li key={i}>
              {d.field && <b>{d.field}: </b>}
              {d.message}
            </li>
          ))}
        </ul>
      )}
      {def && (
        <section>
          <h3>Ports</h3>
          <ul className="port-list">
            {(['inputs', 'outputs'] as const).flatMap((side) =>
              Object.entries(def[side]).map(([name, spec]) => {
                const linked = edges.filter((e) =>
                  side === 'inputs' ? e.target === id && e.targetHandle === name : e.source === id && e.sourceHandle === name,
                );
                const links = linked.map((e) => (side === 'inputs' ? `← ${e.source}.${e.sourceHandle}` : `→ ${e.target}.${e.targetHandle}`)).join(', ');
                return (
                  <li key={`${side}:${name}`}>
                    <i className="dot" style={{ background: PORT_TYPES[spec.type]?.color }} />
                    <span className="muted">{side === 'inputs' ? 'in' : 'out'}</span> <b>{spec.label}</b> <span className="muted">{spec.type}</span>
                    <span className="port-links" title={links || undefined}>
                      {linked.length ? (
                        links
                      ) : side === 'inputs' && !spec.optional ? (
                        <span className="warn">not connected</span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </span>
                  </li>
                );
              }),
            )}
          </ul>
        </section>
      )}
      {def ? (
        <>
          <section>
            <h3>Settings</h3>
            <ParamForm node={node} def={def} problems={problems} />
          </section>
          <DataInspector nodeId={id} type={node.type} />
        </>
      ) : null}
      {def ? <LiveEdits nodeId={id} kind={node.type} /> : null}
      {node.type === 'sample' ? <PromptBox /> : null}
      {def ? null : (
        <p className="field-error">
          Unknown node kind '{node.type}': this build has {[...registry.keys()].join(', ')}.
        </p>
      )}
    </div>
  );
}

function NoteInspector({ id }: { id: string }) {
  const note = useStudio((s) => s.doc.notes.find((n) => n.id === id));
  if (!note) return null;
  return (
    <div>
      <header className="inspector-head">
        <h2>Note</h2>
        <p className="small muted">Markdown. Double-click the note on the canvas to edit it in place.</p>
      </header>
      <Field label="Text">{(fid) => <TextInput id={fid} multiline value={note.text} onChange={(text) => studio.getState().updateNote(id, { text })} />}</Field>
    </div>
  );
}

const FRAME_COLORS = [DEFAULT_FRAME_COLOR, '#dbeafe', '#dcfce7', '#fde68a', '#fee2e2', '#ede9fe'];

function GroupInspector({ id }: { id: string }) {
  const group = useStudio((s) => s.doc.groups.find((g) => g.id === id));
  if (!group) return null;
  return (
    <div>
      <header className="inspector-head">
        <h2>Group</h2>
        <p className="small muted">
          A named frame around {group.nodeIds.length} block{group.nodeIds.length === 1 ? '' : 's'}. Drag its title to move them together.
        </p>
      </header>
      <Field label="Title">
        {(fid) => <TextInput id={fid} testId="group-title" value={group.title} onChange={(title) => studio.getState().updateGroup(id, { title })} />}
      </Field>
      <Field label="Colour">
        {() => (
          <div className="swatches">
            {FRAME_COLORS.map((c) => (
              <button
                key={c}
                type="button"
                className="swatch"
                aria-label={`Colour ${c}`}
                aria-pressed={(group.color ?? DEFAULT_FRAME_COLOR) === c}
                style={{ background: c }}
                onClick={() => studio.getState().updateGroup(id, { color: c })}
              />
            ))}
          </div>
        )}
      </Field>
      <p className="small">
        Blocks:{' '}
        {group.nodeIds.map((n) => (
          <code key={n}>{n} </code>
        ))}
      </p>
      <button type="button" className="button" onClick={() => studio.getState().ungroup(id)}>
        Ungroup
      </button>
    </div>
  );
}

function EdgeInspector({ id }: { id: string }) {
  const doc = useStudio((s) => s.doc);
  const problems = useStudio(useShallow((s) => s.diagnostics.filter((d) => d.edgeId === id)));
  const edge = doc.edges.find((e) => e.id === id);
  if (!edge) return null;
  const type = edgePortType(doc, edge);
  return (
    <div>
      <header className="inspector-head">
        <h2>Connection</h2>
        <p className="small">
          <code>
            {edge.source}.{edge.sourceHandle}
          </code>{' '}
          →{' '}
          <code>
            {edge.target}.{edge.targetHandle}
          </code>
        </p>
        {type && (
          <p className="small">
            <i className="dot" style={{ background: PORT_TYPES[type].color }} /> {type}: {PORT_TYPES[type].description}
          </p>
        )}
      </header>
      {problems.map((d, i) => (
        <div key={i} className="field-error">
          {d.message}
        </div>
      ))}
      <button type="button" className="button" onClick={() => studio.getState().removeSelection()}>
        Delete connection
      </button>
    </div>
  );
}

function MultiInspector({ nodes, edges }: { nodes: string[]; edges: string[] }) {
  const blocks = nodes.filter((n) => parseFlowId(n).kind === 'block').length;
  return (
    <div>
      <header className="inspector-head">
        <h2>{nodes.length + edges.length} items selected</h2>
        <p className="small muted">
          {blocks} block{blocks === 1 ? '' : 's'}, {nodes.length - blocks} other item{nodes.length - blocks === 1 ? '' : 's'}, {edges.length} connection
          {edges.length === 1 ? '' : 's'}
        </p>
      </header>
      <div className="button-row">
        <button type="button" className="button" data-testid="group-selection" disabled={blocks === 0} onClick={() => studio.getState().groupSelection()}>
          Group blocks
        </button>
        <button type="button" className="button" onClick={() => studio.getState().copySelection()}>
          Copy
        </button>
        <button type="button" className="button danger" onClick={() => studio.getState().removeSelection()}>
          Delete
        </button>
      </div>
    </div>
  );
}

export function Inspector() {
  const selection = useStudio((s) => s.selection);
  const modelView = useStudio((s) => s.modelView);
  if (modelView) {
    return (
      <div className="inspector" data-testid="inspector">
        {modelView.selected ? (
          <InnerInspector key={modelView.selected} modelId={modelView.modelId} id={modelView.selected} />
        ) : (
          <NodeInspector id={modelView.modelId} />
        )}
      </div>
    );
  }
  const count = selection.nodes.length + selection.edges.length;
  let body: React.ReactNode;
  if (count === 0) body = <PipelineSettings />;
  else if (count > 1) body = <MultiInspector nodes={selection.nodes} edges={selection.edges} />;
  else if (selection.edges.length) body = <EdgeInspector id={selection.edges[0]} />;
  else {
    const { kind, id } = parseFlowId(selection.nodes[0]);
    body = kind === 'block' ? <NodeInspector key={id} id={id} /> : kind === 'note' ? <NoteInspector id={id} /> : <GroupInspector id={id} />;
  }
  return (
    <div className="inspector" data-testid="inspector">
      {body}
    </div>
  );
}
