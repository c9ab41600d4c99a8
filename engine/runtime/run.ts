// The tfjs runtime: sets up every node of a plan, restores a checkpoint if asked, then runs the
// training loop (engine/runtime/step.ts), emitting events, until done, stopped or failed.
import { parseCheckpointMeta } from '../checkpoint/checkpoint';
import { checkVocabulary } from '../compiler/data-check';
import type { EventSink, RunEvent } from '../events';
import { registry } from '../nodes';
import { implementationsFor, type Implementations } from './kinds';
import type { Plan } from '../plan';
import { nativeGemmFor } from '../tf/nativeGemm';
import { NodeError } from './errors';
import type { RuntimeIO } from './io';
import { RunNodes } from './nodes';
import { planAsOf, type EditRecord } from './edits';
import { answerAll, sampleSource, type PendingSample } from './ask';
import { refuseEdits, RunEdits, type PendingEdit } from './run-edits';
import { runStep } from './step';

export { NodeError } from './errors';

/** Lets a host pause, stop or edit a run between steps. */
export interface RunControl {
  readonly stopRequested: boolean;
  /** Resolves when the run may continue (immediately unless paused), or early when edits wait. */
  waitWhilePaused(): Promise<void>;
  /** Live edits asked since the last call (engine/runtime/edits.ts); applied before the next step. */
  takeEdits?(): PendingEdit[];
  /** Text asked of the model since the last call (engine/runtime/ask.ts); answered before the next step. */
  takeSamples?(): PendingSample[];
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
  /**
   * The run's edit history: those up to the resumed step are in effect from the start, later ones
   * are replayed at their steps. Default: the history the resumed checkpoint carries.
   */
  edits?: EditRecord[];
  /** Start the step counter (and so the schedule) at 0 instead of the resumed checkpoint's step. */
  restartSchedule?: boolean;
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
  const { io, sink, control } = options;
  let plan = options.plan;
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
    // The run's own copy of the plan, with the edits in effect at its first step: live edits change it.
    const resumeMeta = options.resume ? parseCheckpointMeta(options.resume.meta, options.resume.name) : undefined;
    const startStep = options.restartSchedule ? 0 : (resumeMeta?.step ?? 0);
    const history = options.edits ?? editHistory(resumeMeta?.edits);
    plan = planAsOf(options.plan, history, startStep);
    nodes = await RunNodes.setup(plan, options.implementations ?? builtInImplementations(), io, options.backendName, emit);
    const maxIds = new Map([...nodes.info].filter(([, info]) => info.max_id !== undefined).map(([id, info]) => [id, info.max_id]));
    for (const d of checkVocabulary(plan, maxIds)) throw new NodeError(d.nodeId!, d.message, d.field);
    if (options.resume) {
      const meta = nodes.restore(options.resume);
      stepsDone = startStep;
      elapsedBefore = options.restartSchedule ? 0 : (meta.elapsedSeconds ?? 0);
      lastCheckpoint = options.resume.name;
    }

    const matmul = nativeGemmFor(options.backendName);
    const parameters = [...nodes.info.values()].reduce((sum, info) => sum + (info.parameters ?? 0), 0);
    emit({
      type: 'run/started',
      step: stepsDone,
      data: {
        totalSteps: plan.totalSteps,
        backend: options.backendName,
        parameters,
        tokensPerStep: tokensPerStep(plan),
        ...(matmul ? { matmul: matmul.describe } : {}),
        ...(options.resume ? { resumedFrom: options.resume.name } : {}),
      },
    });
    for (const [nodeId, info] of nodes.info) emit({ type: 'node/metrics', nodeId, step: stepsDone, data: info });

    const runNodes = nodes;
    const runEdits = new RunEdits(plan, runNodes.runtimes, registry, io, emit, history, stepsDone);
    const asking = control?.takeSamples ? await sampleSource(runNodes.setupOutputs) : undefined;
    const boundary: Boundary = {
      edits: (done) => runEdits.apply(done, control?.takeEdits?.() ?? []),
      samples: (done) => answerAll(asking, control?.takeSamples?.() ?? [], done),
    };
    const environment = {
      io,
      emit,
      elapsedSeconds,
      snapshot: (step: number) =>
        runNodes.snapshot({
          format: 'pretrain-studio-checkpoint',
          formatVersion: 1,
          step,
          elapsedSeconds: elapsedSeconds(),
          pipeline: plan.pipeline,
          savedAt: new Date().toISOString(),
          executor: options.executor ?? 'node',
          ...(runEdits.history.length ? { edits: [...runEdits.history] } : {}),
        }),
    };
    while (stepsDone < plan.totalSteps) {
      if (!(await betweenSteps(boundary, stepsDone, control))) return finish('stopped');
      if (stepsDone >= plan.totalSteps) break;
      const result = await runStep(runNodes, stepsDone, environment);
      stepsDone += 1;
      for (const event of result.insides) emit(event);
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
    if (control?.takeEdits) refuseEdits(control.takeEdits(), 'the run has ended');
    for (const request of control?.takeSamples?.() ?? []) request.settle({ error: 'the run has ended' });
    await nodes?.dispose();
  }
}

/**
 * The boundary before a step: applies due edits (also while paused, so a paused run takes them)
 * and waits out a pause. False when the run is to stop.
 */
async function betweenSteps(boundary: Boundary, stepsDone: number, control: RunControl | undefined): Promise<boolean> {
  for (;;) {
    await boundary.edits(stepsDone);
    await boundary.samples(stepsDone);
    if (control?.stopRequested) return false;
    await control?.waitWhilePaused();
    if (control?.stopRequested) return false;
    if (!(await boundary.edits(stepsDone)) && !(await boundary.samples(stepsDone))) return true;
  }
}

/** Work done at a step boundary; each returns how many requests it served. */
interface Boundary {
  edits(stepsDone: number): Promise<number>;
  samples(stepsDone: number): Promise<number>;
}

/** The edit history a checkpoint carries, if it is one (an uploaded checkpoint's metadata is not trusted). */
function editHistory(edits: unknown): EditRecord[] {
  if (!Array.isArray(edits)) return [];
  return edits.filter(
    (e): e is EditRecord =>
      typeof e === 'object' &&
      e !== null &&
      Number.isSafeInteger(e.step) &&
      typeof e.nodeId === 'string' &&
      typeof e.changes === 'object' &&
      e.changes !== null &&
      Object.values(e.changes).every((c) => Array.isArray(c) && c.length === 2),
  );
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
