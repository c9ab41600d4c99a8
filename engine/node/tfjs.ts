// tfjs in Node: tfjs-core and its cpu backend (their CommonJS builds), plus the two things the
// @tensorflow/tfjs bundle used to add: every op's gradient (training needs them) and the chained
// tensor methods (`x.add(y)`, used by engine/optim). tfjs-core ships those two only as ES modules
// written for bundlers, which Node refuses (ERR_UNSUPPORTED_DIR_IMPORT), so tfjs-core-esm-hooks.mjs
// completes their imports. They register into tfjs's global registries, which the CommonJS build
// shares, as the @tensorflow/tfjs bundle's own copies did. The browser's counterpart is
// engine/browser/tfjs.ts. Every Node entry that runs tfjs imports this first (backend.ts does).
import { register } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// Registered once per thread: a worker thread has a loader of its own.
if (!tf.getGradient('Add')) {
  register('./tfjs-core-esm-hooks.mjs', import.meta.url);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js');
}
