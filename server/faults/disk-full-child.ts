// Child of disk-full.faults.ts: trains the smoke pipeline with its checkpoints on a tiny tmpfs
// (mounted by the parent in a private mount namespace) and prints the run's error event and
// result as JSON lines. Environment: OUT_DIR (run folder; its checkpoints/ is the tmpfs),
// DATA (folder with train_ids.npy and valid_ids.npy).
import { readFileSync } from 'node:fs';
import { trainPipeline } from '../../engine/node/train';

const doc = JSON.parse(readFileSync(new URL('../../pipelines/smoke.json', import.meta.url), 'utf8'));
const set = (id: string, params: Record<string, unknown>) => Object.assign(doc.nodes.find((n: { id: string }) => n.id === id).params, params);
set('dataset', { source: 'files', train_path: 'train_ids.npy', valid_path: 'valid_ids.npy' });
set('model', { vocab_size: 32 });
set('sample', { prompt: '', every: 1000 });
set('checkpoint', { every: 2, keep_last: 5 });

const outcome = await trainPipeline({
  pipeline: doc,
  outDir: process.env.OUT_DIR!,
  backend: 'cpu',
  steps: 8,
  baseDir: process.env.DATA!,
  dataRoots: [process.env.DATA!],
  sink: { emit: (e) => void ((e.type === 'error' || e.type === 'checkpoint/saved') && console.log(JSON.stringify({ event: e }))) },
});
console.log(JSON.stringify({ result: outcome.compiled ? outcome.result : outcome.diagnostics }));
