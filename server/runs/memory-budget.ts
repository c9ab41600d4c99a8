// The memory a run may take on this server (MAX_RUN_MEMORY, default half the machine's RAM) and
// the check that refuses a submission whose estimate (engine/memory/estimate.ts) is above it, with
// an error on each node that holds a large share, naming the params that shrink it.
import { totalmem } from 'node:os';
import { estimateMemory, formatBytes, type MemoryEstimate, type MemoryExecutor } from '../../engine/memory/estimate';
import { overBudgetProblems } from '../../engine/memory/over-budget';
import type { Plan } from '../../engine/plan';
import type { SubmitRefusal } from './refusals';

/** The share of the machine's RAM one run may take when MAX_RUN_MEMORY is not set. */
export const DEFAULT_RUN_MEMORY_FRACTION = 0.5;

/** tfjs's wasm backend addresses 32 bits: its tensors never exceed 4 GiB, whatever the budget. */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;

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
  const broken = overBudget ? budget : WASM_HEAP_LIMIT;
  const limitText = overBudget
    ? `this server's budget of ${formatBytes(budget)} per run (MAX_RUN_MEMORY)`
    : `the ${formatBytes(WASM_HEAP_LIMIT)} the wasm backend can address (try backend cpu or tensorflow)`;
  // On wasm the tensors alone are held to the limit: compare them, not the runtime's share.
  const checked = overBudget ? estimate : { ...estimate, bytes: { ...estimate.bytes, total: estimate.bytes.total - estimate.bytes.runtime, runtime: 0 } };
  return {
    error: overBudget ? "the run needs more memory than this server's budget allows" : 'the run needs more memory than the wasm backend can address',
    errors: overBudgetProblems(plan, checked, broken, limitText),
    details: { memory: { estimate, budget: broken, limit } satisfies MemoryRefusal },
  };
}
