// The memory a run may take on this server (MAX_RUN_MEMORY, default half the machine's RAM) and
// the check that refuses a submission whose estimate (engine/memory/estimate.ts) is above it, with
// an error on each node that holds a large share, naming the params that shrink it.
import { totalmem } from 'node:os';
import { estimateMemory, formatBytes, type MemoryEstimate, type MemoryExecutor } from '../../engine/memory/estimate';
import type { Plan } from '../../engine/plan';
import type { SubmitError, SubmitRefusal } from './refusals';

/** The share of the machine's RAM one run may take when MAX_RUN_MEMORY is not set. */
export const DEFAULT_RUN_MEMORY_FRACTION = 0.5;

/** tfjs's wasm backend addresses 32 bits: its tensors never exceed 4 GiB, whatever the budget. */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;

/** A node that holds less than this share of the estimate is not named in a refusal. */
const NAMED_SHARE = 0.1;

const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/**
 * Bytes from a size as people write it: a number with an optional unit (kB, MB, GB, TB, or
 * KiB, MiB, GiB, TiB; case-insensitive). Throws on anything else.
 * @example parseMemorySize('8GiB') // 8589934592
 */
export function parseMemorySize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && unit ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new Error(`MAX_RUN_MEMORY must be a size such as 8GB, 512MiB or a number of bytes, got ${JSON.stringify(text)}`);
  return bytes;
}

/**
 * The server's budget for one run: MAX_RUN_MEMORY when set, else half the machine's RAM.
 * @example runMemoryBudget({ MAX_RUN_MEMORY: '2GB' }) // 2e9
 */
export function runMemoryBudget(env: Record<string, string | undefined> = process.env, machineBytes = totalmem()): number {
  const set = env.MAX_RUN_MEMORY?.trim();
  return set ? parseMemorySize(set) : Math.floor(machineBytes * DEFAULT_RUN_MEMORY_FRACTION);
}

/** What a refusal for memory carries beside its errors (the reply's `memory`): the estimate and the limit it broke. */
export interface MemoryRefusal {
  estimate: MemoryEstimate;
  budget: number;
  limit: 'MAX_RUN_MEMORY' | 'wasm';
}

const PART_NAMES: Record<string, string> = {
  model: 'weights, gradients and optimizer state',
  get_batch: "one micro-batch's activations",
  optimizer: 'optimizer state',
  eval: 'an evaluation batch',
  sample: 'generation',
};

function nodeErrors(estimate: MemoryEstimate, plan: Plan, summary: string): SubmitError[] {
  const kinds = new Map(plan.nodes.map((n) => [n.id, n.kind]));
  const total = estimate.bytes.total;
  return Object.entries(estimate.nodes)
    .filter(([, n]) => n.bytes >= NAMED_SHARE * total && n.fields.length > 0)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([nodeId, n]) => ({
      nodeId, field: n.fields[0], code: 'memory',
      message: `${summary}; ${PART_NAMES[kinds.get(nodeId) ?? ''] ?? 'this node'} take ${formatBytes(n.bytes)} here: shrink ${n.fields.join(', ')}`,
    }));
}

/**
 * Refuses a run whose estimated memory is above `budget` (or, on the wasm backend, above what
 * wasm can address); undefined when it fits or the plan has no model.
 * @example checkRunMemory(plan, 'node', 'wasm', 8e9) // { error: 'the run needs more memory than ...', errors: [...], memory: {...} }
 */
export function checkRunMemory(plan: Plan, executor: MemoryExecutor, backend: string, budget: number): SubmitRefusal | undefined {
  const estimate = estimateMemory(plan, executor);
  if (!estimate) return undefined;
  const wasm = executor === 'node' && backend === 'wasm';
  const overBudget = estimate.bytes.total > budget;
  const overWasm = wasm && estimate.bytes.total - estimate.bytes.runtime > WASM_HEAP_LIMIT;
  if (!overBudget && !overWasm) return undefined;
  const limit = overBudget ? 'MAX_RUN_MEMORY' : 'wasm';
  const needs = `the run needs an estimated ${formatBytes(estimate.bytes.total)}`;
  const summary = overBudget
    ? `${needs}, over this server's budget of ${formatBytes(budget)} per run (MAX_RUN_MEMORY)`
    : `${needs}, over the ${formatBytes(WASM_HEAP_LIMIT)} the wasm backend can address (try backend cpu or tensorflow)`;
  return {
    error: overBudget ? "the run needs more memory than this server's budget allows" : 'the run needs more memory than the wasm backend can address',
    errors: nodeErrors(estimate, plan, summary),
    details: { memory: { estimate, budget: overBudget ? budget : WASM_HEAP_LIMIT, limit } satisfies MemoryRefusal },
  };
}
