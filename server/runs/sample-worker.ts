// Worker thread that rebuilds a checkpoint's model (and its dataset's tokenizer) and generates
// text from it; started by sampleCheckpoint (sample.ts), it posts one SampleAnswer.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeCheckpointTensors, parseCheckpointMeta } from '../../engine/checkpoint/checkpoint';
import { compile } from '../../engine/compiler/compile';
import { readCheckpointFile } from '../../engine/node/checkpoint-dir';
import { nodeIO } from '../../engine/node/io';
import { registry } from '../../engine/nodes';
import { answer, sampleSource, type SampleAnswer } from '../../engine/runtime/ask';
import { implementationsFor } from '../../engine/runtime/kinds';
import { useBackend } from '../../engine/node/backend';
import { SampleStart } from './sample';

const start = SampleStart.parse(workerData);

async function generate(): Promise<SampleAnswer> {
  const file = await readCheckpointFile(start.checkpoint);
  const meta = parseCheckpointMeta(file.meta, file.name);
  const compiled = compile(meta.pipeline);
  if (!compiled.ok) return { error: 'its pipeline does not compile' };
  const backendName = await useBackend('wasm');
  const io = nodeIO({ outDir: start.dataDir, dataDir: start.dataDir, baseDir: start.dataDir, dataRoots: [start.dataDir] });
  // Only the dataset (for its tokenizer) and the model are built; nothing else of the run.
  const outputs = new Map<string, Record<string, unknown>>();
  for (const node of compiled.plan.nodes.filter((n) => n.kind === 'dataset' || n.kind === 'model')) {
    const runtime = await implementationsFor(registry).get(node.kind)!.create(node.params, {
      nodeId: node.id, inputs: {}, io, seed: compiled.plan.seed, totalSteps: compiled.plan.totalSteps, backendName, info: () => {}, notice: () => {},
    });
    const tensors = decodeCheckpointTensors(file.weights, file.name);
    runtime.loadState?.({ tensors });
    for (const t of tensors.values()) t.dispose();
    outputs.set(node.id, runtime.outputs ?? {});
  }
  const source = await sampleSource(outputs);
  if (!source) return { error: 'its pipeline has no model' };
  return answer(source, start.request, meta.step);
}

parentPort!.postMessage(await generate().catch((e: Error): SampleAnswer => ({ error: e.message })));
