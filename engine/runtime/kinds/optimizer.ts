// optimizer: how the node runs (its ports and params: engine/nodes/optimizer.ts; its kinds:
// engine/optim/kinds/, their updates engine/optim/updates/).
import type * as tf from '@tensorflow/tfjs-core';
import type { Gpt } from '../../model/gpt';
import { implementNode } from '../../nodes/define';
import { optimizer, type OptimizerParams } from '../../nodes/optimizer';
import { optimizerKind } from '../../optim/kinds';
import { optimizerFromSettings } from '../../optim/optimizers';

export const optimizerImplementation = implementNode(optimizer, {
  create(p, setup) {
    const gpt = setup.inputs.model as Gpt;
    const settings = { ...p }; // the optimizer reads it at every update: a live edit changes it in place
    const optim = optimizerFromSettings(gpt.params, settings);
    return {
      outputs: { model: gpt, optimizer: optim },
      step({ grads, lr }, ctx) {
        const rate = typeof lr === 'number' ? lr : settings.lr;
        if ((grads as Map<string, tf.Tensor>).size === 0) return; // backward skipped this update
        optim.step(grads as Map<string, tf.Tensor>, rate);
        ctx.metric('lr', rate);
      },
      retune(next) {
        const changed = stateSlotChange(gpt, settings, next as OptimizerParams);
        if (changed) throw new Error(`${changed} cannot change so while ${p.kind} trains (its state would appear or vanish); fork the run instead`);
        Object.assign(settings, next);
      },
      saveState: () => ({ tensors: optim.getState() }),
      loadState(state) {
        if (!state.tensors) return;
        const own = new Map([...state.tensors].filter(([name]) => name.startsWith('optim.')));
        if (own.size) optim.setState(own);
      },
      dispose: () => optim.dispose(),
    };
  },
});

/** The edited fields when the edit changes the state slots the kind keeps (sgd: momentum 0 <-> non-zero), else undefined. */
function stateSlotChange(gpt: Gpt, before: OptimizerParams, after: OptimizerParams): string | undefined {
  const { slots } = optimizerKind(before.kind);
  for (const [name, v] of gpt.params) {
    const param = { name, shape: v.shape };
    if (slots(before, param).join() !== slots(after, param).join()) {
      return Object.keys(after)
        .filter((k) => after[k as keyof OptimizerParams] !== before[k as keyof OptimizerParams])
        .join(', ');
    }
  }
  return undefined;
}
