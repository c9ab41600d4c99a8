// Module hooks that let Node import tfjs-core's ES module files (dist/**/*.js), which are written
// for bundlers: their relative imports name no extension ('./gradients/Abs_grad') or a folder
// ('./ops/ops' beside './ops/'), and their package has no "type": "module". Only files inside
// tfjs-core's dist/ are touched, and never its CommonJS bundles (dist/tf-core*.js), which Node
// loads itself. Registered by engine/node/tfjs.ts; plain JavaScript, since hooks run in their own
// thread, before any TypeScript loader.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const DIST = '/node_modules/@tensorflow/tfjs-core/dist/';

/** Whether `url` is one of tfjs-core's ES module files (not a CommonJS bundle). */
function isCoreModule(url) {
  return typeof url === 'string' && url.startsWith('file:') && url.includes(DIST) && !/\/dist\/tf-core[^/]*\.js$/.test(url);
}

/** A relative specifier completed as a bundler would: `name.js` first, then `name/index.js`. */
function completed(specifier, parentURL) {
  const base = new URL(specifier, parentURL).href;
  for (const candidate of [`${base}.js`, `${base}/index.js`]) {
    if (existsSync(fileURLToPath(candidate))) return candidate;
  }
  return undefined;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('.') && !specifier.endsWith('.js') && isCoreModule(context.parentURL)) {
    const url = completed(specifier, context.parentURL);
    if (url) return { url, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  // Read here, so that no later loader takes these ES modules for CommonJS by their package.
  if (isCoreModule(url) && url.endsWith('.js')) {
    return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  }
  return nextLoad(url, context);
}
