// Optimizers for tfjs parameters that match torch.optim (1.13) step for step: AdamW, Adam, SGD and
// Adagrad, plus Lion and Muon, which torch lacks. Each kind is declared in kinds/<kind>.ts (settings,
// state slots, weight-decay rule, PyTorch source) and updates a param in updates/<kind>.ts; this
// file owns the state and the loop. Checked against fixtures/optimizers.json and fixtures/muon.json.
//
// One update per param, each in its own tf.tidy (Adam and AdamW: one fused kernel on wasm and
// cpu); state lives in tf.Variables that are updated with `assign`, so the tensor count stays
// flat across steps. Like torch, every param keeps its own step count: a param that gets no
// gradient is skipped and its bias correction does not advance.

import * as tf from '@tensorflow/tfjs-core';
import { optimizer as optimizerNode } from '../nodes/optimizer';
import type { SharedSetting } from './kinds/define';
import { OPTIMIZER_KINDS, optimizerKind, paramDecay, type OptimizerKind } from './kinds';
import { OPTIMIZER_UPDATES } from './updates';
import type { Fail, Settings, Slots } from './updates/define';

export type { OptimizerKind };
export type { Settings as OptimizerSettings };

/**
 * Hyperparameters of the torch.optim kinds in camelCase (createOptimizer); the runtime passes the
 * node's params instead (optimizerFromSettings). A kind reads only its own fields. Torch's defaults
 * in brackets.
 */
export interface OptimizerConfig {
  kind: OptimizerKind;
  beta1: number; // adam/adamw: first-moment decay [0.9]; lion: interpolation for the sign [0.9]
  beta2: number; // adam/adamw: second-moment decay [0.999]; lion: momentum decay [0.99]
  eps: number; // added to the denominator: adam/adamw after the bias-corrected sqrt [1e-8]; adagrad [1e-10]
  weightDecay: number; // adamw & lion: decoupled, p *= 1 - lr*wd; adam/sgd/adagrad: L2, grad += wd*p
  decayNormsAndBiases: boolean; // false: params of rank < 2 (norm weights, biases) get no decay (nanoGPT)
  momentum: number; // sgd momentum [0]
  nesterov: boolean; // sgd Nesterov momentum; needs momentum > 0 and dampening 0 [false]
  dampening: number; // sgd: the new gradient enters the buffer scaled by 1 - dampening [0]
  initialAccumulator: number; // adagrad: starting value of the squared-gradient sum [0]
  lrDecay?: number; // adagrad: lr / (1 + (t - 1) * lrDecay) at the param's t-th step [0]
}

/** A stateful optimizer over a fixed, ordered set of params. */
export interface Optimizer {
  readonly kind: OptimizerKind;
  /**
   * One update with learning rate `lr`. Params missing from `grads` are skipped (their state and
   * step count stay put); a grad for an unknown name or of the wrong shape throws before anything
   * changes. Disposes nothing it doesn't own (the grads stay the caller's); leaks no tensors.
   */
  step(grads: Map<string, tf.Tensor>, lr: number): void;
  /**
   * State for checkpoints, as copies the caller owns: 'optim.step' (int32 scalar: calls to step),
   * per param 'optim.step.<name>' (int32 scalar: updates that param received) and the slots of
   * the kind, 'optim.<slot>.<name>' with the param's shape — adam/adamw: m, v; lion: m;
   * sgd (momentum > 0): momentum; adagrad: sum; muon: momentum (hidden matrices), else m, v.
   */
  getState(): Map<string, tf.Tensor>;
  /**
   * Restores what getState returned (entries not starting with 'optim.' are ignored, so a whole
   * checkpoint can be passed). Checks everything before changing anything and throws an error
   * naming the missing, mis-shaped or unexpected tensor. The caller keeps ownership of `state`.
   */
  setState(state: Map<string, tf.Tensor>): void;
  /** Calls to step so far (restored by setState). */
  readonly stepCount: number;
  /** Frees the optimizer's state tensors; the params stay the caller's. */
  dispose(): void;
  /** Whether weight decay is applied to param `name` (false for every param when its decay is 0). */
  decayed(name: string): boolean;
}

/** The shared settings each checks, when the kind lists it in `uses`. */
const SHARED_CHECKS: Record<SharedSetting, { ok: (value: number) => boolean; range: string }> = {
  beta1: { ok: (v) => v >= 0 && v < 1, range: 'in [0, 1)' },
  beta2: { ok: (v) => v >= 0 && v < 1, range: 'in [0, 1)' },
  eps: { ok: (v) => v >= 0, range: '>= 0' },
};

/** Throws on settings torch would reject (and on a few it would silently misuse). */
function checkSettings(s: Settings): void {
  const fail: Fail = (field, why) => {
    throw new Error(`optimizer ${s.kind}: ${field} ${why}`);
  };
  if (!(OPTIMIZER_KINDS as readonly string[]).includes(s.kind)) fail('kind', `must be one of ${OPTIMIZER_KINDS.join(', ')}`);
  // Only an unchecked build gets here (the Record's type refuses it): a definition without its update.
  if (!OPTIMIZER_UPDATES[s.kind]) fail('kind', `has no update: write engine/optim/updates/${s.kind}.ts and run npm run gen`);
  if (!(s.weight_decay >= 0)) fail('weight_decay', `must be >= 0, got ${s.weight_decay}`);
  for (const key of optimizerKind(s.kind).uses) {
    if (!SHARED_CHECKS[key].ok(s[key])) fail(key, `must be ${SHARED_CHECKS[key].range}, got ${s[key]}`);
  }
  OPTIMIZER_UPDATES[s.kind].check?.(s, fail);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

class TfOptimizer implements Optimizer {
  readonly kind: OptimizerKind;
  private readonly slots = new Map<string, Slots>(); // param name -> slot name -> state variable
  private readonly paramSteps = new Map<string, number>(); // param name -> updates it received
  private steps = 0;
  private disposed = false;

  /** `settings` is read at every step, so changing it in place (a live edit) retunes the optimizer. */
  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly settings: Settings,
  ) {
    checkSettings(settings);
    this.kind = settings.kind;
    // Slots start at the update's initialSlot (adagrad: initial_accumulator), else zero. An sgd
    // momentum buffer is zero until the param's first update copies the gradient in (torch: None).
    const init = OPTIMIZER_UPDATES[this.kind].initialSlot?.(settings) ?? 0;
    const { slots } = optimizerKind(this.kind);
    for (const [name, p] of params) {
      if (p.dtype !== 'float32') throw new Error(`optimizer: param ${name} is ${p.dtype}, expected float32`);
      const own: Slots = {};
      for (const slot of slots(settings, { name, shape: p.shape })) own[slot] = tf.tidy(() => tf.variable(tf.fill(p.shape, init), false));
      this.slots.set(name, own);
      this.paramSteps.set(name, 0);
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  decayed(name: string): boolean {
    const p = this.params.get(name);
    if (!p) throw new Error(`optimizer: no param named ${name}`);
    return paramDecay(this.settings, { name, shape: p.shape }) !== 0;
  }

  step(grads: Map<string, tf.Tensor>, lr: number): void {
    this.checkAlive();
    if (!Number.isFinite(lr)) throw new Error(`optimizer: lr must be finite, got ${lr}`);
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`optimizer: grad for ${name}, which is not a param of this optimizer`);
      if (!sameShape(g.shape, p.shape)) throw new Error(`optimizer: grad ${name} has shape [${g.shape}], param has [${p.shape}]`);
    }
    this.steps++;
    const { update } = OPTIMIZER_UPDATES[this.kind];
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const t = this.paramSteps.get(name)! + 1;
      this.paramSteps.set(name, t);
      const param = { name, shape: p.shape };
      const hyper = { lr, wd: paramDecay(this.settings, param), t, s: this.settings, param };
      tf.tidy(() => update(p, g.dtype === 'float32' ? g : g.cast('float32'), this.slots.get(name)!, hyper));
    }
  }

  getState(): Map<string, tf.Tensor> {
    this.checkAlive();
    const state = new Map<string, tf.Tensor>();
    state.set('optim.step', tf.scalar(this.steps, 'int32'));
    for (const [name, slots] of this.slots) {
      state.set(`optim.step.${name}`, tf.scalar(this.paramSteps.get(name)!, 'int32'));
      // clone shares the buffer until the variable is next assigned, which swaps in a new one.
      for (const [slot, v] of Object.entries(slots)) state.set(`optim.${slot}.${name}`, v.clone());
    }
    return state;
  }

  setState(state: Map<string, tf.Tensor>): void {
    this.checkAlive();
    const expected = new Map<string, readonly number[]>([['optim.step', []]]);
    for (const [name, slots] of this.slots) {
      expected.set(`optim.step.${name}`, []);
      for (const slot of Object.keys(slots)) expected.set(`optim.${slot}.${name}`, this.params.get(name)!.shape);
    }
    // 1) check everything, so a bad checkpoint leaves the optimizer as it was
    for (const [key, shape] of expected) {
      const t = state.get(key);
      if (!t) throw new Error(`optimizer ${this.kind}: checkpoint state lacks ${key}`);
      if (!sameShape(t.shape, shape)) throw new Error(`optimizer ${this.kind}: ${key} has shape [${t.shape}], expected [${shape}]`);
    }
    for (const key of state.keys()) {
      if (key.startsWith('optim.') && !expected.has(key)) {
        throw new Error(
          `optimizer ${this.kind}: checkpoint state has ${key}, which this optimizer does not keep (saved by another optimizer kind or for other params?)`,
        );
      }
    }
    const count = (key: string) => {
      const n = state.get(key)!.dataSync()[0];
      if (!Number.isInteger(n) || n < 0) throw new Error(`optimizer ${this.kind}: ${key} must be a non-negative integer, got ${n}`);
      return n;
    };
    const steps = count('optim.step');
    const paramSteps = new Map([...this.slots.keys()].map((name) => [name, count(`optim.step.${name}`)]));
    // 2) copy in
    this.steps = steps;
    for (const [name, slots] of this.slots) {
      this.paramSteps.set(name, paramSteps.get(name)!);
      for (const [slot, v] of Object.entries(slots)) {
        const t = state.get(`optim.${slot}.${name}`)!;
        tf.tidy(() => v.assign(t.dtype === 'float32' ? t : t.cast('float32')));
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    for (const slots of this.slots.values()) for (const v of Object.values(slots)) v.dispose();
    this.disposed = true;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error(`optimizer ${this.kind}: used after dispose()`);
  }
}

/** The node's settings for a camelCase config: its fields over the node schema's defaults for its kind. */
function settingsOf(c: OptimizerConfig): Settings {
  if (!(OPTIMIZER_KINDS as readonly string[]).includes(c.kind)) throw new Error(`optimizer ${c.kind}: kind must be one of ${OPTIMIZER_KINDS.join(', ')}`);
  if (!(c.weightDecay >= 0)) throw new Error(`optimizer ${c.kind}: weightDecay must be >= 0, got ${c.weightDecay}`);
  return {
    ...optimizerNode.params.parse({ kind: c.kind }),
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.eps,
    weight_decay: c.weightDecay,
    decay_norms_and_biases: c.decayNormsAndBiases,
    momentum: c.momentum,
    nesterov: c.nesterov,
    dampening: c.dampening,
    initial_accumulator: c.initialAccumulator,
    lr_decay: c.lrDecay ?? 0,
  };
}

/**
 * An optimizer over `params` (names and order fixed at creation) from a camelCase config of the
 * torch.optim kinds. The params stay the caller's.
 * @example
 *   const opt = createOptimizer(model.params, { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8,
 *     weightDecay: 0.1, decayNormsAndBiases: false, momentum: 0, nesterov: false, dampening: 0,
 *     initialAccumulator: 0 });
 *   opt.step(grads, lrAt(opt.stepCount, schedule));
 */
export function createOptimizer(params: Map<string, tf.Variable>, config: OptimizerConfig): Optimizer {
  return new TfOptimizer(params, settingsOf(config));
}

/**
 * An optimizer over `params` from the optimizer node's params (defaults filled in). It reads
 * `settings` at every step: assigning new values into the object retunes it (a live edit).
 * @example optimizerFromSettings(model.params, optimizer.params.parse({ kind: 'muon' })).step(grads, 0.001)
 */
export function optimizerFromSettings(params: Map<string, tf.Variable>, settings: Settings): Optimizer {
  return new TfOptimizer(params, settings);
}
