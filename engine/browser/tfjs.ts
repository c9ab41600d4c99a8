// tfjs in the browser's run worker: tfjs-core, its cpu backend, every op's gradient (training
// needs them) and the chained tensor methods (`x.add(y)`, used by engine/optim), as the
// @tensorflow/tfjs bundle gave them without its layers, converter and data packages. The other
// backends load when chosen (backends.ts). Imported first by worker.ts; Node's counterpart is
// engine/node/tfjs.ts, since Node cannot import these ES modules as they are.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
