// Optimizers for tfjs parameters that match torch.optim (1.13) step for step: AdamW, Adam, SGD and
// Adagrad, plus Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; written
// like lucidrains/lion-pytorch), which torch lacks. Checked against fixtures/optimizers.json.
//
// One update per param, each in its own tf.tidy (Adam and AdamW: one fused kernel on wasm and
// cpu); state lives in tf.Variables that are updated with `assign`, so the tensor count stays
// flat across steps. Like torch, every param keeps its own step count: a param that gets no
// gradient is skipped and its bias correction does not advance.

import * as tf from '@tensorflow/tfjs-core';
// Chained tensor methods (x.mul(y)): types here, registered at run time by the host (engine/{node,browser}/tfjs.ts).
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import type { OptimizerKind } from '../nodes/optimizer';
import { fusedAdamUpdate, hasFusedAdamUpdate } from '../tf/ops/fusedAdamUpdate';

// The kinds are declared once, in the node's schema; UPDATES below must cover each of them.
export type { OptimizerKind };

/** Hyperparameters for every kind; a kind reads only its own fields. Torch's defaults in brackets. */
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
   * sgd (momentum > 0): momentum; adagrad: sum.
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
  /** Whether weight decay is applied to param `name` (false for every param when weightDecay is 0). */
  decayed(name: string): boolean;
}

/** The per-param state tensors each kind keeps, by slot name. */
function slotNames(config: OptimizerConfig): string[] {
  switch (config.kind) {
    case 'adamw':
    case 'adam':
      return ['m', 'v'];
    case 'lion':
      return ['m'];
    case 'sgd':
      return config.momentum !== 0 ? ['momentum'] : [];
    case 'adagrad':
      return ['sum'];
  }
}

/** Values one param update needs besides the tensors. */
interface Hyper {
  lr: number; // learning rate of this step
  wd: number; // weight decay for this param (0 where the grouping rule exempts it)
  t: number; // this param's step count, 1 on its first update (torch's state['step'] after += 1)
  c: OptimizerConfig;
}

type Slots = Record<string, tf.Variable>;
type ParamUpdate = (p: tf.Variable, g: tf.Tensor, s: Slots, h: Hyper) => void;

/** Adam's moment updates and bias-corrected step, shared by adam and adamw; `p` is the param after
 * any decoupled decay. torch: denom = sqrt(v) / sqrt(1 - beta2^t) + eps; p -= lr / (1 - beta1^t) * m / denom. */
function adamStep(param: tf.Variable, p: tf.Tensor, g: tf.Tensor, { m, v }: Slots, { lr, t, c }: Hyper): void {
  m.assign(m.mul(c.beta1).add(g.mul(1 - c.beta1)));
  v.assign(v.mul(c.beta2).add(g.square().mul(1 - c.beta2)));
  const stepSize = lr / (1 - c.beta1 ** t);
  const denom = v.sqrt().div(Math.sqrt(1 - c.beta2 ** t)).add(c.eps);
  param.assign(p.sub(m.div(denom).mul(stepSize)));
}

/**
 * Adam or AdamW on one param: decay multiplies p first (adamw: 1 - lr*wd), l2 joins the gradient
 * (adam: wd). Where the backend has it (wasm, cpu) one fused kernel does the whole update
 * (engine/tf/ops/fusedAdamUpdate.ts); elsewhere the same math runs as ops.
 */
function adamUpdate(param: tf.Variable, g: tf.Tensor, s: Slots, h: Hyper, decay: number, l2: number): void {
  if (!hasFusedAdamUpdate()) {
    adamStep(param, decay !== 1 ? param.mul(decay) : param, l2 !== 0 ? g.add(param.mul(l2)) : g, s, h);
    return;
  }
  const { lr, t, c } = h;
  const [p, m, v] = fusedAdamUpdate(param, g, s.m, s.v, {
    beta1: c.beta1, beta2: c.beta2, eps: c.eps, decay, l2, stepSize: lr / (1 - c.beta1 ** t), bc2Sqrt: Math.sqrt(1 - c.beta2 ** t),
  });
  s.m.assign(m);
  s.v.assign(v);
  param.assign(p);
}

/** L2 regularisation the torch way for adam, sgd and adagrad: the decay term joins the gradient. */
const withL2 = (p: tf.Tensor, g: tf.Tensor, wd: number): tf.Tensor => (wd !== 0 ? g.add(p.mul(wd)) : g);

/** Decoupled weight decay (adamw, lion), applied before the update as torch does. */
const decoupledDecay = (p: tf.Tensor, lr: number, wd: number): tf.Tensor => (wd !== 0 ? p.mul(1 - lr * wd) : p);

const UPDATES: Record<OptimizerKind, ParamUpdate> = {
  adamw: (p, g, s, h) => adamUpdate(p, g, s, h, 1 - h.lr * h.wd, 0),

  adam: (p, g, s, h) => adamUpdate(p, g, s, h, 1, h.wd),

  sgd: (p, g, s, { lr, wd, t, c }) => {
    let d = withL2(p, g, wd);
    if (c.momentum !== 0) {
      const buf = s.momentum;
      // torch starts the buffer as a copy of the first gradient, without dampening.
      buf.assign(t === 1 ? d : buf.mul(c.momentum).add(d.mul(1 - c.dampening)));
      d = c.nesterov ? d.add(buf.mul(c.momentum)) : buf;
    }
    p.assign(p.sub(d.mul(lr)));
  },

  adagrad: (p, g, { sum }, { lr, wd, t, c }) => {
    const d = withL2(p, g, wd);
    const clr = lr / (1 + (t - 1) * (c.lrDecay ?? 0));
    sum.assign(sum.add(d.square()));
    p.assign(p.sub(d.div(sum.sqrt().add(c.eps)).mul(clr)));
  },

  lion: (p, g, { m }, { lr, wd, c }) => {
    const decayed = decoupledDecay(p, lr, wd);
    // The step is the sign of an interpolation with beta1; the momentum itself decays with beta2.
    const update = m.mul(c.beta1).add(g.mul(1 - c.beta1)).sign();
    p.assign(decayed.sub(update.mul(lr)));
    m.assign(m.mul(c.beta2).add(g.mul(1 - c.beta2)));
  },
};

/** Throws on hyperparameters torch would reject (and on a few it would silently misuse). */
function checkConfig(c: OptimizerConfig): void {
  const bad = (field: string, why: string) => {
    throw new Error(`optimizer ${c.kind}: ${field} ${why}`);
  };
  if (!(c.kind in UPDATES)) bad('kind', `must be one of ${Object.keys(UPDATES).join(', ')}`);
  if (!(c.weightDecay >= 0)) bad('weightDecay', `must be >= 0, got ${c.weightDecay}`);
  if (c.kind === 'adam' || c.kind === 'adamw' || c.kind === 'lion') {
    if (!(c.beta1 >= 0 && c.beta1 < 1)) bad('beta1', `must be in [0, 1), got ${c.beta1}`);
    if (!(c.beta2 >= 0 && c.beta2 < 1)) bad('beta2', `must be in [0, 1), got ${c.beta2}`);
  }
  if ((c.kind === 'adam' || c.kind === 'adamw' || c.kind === 'adagrad') && !(c.eps >= 0)) bad('eps', `must be >= 0, got ${c.eps}`);
  if (c.kind === 'sgd') {
    if (!(c.momentum >= 0)) bad('momentum', `must be >= 0, got ${c.momentum}`);
    if (c.nesterov && (c.momentum <= 0 || c.dampening !== 0)) bad('nesterov', 'needs momentum > 0 and dampening 0');
  }
  if (c.kind === 'adagrad') {
    if (!(c.initialAccumulator >= 0)) bad('initialAccumulator', `must be >= 0, got ${c.initialAccumulator}`);
    if (!((c.lrDecay ?? 0) >= 0)) bad('lrDecay', `must be >= 0, got ${c.lrDecay}`);
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

class TfOptimizer implements Optimizer {
  readonly kind: OptimizerKind;
  private readonly slots = new Map<string, Slots>(); // param name -> slot name -> state variable
  private readonly paramSteps = new Map<string, number>(); // param name -> updates it received
  private steps = 0;
  private disposed = false;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly config: OptimizerConfig,
  ) {
    checkConfig(config);
    this.kind = config.kind;
    // Adagrad's sum starts at initialAccumulator; every other slot starts at zero. An sgd momentum
    // buffer is zero until the param's first update copies the gradient in (torch: None until then).
    const init = config.kind === 'adagrad' ? config.initialAccumulator : 0;
    for (const [name, p] of params) {
      if (p.dtype !== 'float32') throw new Error(`optimizer: param ${name} is ${p.dtype}, expected float32`);
      const slots: Slots = {};
      for (const slot of slotNames(config)) slots[slot] = tf.tidy(() => tf.variable(tf.fill(p.shape, init), false));
      this.slots.set(name, slots);
      this.paramSteps.set(name, 0);
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  decayed(name: string): boolean {
    const p = this.params.get(name);
    if (!p) throw new Error(`optimizer: no param named ${name}`);
    return this.config.weightDecay !== 0 && (this.config.decayNormsAndBiases || p.rank >= 2);
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
    const update = UPDATES[this.kind];
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const t = this.paramSteps.get(name)! + 1;
      this.paramSteps.set(name, t);
      const hyper: Hyper = { lr, wd: this.decayed(name) ? this.config.weightDecay : 0, t, c: this.config };
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
        throw new Error(`optimizer ${this.kind}: checkpoint state has ${key}, which this optimizer does not keep (saved by another optimizer kind or for other params?)`);
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

/**
 * An optimizer over `params` (names and order fixed at creation). The params stay the caller's.
 * @example
 *   const opt = createOptimizer(model.params, { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8,
 *     weightDecay: 0.1, decayNormsAndBiases: false, momentum: 0, nesterov: false, dampening: 0,
 *     initialAccumulator: 0 });
 *   opt.step(grads, lrAt(opt.stepCount, schedule));
 */
export function createOptimizer(params: Map<string, tf.Variable>, config: OptimizerConfig): Optimizer {
  return new TfOptimizer(params, config);
}
