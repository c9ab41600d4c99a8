// A run snapshot as files: tensors -> safetensors bytes, everything else -> JSON metadata.
// Weights keep their model parameter names (wte, blocks.0.attn.wq, ...), so any executor, and
// Python's safetensors or numpy, can read them; optimizer state is stored beside as optim.*.
import * as tf from '@tensorflow/tfjs-core';
import type { CheckpointMeta, RunSnapshot } from '../runtime/types';
import { decodeSafetensors, encodeSafetensors, f32Tensor, i32Tensor, toFloat32, toInt32, type StTensor } from './safetensors';

/**
 * Serialises a snapshot's tensors (downloads them from the backend) into safetensors bytes.
 * @example const bytes = await encodeCheckpoint(snapshot);
 */
export async function encodeCheckpoint(snapshot: RunSnapshot): Promise<Uint8Array> {
  const tensors = new Map<string, StTensor>();
  for (const [name, t] of snapshot.tensors) {
    const data = await t.data();
    tensors.set(name, t.dtype === 'int32' ? i32Tensor(t.shape, data as Int32Array) : f32Tensor(t.shape, data as Float32Array));
  }
  return encodeSafetensors(tensors, {
    format: snapshot.meta.format,
    step: String(snapshot.meta.step),
    weights: JSON.stringify(snapshot.meta.weights),
  });
}

/** Decodes safetensors bytes into tf tensors the caller owns (F32/F16/BF16/F64 -> float32, ints -> int32). */
export function decodeCheckpointTensors(bytes: Uint8Array, name = 'checkpoint'): Map<string, tf.Tensor> {
  const { tensors } = decodeSafetensors(bytes, name);
  const out = new Map<string, tf.Tensor>();
  for (const [key, t] of tensors) {
    const isInt = t.dtype === 'I32' || t.dtype === 'I64' || t.dtype === 'U8' || t.dtype === 'I8' || t.dtype === 'U16' || t.dtype === 'I16' || t.dtype === 'U32';
    out.set(key, isInt ? tf.tensor(toInt32(t), t.shape, 'int32') : tf.tensor(toFloat32(t), t.shape, 'float32'));
  }
  return out;
}

/** Reads and sanity-checks checkpoint metadata (the JSON beside the weights). */
export function parseCheckpointMeta(meta: unknown, name = 'checkpoint'): CheckpointMeta {
  const m = meta as Partial<CheckpointMeta> | null;
  if (!m || typeof m !== 'object' || m.format !== 'pretrain-studio-checkpoint') {
    throw new Error(`${name}: not a Pretrain Studio checkpoint (metadata has no format 'pretrain-studio-checkpoint')`);
  }
  if (m.formatVersion !== 1) throw new Error(`${name}: checkpoint format version ${m.formatVersion} is not supported (this build reads 1)`);
  if (!Number.isSafeInteger(m.step) || (m.step as number) < 0) throw new Error(`${name}: metadata step is missing or invalid`);
  return m as CheckpointMeta;
}
