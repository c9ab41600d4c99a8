// The inside view of one training forward pass (event `model/insides`, docs/events.md): scalars
// measured on the inner nodes' outputs while the pass runs. A forward given no probe computes
// nothing extra; one given a probe adds a few reductions, kept as scalars (tf.keep, so the pass's
// tidy scopes leave them) and read back together once the step is done.
import * as tf from '@tensorflow/tfjs-core';

/** One number measured on an inner node (layer: index in the repeat; absent for model-level nodes). */
export interface ProbeReading {
  innerId: string;
  layer?: number;
  stat: 'act_rms' | 'attn_entropy';
  value: number;
}

/** Below this a probability counts as 0 in the entropy (0 · ln 0 = 0, where the causal mask zeroes it). */
const TINY_PROBABILITY = 1e-30;

/**
 * Collects act_rms and attn_entropy scalars during one forward pass.
 * @example
 *   const probe = new ForwardProbe();
 *   const logits = model.forward(x, probe);
 *   const readings = await probe.read(); // [{ innerId: 'wte', stat: 'act_rms', value: 0.02 }, ...]
 */
export class ForwardProbe {
  private readonly pending: { key: Omit<ProbeReading, 'value'>; value: tf.Scalar }[] = [];

  /** Records sqrt(mean(out²)) over the whole output of an inner node. */
  activation(innerId: string, layer: number | undefined, out: tf.Tensor): void {
    const value = tf.tidy(() => tf.sqrt(tf.mean(tf.mul(out, out))) as tf.Scalar);
    this.keep({ innerId, layer, stat: 'act_rms' }, value);
  }

  /**
   * Records the mean entropy (nats) of attention rows: `probs` [..., T] sums to 1 over its last axis,
   * one row per (batch, head, query); the mean is over every row.
   */
  attention(innerId: string, layer: number, probs: tf.Tensor): void {
    const value = tf.tidy(() => {
      const plogp = tf.mul(probs, tf.log(tf.maximum(probs, TINY_PROBABILITY)));
      return tf.neg(tf.mean(tf.sum(plogp, -1))) as tf.Scalar;
    });
    this.keep({ innerId, layer, stat: 'attn_entropy' }, value);
  }

  private keep(key: Omit<ProbeReading, 'value'>, value: tf.Scalar): void {
    this.pending.push({ key, value: tf.keep(value) });
  }

  /** Every reading, in the order measured (one read back for all), then frees the scalars. */
  async read(): Promise<ProbeReading[]> {
    if (!this.pending.length) return [];
    const all = tf.stack(this.pending.map((p) => p.value));
    try {
      const values = await all.data();
      return this.pending.map((p, i) => ({ ...p.key, value: values[i] }));
    } finally {
      all.dispose();
      this.dispose();
    }
  }

  dispose(): void {
    for (const p of this.pending) p.value.dispose();
    this.pending.length = 0;
  }
}
