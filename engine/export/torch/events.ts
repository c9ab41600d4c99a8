// What an exported run writes (train_log.jsonl, samples.jsonl, insides.jsonl, status.json) turned into the
// engine's RunEvents (docs/events.md), so a host can stream a PyTorch run like a tfjs one.
// Pure and browser-safe; launch.ts tails the files and feeds them through TorchEventConverter.
import { RunEvent } from '../../events';
import type { TorchConfig } from './export';

/** status.json, as train.py writes it (atomically) at start, on log lines and checkpoints, and at the end. */
export interface TorchStatus {
  state: 'running' | 'finished' | 'stopped' | 'failed'; // stopped: SIGTERM, between two steps
  step: number; // optimizer steps completed
  start_step: number; // the step the run started (or resumed) at
  total_steps: number;
  last_checkpoint: string | null;
  parameters?: number;
  tokens_per_step?: number;
  world_size?: number;
  device?: string; // 'cuda' or 'cpu'
  dtype?: string;
  resumed_from?: string | null;
  checkpoint?: { name: string; step: number; bytes: number; removed: string[] } | null; // the newest one this run saved
  elapsed_s?: number; // wall-clock seconds, including those before a resume
  error?: { message: string; node_id: string | null } | null;
  updated_at?: string;
  pid?: number;
}

/** Only events that match the contract go out: a malformed line is dropped, not forwarded. */
function valid(event: unknown): RunEvent[] {
  const parsed = RunEvent.safeParse(event);
  return parsed.success ? [parsed.data] : [];
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined; // a torn or foreign line: skip it
  }
}

/**
 * Turns the files of one exported run into RunEvents, remembering what it has already reported.
 * @example
 *   const conv = new TorchEventConverter(config);
 *   conv.status(JSON.parse(statusText));           // [{ type: 'run/started', ... }]
 *   conv.logLine('{"step": 10, "loss": 2.5, ...}'); // [{ type: 'step', step: 10, ... }]
 */
export class TorchEventConverter {
  private started = false;
  private finished = false;
  private lastCheckpoint: string | undefined;

  constructor(private readonly config: Pick<TorchConfig, 'eval' | 'checkpoint'> & { model: Pick<TorchConfig['model'], 'node_id'> }) {}

  /**
   * A train_log.jsonl line: a 'step' event, and an 'eval' event when it carries val_loss; an edit
   * line: 'run/edited'; a refused edit: 'run/edit-refused'.
   */
  logLine(line: string): RunEvent[] {
    const r = parseLine(line);
    if (!r || typeof r.step !== 'number') return [];
    if (r.edited && typeof r.edited === 'object') {
      const edited = r.edited as { nodeId?: unknown; changes?: unknown };
      return valid({
        type: 'run/edited',
        nodeId: edited.nodeId,
        step: r.step,
        data: { changes: edited.changes, ...(r.replayed === true ? { replayed: true } : {}) },
      });
    }
    if (r.edit_refused && typeof r.edit_refused === 'object') {
      const refused = r.edit_refused as { nodeId?: unknown; message?: unknown; field?: unknown };
      return valid({
        type: 'run/edit-refused',
        nodeId: refused.nodeId,
        step: r.step,
        data: { message: refused.message, ...(typeof refused.field === 'string' ? { field: refused.field } : {}) },
      });
    }
    const { step, val_loss: valLoss, ...data } = r;
    const events = valid({ type: 'step', step, data });
    if (typeof valLoss === 'number' && this.config.eval) {
      events.push(...valid({ type: 'eval', nodeId: this.config.eval.node_id, step, data: { val_loss: valLoss, batches: this.config.eval.batches } }));
    }
    return events;
  }

  /** An insides.jsonl line ({ step, layers, blocks }): a 'model/insides' event for the model node. */
  insidesLine(line: string): RunEvent[] {
    const r = parseLine(line);
    if (!r) return [];
    return valid({ type: 'model/insides', nodeId: this.config.model.node_id, step: r.step, data: { layers: r.layers, blocks: r.blocks } });
  }

  /** A samples.jsonl line ({ step, node, text, tokens }): a 'sample' event. */
  sampleLine(line: string): RunEvent[] {
    const r = parseLine(line);
    if (!r) return [];
    return valid({ type: 'sample', nodeId: r.node, step: r.step, data: { text: r.text, tokens: r.tokens ?? 0 } });
  }

  /**
   * A new status.json: 'run/started' the first time, 'checkpoint/saved' for a checkpoint not seen
   * before, and at the end 'error' (when failed) and 'run/finished'.
   */
  status(s: TorchStatus): RunEvent[] {
    const events: RunEvent[] = [];
    // parameters is written once the run is set up; a run that failed before that never started.
    if (!this.started && s.parameters !== undefined) {
      this.started = true;
      if (s.resumed_from) this.lastCheckpoint = s.resumed_from;
      events.push(
        ...valid({
          type: 'run/started',
          step: s.start_step,
          data: {
            totalSteps: s.total_steps,
            backend: `torch-${s.device ?? 'cpu'}${s.world_size && s.world_size > 1 ? `x${s.world_size}` : ''}`,
            parameters: s.parameters ?? 0,
            tokensPerStep: s.tokens_per_step ?? 0,
            ...(s.resumed_from ? { resumedFrom: s.resumed_from } : {}),
          },
        }),
      );
    }
    const saved = s.checkpoint;
    if (saved && saved.name !== this.lastCheckpoint && this.config.checkpoint) {
      this.lastCheckpoint = saved.name;
      events.push(
        ...valid({
          type: 'checkpoint/saved',
          nodeId: this.config.checkpoint.node_id,
          step: saved.step,
          data: { name: saved.name, bytes: saved.bytes, removed: saved.removed },
        }),
      );
    }
    if (!this.finished && (s.state === 'finished' || s.state === 'stopped' || s.state === 'failed')) {
      events.push(
        ...this.finish(s.state === 'finished' ? 'completed' : s.state, s.step, {
          elapsedSeconds: s.elapsed_s,
          error: s.error ?? undefined,
          lastCheckpoint: s.last_checkpoint ?? undefined,
        }),
      );
    }
    return events;
  }

  /**
   * The closing events, once: for a process that ended without saying so in status.json (killed,
   * crashed before writing it), call with the outcome the host saw.
   */
  finish(
    status: 'completed' | 'stopped' | 'failed',
    step: number,
    more: { elapsedSeconds?: number; error?: { message: string; node_id?: string | null }; lastCheckpoint?: string } = {},
  ): RunEvent[] {
    if (this.finished) return [];
    this.finished = true;
    const { error, lastCheckpoint } = more;
    const events: RunEvent[] = [];
    if (error) events.push(...valid({ type: 'error', ...(error.node_id ? { nodeId: error.node_id } : {}), step, data: { message: error.message } }));
    events.push(...valid({ type: 'run/finished', step, data: { status, elapsed_s: more.elapsedSeconds ?? 0, ...(lastCheckpoint ? { lastCheckpoint } : {}) } }));
    return events;
  }

  get done(): boolean {
    return this.finished;
  }
}
