// One Node row of the engine study, in its own process (PRETRAIN_BLAS applies per process):
// trains the inputs file with one implementation and prints a StudyResult as one JSON line.
// Usage: node --import tsx bench/jaxjs/node-row.ts --impl engine|jax --inputs FILE
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { useBackend } from '../../engine/node/backend';
import { nativeGemmFor } from '../../engine/tf/nativeGemm';
import { inputsFromJson, type StudyResult } from './study-inputs';

const { values } = parseArgs({ options: { impl: { type: 'string' }, inputs: { type: 'string' } } });
const inputs = inputsFromJson(JSON.parse(readFileSync(values.inputs!, 'utf8')));
let result: StudyResult;
if (values.impl === 'engine') {
  const backend = await useBackend('wasm');
  const { trainEngine } = await import('./train-engine');
  const blas = nativeGemmFor(backend)?.describe;
  result = await trainEngine(inputs, blas ? `wasm + ${blas}` : 'wasm (XNNPACK)', 'node');
} else {
  const { trainJax } = await import('./train-jax');
  result = await trainJax(inputs, 'wasm', 'node');
}
console.log(JSON.stringify(result));
process.exit(0);
