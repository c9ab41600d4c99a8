// The engine study of docs/engine-choice.md: trains config R for N steps from the same weights and
// batches with the engine (tfjs) and with jax-js, in Node (wasm; the engine with and without
// OpenBLAS) and in Chromium (wasm, WebGPU), and prints losses side by side with tokens/s.
// Each row runs alone (one process or one fresh page), one after the other.
// Usage: node --import tsx bench/jaxjs/study.ts [--steps 20] [--warmup 5] [--rounds 2] [--no-browser]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { browserRows } from './study-browser';
import { makeStudyInputs } from './make-inputs';
import { inputsToJson, speedOf, type StudyInputs, type StudyResult } from './study-inputs';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const warmup = Number(values.warmup);
const inputs = await makeStudyInputs(Number(values.steps));
const dir = mkdtempSync(join(tmpdir(), 'engine-study-'));
const inputsFile = join(dir, 'inputs.json');
writeFileSync(inputsFile, JSON.stringify(inputsToJson(inputs)));

function nodeRow(impl: 'engine' | 'jax', env: Record<string, string> = {}): StudyResult {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/jaxjs/node-row.ts', '--impl', impl, '--inputs', inputsFile], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as StudyResult;
  } catch {
    return { impl, device: 'wasm', where: 'node', losses: [], stepMs: [], error: (run.stderr || line).slice(-400) };
  }
}

const rows: StudyResult[] = [];
/** Keeps a row and says it at once (a slow software-WebGPU row should not hide the others). */
const keep = (r: StudyResult) => {
  rows.push(r);
  console.error(
    `# ${r.impl} ${r.where} ${r.device}: ${r.error ?? `${speedOf(r, inputs, Math.min(warmup, r.stepMs.length - 2)).tokensPerSecond.toFixed(0)} tok/s`}`,
  );
};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const r of [nodeRow('engine'), nodeRow('engine', { PRETRAIN_BLAS: 'off' }), nodeRow('jax')]) keep(r);
  if (!values['no-browser']) await browserRows(inputs, keep);
}
report(rows, inputs);

function report(results: StudyResult[], study: StudyInputs): void {
  const reference = results.find((r) => r.impl === 'engine' && !r.error)?.losses ?? [];
  console.log(`config R, ${study.batches.length} steps (WebGPU rows 6), B=${study.batch}; tokens/s from the median step after ${warmup} (WebGPU: after 4)`);
  console.log('| implementation | where | device | tok/s | ms/step | loss at last step | max rel. diff vs engine |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.error) {
      console.log(`| ${r.impl} | ${r.where} | ${r.device} | — | — | — | failed: ${r.error.replace(/\|/g, '/').slice(0, 160)} |`);
      continue;
    }
    const { ms, tokensPerSecond } = speedOf(r, study, Math.min(warmup, r.stepMs.length - 2));
    const diff = Math.max(...r.losses.map((l, i) => Math.abs(l - reference[i]) / Math.abs(reference[i])));
    console.log(
      `| ${r.impl} | ${r.where} | ${r.device} | ${Math.round(tokensPerSecond)} | ${ms.toFixed(1)} | ${r.losses.at(-1)!.toFixed(5)} | ${diff.toExponential(2)} |`,
    );
  }
}
process.exit(0);
