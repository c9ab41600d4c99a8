// Embedding lookup (gather rows of a table) with a gradient that works on every backend.
// The forward lookup uses the GatherRows kernel on wasm (see kernels/wasm/GatherRows.ts).
// Why: tf.gather's gradient uses the UnsortedSegmentSum kernel, which the wasm backend does not
// register, so training through tf.gather fails there. The gradient of a row lookup is a
// scatter-add of the output gradient into the table's rows; tf.scatterND sums duplicate indices
// (checked on cpu and wasm in embedding.test.ts), which is exactly what repeated tokens need.
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from '../customGrad';
import { GatherRows, type GatherRowsInputs } from '../names';
import { ensureKernelsRegistered } from '../register';

/** table[ids] for ids [N]: the GatherRows kernel where registered (wasm), else tf.gather. */
function gatherRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  ensureKernelsRegistered();
  if (!tf.getKernel(GatherRows, tf.getBackend())) return tf.gather(table, ids);
  const inputs: GatherRowsInputs = { table, ids };
  return tf.engine().runKernel(GatherRows, inputs as unknown as tf.NamedTensorMap) as tf.Tensor;
}

function embedding_(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embedding: ids must be int32, got ${ids.dtype}`);
  const [V, C] = table.shape;
  const N = ids.size;
  const lookup = customGrad((tableIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const idsCol = tf.reshape(ids, [N, 1]); // [...ids] -> [N, 1]
    // Saved (kept) for the backward pass; the ids themselves get no gradient.
    save([idsCol]);
    return {
      value: gatherRows(tableIn, tf.reshape(ids, [N])), // [V, C] -> [N, C]
      gradFunc: (dy: tf.Tensor, [savedIds]: tf.Tensor[]) => tf.scatterND(savedIds, dy, [V, C]), // sums repeats
    };
  });
  return tf.reshape(lookup(table), [...ids.shape, C]); // [N, C] -> [...ids, C]
}

/**
 * Looks up rows of `table` [V, C] for int32 `ids` of any shape; returns [...ids.shape, C].
 * Differentiable with respect to the table on every backend (wasm included).
 * @example
 *   const h = embedding(wte, tokens); // [V, C], [B, T] -> [B, T, C]
 */
export const embedding = tf.op({ embedding_ });
