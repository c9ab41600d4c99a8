// Checkpoints uploaded to the server (POST /api/checkpoints) to start runs from, e.g. one trained
// in a browser tab: RUNS_DIR/uploads/<id>/<name>.safetensors + <name>.json, one checkpoint per
// folder. They are checked with the engine's own decoders before they are stored, and written by
// the engine's directory checkpoint store (temporary files, fsync, rename, the .json last as the
// commit marker), so an upload cut short by a crash does not exist. Ids are made by the server.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCheckpointMeta } from '../../engine/checkpoint/checkpoint';
import { decodeSafetensors, type StTensor } from '../../engine/checkpoint/safetensors';
import { checkCheckpointName, checkpointName } from '../../engine/checkpoint/checkpoint-store';
import { gptParamSpecs } from '../../engine/model/param-specs';
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import { gptConfig } from '../../engine/nodes/model';
import type { CheckpointMeta } from '../../engine/runtime/types';
import type { Plan } from '../../engine/plan';
import { isRunId, newRunId } from './ids';

/** What the server knows of an upload (the reply of POST and GET /api/checkpoints). */
export interface UploadInfo {
  id: string;
  /** The checkpoint's name, e.g. 'ckpt-000010'. */
  name: string;
  /** Optimizer steps completed: a run started from it logs step + 1 first. */
  step: number;
  /** Size of the .safetensors file. */
  bytes: number;
  /** Who wrote it: 'browser', 'node', 'torch'. */
  executor?: string;
  savedAt?: string;
}

/** A checkpoint that cannot be accepted; the message says what is wrong and where. */
export class UploadError extends Error {}

/** A checkpoint read and checked, ready to store. */
export interface CheckedCheckpoint {
  name: string;
  weights: Uint8Array;
  meta: CheckpointMeta;
  tensors: Map<string, StTensor>;
}

/**
 * Checks a checkpoint pair as the engine will read it: the .safetensors with decodeSafetensors
 * (header, dtypes, offsets, no gap, no overlap), the metadata with parseCheckpointMeta, and that
 * the two belong together. Throws UploadError naming the file and what is wrong.
 * @example const checked = checkCheckpoint(bytes, JSON.parse(text)); // name from meta.step: 'ckpt-000010'
 */
export function checkCheckpoint(weights: Uint8Array, meta: unknown, name?: string): CheckedCheckpoint {
  let parsed: CheckpointMeta;
  try {
    parsed = parseCheckpointMeta(meta, 'the metadata');
  } catch (e) {
    throw new UploadError((e as Error).message);
  }
  const checkpoint = name ?? checkpointName(parsed.step);
  try {
    checkCheckpointName(checkpoint);
  } catch (e) {
    throw new UploadError((e as Error).message);
  }
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(weights, `${checkpoint}.safetensors`);
  } catch (e) {
    throw new UploadError((e as Error).message);
  }
  if (decoded.tensors.size === 0) throw new UploadError(`${checkpoint}.safetensors holds no tensors`);
  // The engine writes the step into the file's own metadata too: a pair of two checkpoints is refused.
  const fileStep = decoded.metadata.step;
  if (fileStep !== undefined && fileStep !== String(parsed.step)) {
    throw new UploadError(`${checkpoint}.safetensors says step ${fileStep} but the metadata says step ${parsed.step}: not the same checkpoint`);
  }
  if (parsed.weights !== undefined) {
    if (!Array.isArray(parsed.weights) || !parsed.weights.every((w) => typeof w === 'string')) throw new UploadError('the metadata\'s weights must be a list of tensor names');
    const absent = parsed.weights.filter((w) => !decoded.tensors.has(w));
    if (absent.length) throw new UploadError(`the metadata lists weights that ${checkpoint}.safetensors does not hold: ${absent.slice(0, 5).join(', ')}${absent.length > 5 ? `, … (${absent.length})` : ''}`);
  }
  if (parsed.nodes !== undefined && (parsed.nodes === null || typeof parsed.nodes !== 'object' || Array.isArray(parsed.nodes))) {
    throw new UploadError('the metadata\'s nodes must be an object of node states by node id');
  }
  return { name: checkpoint, weights, meta: parsed, tensors: decoded.tensors };
}

/** An upload read back to start a run from. */
export interface LoadedUpload {
  info: UploadInfo;
  checkpoint: CheckedCheckpoint;
}

/** A problem between a checkpoint and a pipeline, addressed to the node at fault. */
export interface FitProblem {
  nodeId: string;
  message: string;
}

/**
 * Whether the checkpoint's model weights are exactly the ones the pipeline's model has (names and
 * shapes, from the same gptParamSpecs the model is built from). The engine's restore refuses
 * missing and misshapen weights too, but ignores extra ones; a run that continues a checkpoint
 * must not drop layers silently, so extras are refused here. Optimizer state is checked by the
 * engine when the run starts (the run then fails on the optimizer node).
 */
export function checkpointFitsPlan(plan: Plan, checkpoint: CheckedCheckpoint): FitProblem[] {
  const problems: FitProblem[] = [];
  const weightNames = Array.isArray(checkpoint.meta.weights) && checkpoint.meta.weights.length
    ? checkpoint.meta.weights
    : [...checkpoint.tensors.keys()].filter((n) => !n.startsWith('optim.'));
  for (const node of plan.nodes.filter((n) => n.kind === 'model')) {
    const specs = gptParamSpecs(gptConfig(node.params as Parameters<typeof gptConfig>[0]));
    const expected = new Map(specs.map((s) => [s.name, s.shape]));
    const found: string[] = [];
    for (const [name, shape] of expected) {
      const t = checkpoint.tensors.get(name);
      if (!t) found.push(`the checkpoint has no ${name} [${shape.join(', ')}]`);
      else if (t.shape.join() !== shape.join()) found.push(`${name} is [${t.shape.join(', ')}] in the checkpoint, [${shape.join(', ')}] in this model`);
    }
    for (const name of weightNames) if (!expected.has(name)) found.push(`the checkpoint has ${name} [${checkpoint.tensors.get(name)?.shape.join(', ')}], which this model does not`);
    if (found.length) {
      const shown = found.slice(0, 4).join('; ') + (found.length > 4 ? `; and ${found.length - 4} more` : '');
      problems.push({ nodeId: node.id, message: `does not match the checkpoint ${checkpoint.name}: ${shown}` });
    }
  }
  return problems;
}

/**
 * The uploads folder.
 * @example
 *   const uploads = new UploadStore('runs/uploads');
 *   const info = await uploads.add(checkCheckpoint(bytes, meta));
 *   const { weights, meta } = (await uploads.load(info.id))!;
 */
export class UploadStore {
  constructor(readonly root: string) {}

  /** Stores a checked checkpoint under a new id. */
  async add(checkpoint: CheckedCheckpoint): Promise<UploadInfo> {
    const id = newRunId();
    const entry = await directoryCheckpointStore(join(this.root, id)).save(checkpoint.name, checkpoint.weights, checkpoint.meta);
    return infoOf(id, entry.name, entry.bytes, checkpoint.meta);
  }

  /** The upload's info, or undefined for an id that is malformed, unknown or not completely written. */
  async get(id: string): Promise<UploadInfo | undefined> {
    const dir = this.dirOf(id);
    if (!dir) return undefined;
    const entry = (await directoryCheckpointStore(dir).list()).at(-1);
    if (!entry) return undefined;
    const meta = JSON.parse(await readFile(join(dir, `${entry.name}.json`), 'utf8')) as CheckpointMeta;
    return infoOf(id, entry.name, entry.bytes, meta);
  }

  /** The upload, checked again (it is about to be trained from), or undefined as for get(). */
  async load(id: string): Promise<LoadedUpload | undefined> {
    const dir = this.dirOf(id);
    if (!dir) return undefined;
    const store = directoryCheckpointStore(dir);
    const entry = (await store.list()).at(-1);
    if (!entry) return undefined;
    const { weights, meta } = await store.load(entry.name);
    const checkpoint = checkCheckpoint(weights, meta, entry.name);
    return { info: infoOf(id, entry.name, entry.bytes, checkpoint.meta), checkpoint };
  }

  /** The folder of a well-formed id (server-made ids only look like this), else undefined. */
  private dirOf(id: string): string | undefined {
    return isRunId(id) ? join(this.root, id) : undefined;
  }
}

function infoOf(id: string, name: string, bytes: number, meta: CheckpointMeta): UploadInfo {
  return {
    id, name, step: meta.step, bytes,
    ...(typeof meta.executor === 'string' ? { executor: meta.executor } : {}),
    ...(typeof meta.savedAt === 'string' ? { savedAt: meta.savedAt } : {}),
  };
}

