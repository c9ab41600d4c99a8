// The inspector's extras for data blocks: for a dataset block reading the library, the dataset
// dropdown (ready datasets: name, tokens, tokenizer), a drop zone that uploads a file into the
// library and selects it, the vocabulary check against the models with a one-click fix; for it
// and for get_batch, the batch preview.
import { useShallow } from 'zustand/react/shallow';
import { useDatasets, type DatasetStatus } from '../lib/datasets-client';
import { studio, useStudio } from '../lib/store';
import { BatchPreview } from './BatchPreview';
import { DatasetState, formatCount } from './DatasetState';
import { DatasetUpload } from './DatasetUpload';
import { modelNumber } from '../engine/nodes/model';

type Params = Record<string, unknown>;

function VocabCheck({ dataset }: { dataset: DatasetStatus }) {
  // The model nodes themselves (stable objects of the document), so the selection stays equal between renders.
  const modelNodes = useStudio(useShallow((s) => s.doc.nodes.filter((n) => n.type === 'model')));
  const models = modelNodes.flatMap((n) => {
    const vocab = modelNumber(n, 'vocab_size'); // from the model's insides (its embedding)
    return Number.isNaN(vocab) ? [] : [{ id: n.id, vocab }];
  });
  const vocab = dataset.vocab_size;
  if (vocab === null) return null;
  return (
    <>
      {models
        .filter((m) => m.vocab !== vocab)
        .map((m) => (
          <div key={m.id} className={m.vocab < vocab ? 'field-error' : 'muted small'} data-testid="vocab-check">
            {m.id}.vocab_size is {m.vocab}; {dataset.name} has {vocab} token ids{m.vocab < vocab ? ': the model cannot embed them all' : ''}.{' '}
            <button type="button" className="button small" data-testid="vocab-fix" onClick={() => studio.getState().setParam(m.id, 'vocab_size', vocab)}>
              Set {m.id}.vocab_size to {vocab}
            </button>
          </div>
        ))}
    </>
  );
}

function LibraryPicker({ nodeId, chosen }: { nodeId: string; chosen: string }) {
  const { datasets } = useDatasets();
  const list = Object.values(datasets).sort((a, b) => a.name.localeCompare(b.name));
  const current = datasets[chosen];
  const choose = (id: string) => studio.getState().setParam(nodeId, 'dataset', id);
  return (
    <section data-testid="library-picker">
      <h3>Library dataset</h3>
      <select className="input" data-testid="library-select" value={chosen} onChange={(e) => choose(e.target.value)}>
        <option value="">Choose a dataset…</option>
        {list
          .filter((d) => d.state === 'ready' || d.id === chosen)
          .map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} · {formatCount((d.train_tokens ?? 0) + (d.valid_tokens ?? 0))} tokens · {d.tokenizer}
            </option>
          ))}
      </select>
      {chosen && !current && <div className="field-error">{chosen} is not in this server's library</div>}
      {current && current.state !== 'ready' && <DatasetState status={current} />}
      {current?.state === 'ready' && <VocabCheck dataset={current} />}
      <DatasetUpload compact onUploaded={choose} />
      {list
        .filter((d) => d.state === 'tokenizing' && d.id !== chosen)
        .map((d) => (
          <div key={d.id} className="small">
            {d.name}: <DatasetState status={d} />
          </div>
        ))}
    </section>
  );
}

/** The library dataset a get_batch or dataset block draws from, with the get_batch params. */
function useBatchSource(nodeId: string, type: string) {
  return useStudio(
    useShallow((s) => {
      const byId = new Map(s.doc.nodes.map((n) => [n.id, n]));
      const edges = s.doc.edges;
      const batcher =
        type === 'get_batch'
          ? byId.get(nodeId)
          : byId.get(edges.find((e) => e.source === nodeId && e.sourceHandle === 'train' && byId.get(e.target)?.type === 'get_batch')?.target ?? '');
      const datasetId = type === 'dataset' ? nodeId : edges.find((e) => e.target === batcher?.id && e.targetHandle === 'tokens')?.source;
      const dataset = datasetId ? byId.get(datasetId) : undefined;
      const p = (batcher?.params ?? {}) as Params;
      const d = (dataset?.params ?? {}) as Params;
      return {
        library: d.source === 'library' ? String(d.dataset ?? '') : '',
        batchSize: Number(p.batch_size ?? 16),
        contextLength: Number(p.context_length ?? 64),
        seed: Number(p.seed ?? 1337),
        hasBatcher: Boolean(batcher),
      };
    }),
  );
}

export function DataInspector({ nodeId, type }: { nodeId: string; type: string }) {
  const params = useStudio((s) => s.doc.nodes.find((n) => n.id === nodeId)?.params as Params | undefined);
  const source = useBatchSource(nodeId, type);
  const { datasets } = useDatasets();
  if (type !== 'dataset' && type !== 'get_batch') return null;
  const ready = datasets[source.library]?.state === 'ready' ? datasets[source.library] : undefined;
  return (
    <>
      {type === 'dataset' && params?.source === 'library' && <LibraryPicker nodeId={nodeId} chosen={String(params.dataset ?? '')} />}
      {ready && source.hasBatcher && (
        <section>
          <h3>Batch preview</h3>
          <BatchPreview dataset={ready} batchSize={source.batchSize} contextLength={source.contextLength} seed={source.seed} />
        </section>
      )}
    </>
  );
}
