// Frees each intermediate gradient as soon as the backward pass has used it.
// Why: tfjs's backpropagateGradients (tfjs-core tape.ts) keeps the gradient of every intermediate
// tensor in a map until the whole backward pass ends, so the peak holds the saved activations
// plus a gradient for every one of them: 3.1 GB of wasm heap for one step of the M config
// (8 x d512, 1,024 tokens), against a 4 GB ceiling for wasm32. A node's output gradients are
// dead once that node's input gradients are computed; this disposes them then.
//
// How: Engine.addTapeNode is wrapped so every tape node's gradient function returns wrapped
// thunks. A gradient created while its node's gradient ran ("fresh") and handed out once has
// exactly one owner, the gradient map entry it goes into; once all input thunks of the node that
// consumes it have run, it is disposed. Anything else is left to tfjs's own end-of-pass cleanup:
// older tensors (a dy passed straight through, a saved or closed-over tensor, which may sit in
// several map entries), sums made by tfjs when gradients accumulate, kept and saved tensors, the
// seed gradient, and everything during higher-order gradients (gradientDepth > 0).
// Relies on tfjs-core 4.22 internals (Engine.addTapeNode, state.activeTape, state.gradientDepth,
// the static Engine.nextTensorId); eagerGradientDisposal.test.ts pins the behaviour.
import * as tf from '@tensorflow/tfjs-core';

type Thunks = Record<string, () => tf.Tensor>;

interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: (tf.Tensor | null)[]) => Thunks;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode(...args: unknown[]): void;
}

const PATCHED = Symbol.for('pretrain-studio.eagerGradientDisposal');

/** Gradients created inside a thunk and not handed out again since: safe to free once consumed. */
const fresh = new WeakSet<tf.Tensor>();

function wrapGradient(node: TapeNode, gradient: NonNullable<TapeNode['gradient']>, engine: EngineInternals, nextId: () => number): TapeNode['gradient'] {
  return (dys) => {
    // Custom gradients compute every input gradient here, before the thunks run; stock ones in
    // the thunks. Either way a result made after this point is this node's own.
    const start = nextId();
    const thunks = gradient(dys);
    if (engine.state.gradientDepth > 0) return thunks; // higher-order gradients: leave it all to tfjs
    let remaining = Object.keys(node.inputs).length;
    const returned = new Set<tf.Tensor>();
    const wrapped: Thunks = {};
    for (const [name, thunk] of Object.entries(thunks)) {
      wrapped[name] = () => {
        const dx = thunk();
        // An older tensor, or one handed out twice, may sit in several places: never free it early.
        if (dx.id >= start && !returned.has(dx)) fresh.add(dx);
        else fresh.delete(dx);
        returned.add(dx);
        if (name in node.inputs && --remaining === 0) {
          for (const dy of dys) {
            if (dy && fresh.has(dy) && !returned.has(dy) && !dy.kept && !(dy instanceof tf.Variable)) {
              fresh.delete(dy);
              dy.dispose();
            }
          }
        }
        return dx;
      };
    }
    return wrapped;
  };
}

/**
 * Makes every later backward pass free intermediate gradients as it goes (once per process; a
 * no-op on repeat). Gradients and results are unchanged; only the peak memory drops.
 * @example
 *   installEagerGradientDisposal(); // register.ts does this with the engine's kernels
 */
export function installEagerGradientDisposal(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const proto = Object.getPrototypeOf(engine) as EngineInternals & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const EngineClass = engine.constructor as unknown as { nextTensorId: number };
  if (typeof proto.addTapeNode !== 'function' || typeof EngineClass.nextTensorId !== 'number') return; // another tfjs: do nothing
  const nextId = () => EngineClass.nextTensorId;
  const addTapeNode = proto.addTapeNode;
  proto.addTapeNode = function (this: EngineInternals, ...args: unknown[]) {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    if (node?.gradient) node.gradient = wrapGradient(node, node.gradient, this, nextId);
  };
  proto[PATCHED] = true;
}
