// The memory estimate of the pipeline on the canvas (engine/memory/estimate.ts) for the executor
// the run controls name, and the budget it is held to: the server's (GET /api/executors) for
// node and torch runs, this tab's for a browser run. Blocks and the run controls show it before a
// run starts; a browser run over its budget is refused here, as the server refuses its own.
import { compile } from '../engine/compiler/compile';
import { estimateMemory, formatBytes, type MemoryEstimate } from '../engine/memory/estimate';
import { overBudgetProblems, type MemoryProblem } from '../engine/memory/over-budget';
import type { Pipeline } from '../engine/pipeline/schema';
import type { Plan } from '../engine/plan';
import { useRuns, type Executor } from '../lib/runs-store';
import { useStudio } from '../lib/store';

/** wasm (the browser's WASM and CPU fallbacks run on it) addresses at most 4 GiB. */
const WASM_LIMIT = 4 * 1024 ** 3;
/** A tab may take this share of the device's memory (navigator.deviceMemory, Chrome; else 4 GB assumed). */
const BROWSER_SHARE = 0.5;

/**
 * The memory a run in this tab may take: half the device's memory as the browser reports it
 * (rounded, at most 8 GB), never more than wasm can address.
 * @example browserMemoryBudget() // 4e9 on a device reporting 8 GB
 */
export function browserMemoryBudget(): number {
  const reported = typeof navigator === 'undefined' ? undefined : (navigator as { deviceMemory?: number }).deviceMemory;
  return Math.min(WASM_LIMIT, (reported ?? 4) * 1e9 * BROWSER_SHARE);
}

const plans = new WeakMap<Pipeline, Plan | null>();

/** The document's plan, compiled once per document version (every block asks). */
function planOf(doc: Pipeline): Plan | null {
  if (!plans.has(doc)) {
    let plan: Plan | null = null;
    try {
      const compiled = compile(doc);
      plan = compiled.ok ? compiled.plan : null;
    } catch {
      plan = null; // a compiler bug: the problems panel says so
    }
    plans.set(doc, plan);
  }
  return plans.get(doc)!;
}

export interface CanvasMemory {
  plan: Plan;
  estimate: MemoryEstimate;
  /** Bytes the run may take where it would train; undefined while the server's is unknown. */
  budget?: number;
  /** Where the budget comes from, for messages. */
  budgetName: string;
}

function memoryFor(doc: Pipeline, executor: Executor, serverBudget: number | undefined): CanvasMemory | null {
  const plan = planOf(doc);
  const estimate = plan && estimateMemory(plan, executor);
  if (!plan || !estimate) return null;
  if (executor === 'browser') return { plan, estimate, budget: browserMemoryBudget(), budgetName: "this tab's budget" };
  return { plan, estimate, ...(serverBudget ? { budget: serverBudget } : {}), budgetName: "the server's budget (MAX_RUN_MEMORY)" };
}

/** The canvas pipeline's estimate and budget; null while it does not compile or has no model. */
export function useCanvasMemory(): CanvasMemory | null {
  const doc = useStudio((s) => s.doc);
  const executor = useRuns((s) => s.executor);
  const serverBudget = useRuns((s) => s.executors?.memory?.budget);
  return memoryFor(doc, executor, serverBudget);
}

/**
 * The problems that keep a browser run of `doc` from starting in this tab (empty when it fits).
 * @example browserRunMemoryProblems(doc) // [{ nodeId: 'get_batch', field: 'context_length', ... }]
 */
export function browserRunMemoryProblems(doc: Pipeline): MemoryProblem[] {
  const memory = memoryFor(doc, 'browser', undefined);
  if (!memory || memory.budget === undefined) return [];
  return overBudgetProblems(memory.plan, memory.estimate, memory.budget, `${memory.budgetName} of ${formatBytes(memory.budget)}`);
}
