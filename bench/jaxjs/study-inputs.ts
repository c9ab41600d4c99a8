// What both implementations of the study train on: one config, its initial weights (the engine's
// init for a seed) and a list of batches, as plain typed arrays that travel to a page as JSON.
import type { GptConfig } from '../../engine/model/config';
import type { AdamW } from './gpt-jax';

export interface StudyWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface StudyBatch {
  x: Int32Array; // [B, T] token ids
  y: Int32Array; // [B, T] next-token targets
}

export interface StudyInputs {
  config: GptConfig;
  batch: number; // B
  weights: StudyWeight[];
  batches: StudyBatch[];
  optimizer: AdamW;
}

/** What one implementation reports: loss per step and wall time per step. */
export interface StudyResult {
  impl: string; // 'engine' | 'jax-js'
  device: string; // 'wasm+OpenBLAS', 'wasm (XNNPACK)', 'wasm', 'webgpu', ...
  where: string; // 'node' | 'chromium'
  losses: number[];
  stepMs: number[];
  error?: string;
}

/** Median of the step times after `warmup` steps, and tokens per second from it. */
export function speedOf(r: StudyResult, inputs: Pick<StudyInputs, 'batch' | 'config'>, warmup: number) {
  const timed = r.stepMs.slice(warmup).sort((a, b) => a - b);
  const ms = timed[Math.floor(timed.length / 2)];
  return { ms, tokensPerSecond: (inputs.batch * inputs.config.contextLength * 1000) / ms };
}

/** JSON-safe copy (typed arrays as plain arrays) and back. */
export function inputsToJson(inputs: StudyInputs): unknown {
  return {
    ...inputs,
    weights: inputs.weights.map((w) => ({ ...w, data: Array.from(w.data) })),
    batches: inputs.batches.map((b) => ({ x: Array.from(b.x), y: Array.from(b.y) })),
  };
}
export function inputsFromJson(json: any): StudyInputs {
  return {
    ...json,
    weights: json.weights.map((w: any) => ({ ...w, data: Float32Array.from(w.data) })),
    batches: json.batches.map((b: any) => ({ x: Int32Array.from(b.x), y: Int32Array.from(b.y) })),
  };
}
