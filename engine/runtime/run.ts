// The tfjs runtime: sets up every node of a plan, restores a checkpoint if asked, then runs the
// training loop (engine/runtime/step.ts), emitting events, until done, stopped or failed.
import { checkVocabulary } from '../compiler/data-check';
import type { EventSink, RunEvent } from '../events';
import { registry } from '../nodes';
import { implementationsFor, type Implementations } from './kinds';
import type { Plan } from '../plan';
import { nativeGemmFor } from '../tf/nativeGemm';
import { NodeError } from './errors';
import type { RuntimeIO } from './io';
import { RunNodes } from './nodes';
import { runStep } from './step';

export { NodeError } from './errors';

/** Lets a host pause or stop a run between steps. */
export interface RunControl {
  readonly stopRequested: boolean;
  /** Resolves when the run may continue (immediately unless paused). */
  waitWhilePaused(): Promise<void>;
}

export interface RunOptions {
  plan: Plan;
  io: RuntimeIO;
  sink: EventSink;
  /** Name of the tfjs backend already initialised by the host (see engine/tf/backend.ts). */
  backendName: string;
  /** 'node', 'browser', ...: recorded in checkpoints. */
  executor?: string;
  /** A checkpoint to continue from: the run starts at its step with its state. */
  resume?: { name: string; weights: Uint8Array; meta: unknown };
  control?: RunControl;
  /** How each kind runs; default: the engine's own kinds (engine/runtime/kinds/). */
  implementations?: Implementations;
}

let builtIn: Implementations | undefined;
const builtInImplementations = () => (builtIn ??= implementationsFor(registry));

export interface RunResult {
  status: 'completed' | 'stopped' | 'failed';
  /** Optimizer steps completed. */
  step: number;
  error?: { message: string; nodeId?: string };
  lastCheckpoint?: string;
}

/**
 * Runs a compiled plan to the end (or until stopped), emitting events to `sink`.
 * @example
 *   const result = await runPlan({ plan, io: nodeIO({ outDir: 'out' }), sink, backendName: await useBackend('wasm') });
 */
export async function runPlan(options: RunOptions): Promise<RunResult> {
  const { plan, io, sink, control } = options;
  let stepsDone = 0;
  let elapsedBefore = 0;
  let lastCheckpoint: string | undefined;
  const started = performance.now();
  const elapsedSeconds = () => elapsedBefore + (performance.now() - started) / 1000;
  const emit = (event: RunEvent) => {
    if (event.type === 'checkpoint/saved') lastCheckpoint = event.data.name;
    sink.emit(event);
  };
  const finish = (status: RunResult['status'], error?: RunResult['error']): RunResult => {
    emit({ type: 'run/finished', step: stepsDone, data: { status, elapsed_s: elapsedSeconds(), ...(lastCheckpoint ? { lastCheckpoint } : {}) } });
    return { status, step: stepsDone, ...(error ? { error } : {}), ...(lastCheckpoint ? { lastCheckpoint } : {}) };
  };

  let nodes: RunNodes | undefined;
  try {
    nodes = await RunNodes.setup(plan, options.implementations ?? builtInImplementations(), io, options.backendName, emit);
    const maxIds = new Map([...nodes.info].filter(([, info]) => info.max_id !== undefined).map(([id, info]) => [id, info.max_id]));
    for (const d of checkVocabulary(plan, maxIds)) throw new NodeError(d.nodeId!, d.message, d.field);
    if (options.resume) {
      const meta = nodes.restore(options.resume);
      stepsDone = meta.step;
      elapsedBefore = meta.elapsedSeconds ?? 0;
      lastCheckpoint = options.resume.name;
    }

    const matmul = nativeGemmFor(options.backendName);
    const parameters = [...nodes.info.values()].reduce((sum, info) => sum + (info.parameters ?? 0), 0);
    emit({
      type: 'run/started', step: stepsDone,
      data: { totalSteps: plan.totalSteps, backend: options.backendName, parameters, tokensPerStep: tokensPerStep(plan),
        ...(matmul ? { matmul: matmul.describe } : {}),
        ...(options.resume ? { resumedFrom: options.resume.name } : {}) },
    });
    for (const [nodeId, info] of nodes.info) emit({ type: 'node/metrics', nodeId, step: stepsDone, data: info });

    const runNodes = nodes;
    const environment = {
      io, emit, elapsedSeconds,
      snapshot: (step: number) => runNodes.snapshot({
        format: 'pretrain-studio-checkpoint', formatVersion: 1, step, elapsedSeconds: elapsedSeconds(),
        pipeline: plan.pipeline, savedAt: new Date().toISOString(), executor: options.executor ?? 'node',
      }),
    };
    while (stepsDone < plan.totalSteps) {
      if (control?.stopRequested) return finish('stopped');
      await control?.waitWhilePaused();
      if (control?.stopRequested) return finish('stopped');
      const result = await runStep(runNodes, stepsDone, environment);
      stepsDone += 1;
      for (const [nodeId, data] of result.metrics) emit({ type: 'node/metrics', nodeId, step: stepsDone, data });
      emit({ type: 'step', step: stepsDone, data: result.summary });
    }
    return finish('completed');
  } catch (e) {
    const nodeId = e instanceof NodeError ? e.nodeId : undefined;
    const field = e instanceof NodeError ? e.field : undefined;
    const message = e instanceof Error ? e.message : String(e);
    emit({ type: 'error', ...(nodeId ? { nodeId } : {}), step: stepsDone, data: { message, ...(field ? { field } : {}) } });
    return finish('failed', { message, ...(nodeId ? { nodeId } : {}) });
  } finally {
    await nodes?.dispose();
  }
}

/** Tokens consumed per optimizer step: batch x context x accumulation of each get_batch in a pass. */
export function tokensPerStep(plan: Plan): number {
  let total = 0;
  for (const owner of plan.nodes) {
    const accum = Number(owner.params.grad_accum_steps ?? 1);
    for (const members of Object.values(owner.differentiates ?? {})) {
      for (const id of members) {
        const node = plan.nodes.find((n) => n.id === id)!;
        if (node.kind === 'get_batch') total += Number(node.params.batch_size) * Number(node.params.context_length) * accum;
      }
    }
  }
  return total;
}
