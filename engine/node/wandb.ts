// Weights & Biases over plain HTTP, the way the official client talks to it (wandb/sdk/internal/
// internal_api.py and file_stream.py): a GraphQL `upsertBucket` mutation creates (or, with the
// same name, resumes) the run, then POSTs to /files/<entity>/<project>/<run>/file_stream append
// lines to `wandb-history.jsonl` (each with `_step`, `_runtime`, `_timestamp`) and replace
// `wandb-summary.json`; a final `{complete: true, exitcode}` marks the run finished or failed.
//
// The `log` node only declares the switch (wandb, wandb_project, wandb_run_name): uploading is the
// Node host's job, done here from the run's events, so the node and the runtime stay browser-safe
// and need no new I/O. Without a key or a network, training goes on and the log node says why.
import { hostname } from 'node:os';
import type { EventSink, RunEvent } from '../events';
import type { Plan } from '../plan';

export const WANDB_DEFAULT_BASE_URL = 'https://api.wandb.ai';

/** Where and as whom to upload; read from the environment like the official client. */
export interface WandbSettings {
  apiKey?: string; // WANDB_API_KEY
  baseUrl: string; // WANDB_BASE_URL, default https://api.wandb.ai
  entity?: string; // WANDB_ENTITY; absent: the key owner's default entity
}

/** @example wandbSettingsFromEnv(process.env).apiKey */
export function wandbSettingsFromEnv(env: Record<string, string | undefined>): WandbSettings {
  return {
    ...(env.WANDB_API_KEY ? { apiKey: env.WANDB_API_KEY } : {}),
    baseUrl: (env.WANDB_BASE_URL || WANDB_DEFAULT_BASE_URL).replace(/\/+$/, ''),
    ...(env.WANDB_ENTITY ? { entity: env.WANDB_ENTITY } : {}),
  };
}

export interface WandbRunInit {
  project: string;
  /** The run's id on W&B (letters, digits, '-', '_'); starting the same id again resumes it. */
  runId: string;
  displayName?: string;
  /** Shown as the run's config: `{ key: value }`, wrapped as W&B's `{ key: { value, desc } }`. */
  config?: Record<string, unknown>;
}

export interface WandbRunOptions {
  fetch?: typeof fetch;
  /** Milliseconds between uploads of queued history lines (the official client: 2 s early on). */
  flushMs?: number;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** Called once when uploads stop for good (bad key, network gone after retries). */
  onError?: (message: string) => void;
}

const UPSERT_BUCKET = `mutation UpsertBucket(
  $id: String, $name: String, $project: String, $entity: String, $displayName: String,
  $config: JSONString, $host: String, $program: String, $jobType: String
) {
  upsertBucket(input: {
    id: $id, name: $name, modelName: $project, entityName: $entity, displayName: $displayName,
    config: $config, host: $host, jobProgram: $program, jobType: $jobType
  }) {
    bucket { id name displayName historyLineCount project { name entity { name } } }
    inserted
  }
}`;

/** An HTTP failure, with whether retrying may help (network, 429, 5xx) or not (bad key, 4xx). */
class WandbHttpError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * One W&B run: queue history rows with `log`, they are uploaded in the background every
 * `flushMs`; `finish` uploads the rest and closes the run.
 * @example
 *   const run = await WandbRun.start(wandbSettingsFromEnv(process.env), { project: 'p', runId: 'abc123' });
 *   run.log(1, { 'train/loss': 5.2 }, 0.4);
 *   await run.finish(0);
 */
export class WandbRun {
  private pending: string[] = [];
  private summary: Record<string, number> = {};
  private uploading: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private failed = false;

  private constructor(
    private readonly settings: WandbSettings & { apiKey: string },
    /** Web page of the run. */
    readonly url: string,
    private readonly streamUrl: string,
    /** Lines of wandb-history.jsonl already on the server (non-zero when resuming). */
    private offset: number,
    private readonly options: WandbRunOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 2000);
    this.timer.unref?.();
  }

  /** Creates or resumes the run (GraphQL upsertBucket). Rejects with a readable message. */
  static async start(settings: WandbSettings, init: WandbRunInit, options: WandbRunOptions = {}): Promise<WandbRun> {
    if (!settings.apiKey) throw new Error('WANDB_API_KEY is not set');
    const keyed = { ...settings, apiKey: settings.apiKey };
    const config = Object.fromEntries(Object.entries(init.config ?? {}).map(([k, value]) => [k, { desc: null, value }]));
    const response = await post(
      keyed,
      `${settings.baseUrl}/graphql`,
      {
        query: UPSERT_BUCKET,
        variables: {
          name: init.runId,
          project: init.project,
          entity: settings.entity ?? null,
          displayName: init.displayName || null,
          config: JSON.stringify(config),
          host: hostname(),
          program: 'pretrain-studio',
          jobType: 'pretrain',
        },
      },
      options,
    );
    const body = response as { data?: { upsertBucket?: { bucket?: BucketResponse } }; errors?: { message?: string }[] };
    if (body.errors?.length) throw new Error(`W&B refused the run: ${body.errors.map((e) => e.message).join('; ')}`);
    const bucket = body.data?.upsertBucket?.bucket;
    const entity = bucket?.project?.entity?.name ?? settings.entity;
    const project = bucket?.project?.name ?? init.project;
    const name = bucket?.name ?? init.runId;
    if (!entity) throw new Error('W&B did not say which entity the run belongs to (set WANDB_ENTITY)');
    const path = `${encodeURIComponent(entity)}/${encodeURIComponent(project)}`;
    const appBase = settings.baseUrl.replace('://api.', '://');
    return new WandbRun(
      keyed,
      `${appBase}/${path}/runs/${encodeURIComponent(name)}`,
      `${settings.baseUrl}/files/${path}/${encodeURIComponent(name)}/file_stream`,
      bucket?.historyLineCount ?? 0,
      options,
    );
  }

  /**
   * Queues one history row. `runtime` is seconds of training so far (continues across resumes);
   * W&B plots against `_step`.
   */
  log(step: number, values: Record<string, number>, runtime: number, timestamp = Date.now() / 1000): void {
    if (this.failed) return;
    const row = { ...finiteOnly(values), _step: step, _runtime: runtime, _timestamp: timestamp };
    Object.assign(this.summary, row);
    this.pending.push(JSON.stringify(row));
  }

  /** Uploads queued rows now (one request at a time, in order). */
  flush(): Promise<void> {
    this.uploading = this.uploading.then(() => this.send());
    return this.uploading;
  }

  /** Uploads what is left and marks the run finished (exit code 0) or failed (non-zero). */
  async finish(exitCode: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.failed) return;
    await this.request({ complete: true, exitcode: exitCode }).catch((e: Error) => this.fail(e.message));
  }

  private async send(): Promise<void> {
    if (this.failed || !this.pending.length) return;
    const lines = this.pending.splice(0);
    const files = {
      'wandb-history.jsonl': { offset: this.offset, content: lines },
      'wandb-summary.json': { offset: 0, content: [JSON.stringify(this.summary)] },
    };
    try {
      await this.request({ files });
      this.offset += lines.length;
    } catch (e) {
      this.fail((e as Error).message);
    }
  }

  /** POST to file_stream, retrying network errors, 429 and 5xx a few times with backoff. */
  private async request(body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await post(this.settings, this.streamUrl, body, this.options);
        return;
      } catch (e) {
        if (!(e instanceof WandbHttpError) || !e.retryable || attempt >= 3) throw e;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = [];
    if (this.timer) clearInterval(this.timer);
    this.options.onError?.(message);
  }
}

interface BucketResponse {
  id?: string;
  name?: string;
  historyLineCount?: number;
  project?: { name?: string; entity?: { name?: string } };
}

/** W&B's JSON has no NaN or Infinity; such values are left out of the row. */
function finiteOnly(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

/** JSON POST with HTTP basic auth `api:<key>`, as the official client sends it. */
async function post(settings: WandbSettings & { apiKey: string }, url: string, body: unknown, options: WandbRunOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`api:${settings.apiKey}`).toString('base64')}`,
        'user-agent': 'pretrain-studio',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new WandbHttpError(`cannot reach ${new URL(url).origin} (${cause ?? (e as Error).message})`, true);
  }
  const text = await response.text();
  if (!response.ok) {
    const hint = response.status === 401 ? ' (check WANDB_API_KEY)' : '';
    throw new WandbHttpError(
      `${new URL(url).pathname} answered ${response.status}${hint}: ${text.slice(0, 200)}`,
      response.status === 429 || response.status >= 500,
    );
  }
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new WandbHttpError(`${new URL(url).pathname} answered with something other than JSON`, false);
  }
}

/** W&B settings of the plan's first log node with `wandb` on, if any. */
export function wandbLogNode(plan: Plan): { nodeId: string; every: number; project: string; runName: string } | undefined {
  const node = plan.nodes.find((n) => n.kind === 'log' && n.params.wandb === true);
  if (!node) return undefined;
  return {
    nodeId: node.id,
    every: Number(node.params.every ?? 1),
    project: String(node.params.wandb_project || 'pretrain-studio'),
    runName: String(node.params.wandb_run_name ?? ''),
  };
}

export interface WithWandbOptions extends WandbRunOptions {
  /** The run's stable id; reused on resume so the W&B run continues. */
  runId: string;
  env: Record<string, string | undefined>;
  /** Longest wait for the last upload when the run ends, in ms. */
  closeTimeoutMs?: number;
}

/**
 * Forwards every event to `inner` and, when the plan's log node has `wandb` on, streams the
 * logged steps to W&B with nanoGPT's names (`train/loss`, `val/loss`, `lr`) plus `grad_norm`,
 * `tokens_per_sec`, `step_ms`. Problems are reported as `node/notice` on the log node.
 * @example
 *   const sink = withWandb(plan, { emit: send }, { runId, env: process.env });
 *   await trainPipeline({ ..., sink });
 *   await sink.close();
 */
export function withWandb(plan: Plan, inner: EventSink, options: WithWandbOptions): EventSink & { close(): Promise<void> } {
  const target = wandbLogNode(plan);
  if (!target) return { emit: (e) => inner.emit(e), close: async () => {} };
  const notice = (message: string) => inner.emit({ type: 'node/notice', nodeId: target.nodeId, data: { message } });
  const settings = wandbSettingsFromEnv(options.env);
  let run: Promise<WandbRun | undefined> | undefined;
  let finished: Promise<void> | undefined;
  const valLoss = new Map<number, number>();

  const start = () => {
    if (!settings.apiKey) {
      notice('W&B is on, but WANDB_API_KEY is not set: metrics stay local (training continues)');
      return Promise.resolve(undefined);
    }
    const init: WandbRunInit = {
      project: target.project,
      runId: wandbRunId(options.runId),
      displayName: target.runName || plan.name,
      config: { pipeline: plan.name, training: plan.pipeline.training, ...Object.fromEntries(plan.nodes.map((n) => [n.id, n.params])) },
    };
    return WandbRun.start(settings, init, { ...options, onError: (m) => notice(`W&B uploads stopped: ${m} (training continues)`) }).then(
      (r) => (notice(`W&B: logging to ${r.url}`), r),
      (e: Error) => (notice(`W&B unavailable: ${e.message} (training continues)`), undefined),
    );
  };

  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case 'run/started':
        run ??= start();
        break;
      case 'eval':
        valLoss.set(event.step, event.data.val_loss);
        break;
      case 'step': {
        const val = valLoss.get(event.step);
        valLoss.delete(event.step);
        const due = event.step % target.every === 0 || event.step === plan.totalSteps || val !== undefined;
        if (!due || !run) break;
        const d = event.data;
        const values: Record<string, number> = { 'train/loss': d.loss, tokens_per_sec: d.tokens_per_sec, step_ms: d.step_ms };
        if (d.lr !== undefined) values.lr = d.lr;
        if (d.grad_norm !== undefined) values.grad_norm = d.grad_norm;
        if (val !== undefined) values['val/loss'] = val;
        const at = Date.now() / 1000;
        void run.then((r) => r?.log(event.step, values, d.elapsed_s, at));
        break;
      }
      case 'run/finished':
        if (run) finished ??= run.then((r) => r?.finish(event.data.status === 'completed' ? 0 : 1));
        break;
    }
  };

  return {
    emit(event) {
      inner.emit(event);
      onEvent(event);
    },
    async close() {
      const last = finished ?? run?.then((r) => r?.finish(1));
      if (!last) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.closeTimeoutMs ?? 15_000)));
      await Promise.race([last, timeout]);
      clearTimeout(timer);
    },
  };
}

/** W&B run ids are letters, digits, '-' and '_' (at most 128). */
function wandbRunId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128) || 'run';
}
