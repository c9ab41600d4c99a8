// SoftmaxCrossEntropy for cpu: the mean loss and its gradient (softmax - onehot) / N in one pass
// per row (max, exp and sum, then the normalised gradient), instead of max, sub, exp, sum, log,
// gather and mean forward and div, scatter, sub, mul backward over the [N, V] logits: 78 -> 10 ms
// for [1024, 256]. Not registered for wasm: V8's Math.exp makes the loop slower than the stock
// kernels there (4.9 vs 3.5 ms; 122 vs 86 ms at V = 6400; bench/OPTIMIZATIONS.md).
import { SoftmaxCrossEntropy } from '../../names';
import { jsKernelConfigs, type JsKernelDef } from '../jsKernel';

export const softmaxCrossEntropyDef: JsKernelDef<Record<string, never>> = {
  kernelName: SoftmaxCrossEntropy,
  inputNames: ['logits', 'targets'],
  outputs: ([logits]) => [{ shape: [], dtype: 'float32' }, { shape: logits.shape, dtype: 'float32' }],
  compute([logits, targets], [loss, grad], [info]) {
    const [N, V] = info.shape;
    let total = 0;
    for (let n = 0, row = 0; n < N; n++, row += V) {
      const target = targets[n];
      if (!(target >= 0 && target < V)) throw new Error(`crossEntropy: target ${target} at position ${n} is outside [0, ${V})`);
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[row + v] > max) max = logits[row + v];
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(logits[row + v] - max);
        grad[row + v] = e;
        sum += e;
      }
      total += Math.log(sum) - (logits[row + target] - max); // logsumexp - logit[target]
      const scale = 1 / (sum * N);
      for (let v = 0; v < V; v++) grad[row + v] *= scale;
      grad[row + target] -= 1 / N;
    }
    loss[0] = total / N;
  },
};

export const softmaxCrossEntropyConfigs = jsKernelConfigs(softmaxCrossEntropyDef, ['cpu']);
