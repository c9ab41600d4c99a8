// A model's inside view at one step (event `model/insides`, docs/events.md): the numbers its
// forward probe measured, and the gradient norm of each inner node's own parameters.
import * as tf from '@tensorflow/tfjs-core';
import type { InsideNumbers, InsidesData } from '../events';
import { insidesDue, LAYER_INSIDE_IDS, MODEL_INSIDE_IDS, paramGroups } from '../model-graph/insides';
import type { Gpt } from '../model/gpt';
import { ForwardProbe, type ProbeReading } from '../model/probe';

/** The inner ids in the order the event lists them: model-level ones around the block's. */
const EVENT_ORDER: string[] = [MODEL_INSIDE_IDS[0], MODEL_INSIDE_IDS[1], ...LAYER_INSIDE_IDS, MODEL_INSIDE_IDS[2], MODEL_INSIDE_IDS[3]];

/** A number as the event writes it: non-finite values become null. */
const plain = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * The L2 norm of each inner node's gradient, per layer: `grads` by parameter name (as the optimizer
 * receives them). Nodes with no parameter, or whose gradients are missing (a skipped update), get none.
 * @example await gradNorms(grads, ['wte', 'blocks.0.attn.wq'], 1) // Map { 'wte' => [0.11], 'attn' => [0.05] }
 */
export async function gradNorms(grads: ReadonlyMap<string, tf.Tensor>, paramNames: Iterable<string>, nLayers: number): Promise<Map<string, number[]>> {
  const groups = [...paramGroups(paramNames, nLayers)].filter(([, lists]) => lists.every((names) => names.length && names.every((n) => grads.has(n))));
  if (!groups.length) return new Map();
  // One sum of squares per (node, layer), stacked so the values come back in one read.
  const sums = tf.tidy(() =>
    tf.stack(groups.flatMap(([, lists]) => lists.map((names) => tf.addN(names.map((n) => tf.sum(tf.mul(grads.get(n)!, grads.get(n)!))))))),
  );
  const values = await sums.data();
  sums.dispose();
  let at = 0;
  return new Map(groups.map(([id, lists]) => [id, lists.map(() => Math.sqrt(values[at++]))]));
}

/**
 * The event's data from a probe's readings and the gradient norms: one array per stat and inner
 * node, nLayers long for the block's nodes, one entry for model-level nodes.
 */
export function insidesData(nLayers: number, readings: readonly ProbeReading[], norms: ReadonlyMap<string, number[]>): InsidesData {
  const numbers = new Map<string, InsideNumbers>();
  const entry = (id: string) => numbers.get(id) ?? numbers.set(id, {}).get(id)!;
  for (const r of readings) {
    const values = (entry(r.innerId)[r.stat] ??= Array.from({ length: r.layer === undefined ? 1 : nLayers }, () => null));
    values[r.layer ?? 0] = plain(r.value);
  }
  for (const [id, values] of norms) entry(id).grad_norm = values.map(plain);
  const rank = (id: string) => (EVENT_ORDER.includes(id) ? EVENT_ORDER.indexOf(id) : EVENT_ORDER.length);
  const ids = [...numbers.keys()].sort((a, b) => rank(a) - rank(b));
  return { layers: nLayers, blocks: Object.fromEntries(ids.map((id) => [id, numbers.get(id)!])) };
}

/**
 * A model runtime's inside view: hands its forward a probe on the first micro-batch of each due
 * step, and turns that probe and the step's gradients into the event's data. `settings` is the
 * node's params object, which a live edit of inspect_every updates in place.
 */
export class InsideView {
  private probedStep = -1;
  private probe?: ForwardProbe;

  constructor(
    private readonly gpt: Gpt,
    private readonly settings: { inspect_every: number },
  ) {}

  /** The probe for a forward pass of step index `step` (0-based): only the first pass of a due step gets one. */
  probeFor(step: number): ForwardProbe | undefined {
    if (step === this.probedStep || !insidesDue(step + 1, this.settings.inspect_every)) return undefined;
    this.probe?.dispose();
    this.probedStep = step;
    return (this.probe = new ForwardProbe());
  }

  /** The inside view of step index `step`, if its forward was probed; `grads` as the optimizer receives them. */
  async collect(step: number, grads: ReadonlyMap<string, tf.Tensor> | undefined): Promise<InsidesData | undefined> {
    const probe = step === this.probedStep ? this.probe : undefined;
    if (!probe) return undefined;
    this.probe = undefined;
    const readings = await probe.read();
    const nLayers = this.gpt.config.nLayers;
    const norms = grads?.size ? await gradNorms(grads, this.gpt.params.keys(), nLayers) : new Map<string, number[]>();
    return insidesData(nLayers, readings, norms);
  }

  dispose(): void {
    this.probe?.dispose();
    this.probe = undefined;
  }
}
