// The dataset library: lists what is on disk (store.ts), takes uploads (upload.ts), runs a
// tokenize job per upload (jobs.ts) and tells listeners about every change. A folder is ready
// only once its meta.json exists; a job the server did not live to finish is marked failed.
import type { IncomingMessage } from 'node:http';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from '../http';
import type { JobProgress } from './job-worker';
import { startJob, type RunningJob } from './jobs';
import { BUNDLED_ID, datasetDir, isDatasetId, JOB_FILE, listIds, newDatasetId, readJob, readMeta, uploadFile, writeJob, type DatasetRequest } from './store';
import { checkUploadHeaders, receiveBody } from './upload';
import type { DatasetProgress, DatasetStatus } from '../../engine/data/dataset-status';

export type { DatasetProgress, DatasetStatus };

export interface DatasetLibraryOptions {
  dataDir: string;
  /** Largest upload in bytes (MAX_DATASET_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Runs (queued, running or paused) whose pipeline reads dataset `id`. */
  usedBy?(id: string): Promise<string[]>;
}

const RESTARTED = 'the server stopped before this dataset was tokenized; upload it again';
const STATUS_MS = 200;
/** Jobs tokenizing at once (each is a worker thread busy on a core); the rest wait in order. */
const MAX_RUNNING_JOBS = 2;

export class DatasetLibrary {
  private readonly jobs = new Map<string, { job?: RunningJob; status: DatasetStatus; started: number; sent: number }>();
  private running = 0;
  private waiting: { id: string; begin(): void }[] = [];
  private readonly listeners = new Set<(status: DatasetStatus | { id: string; deleted: true }) => void>();

  constructor(readonly options: DatasetLibraryOptions) {}

  /** Marks jobs a previous server left unfinished as failed. */
  async init(): Promise<void> {
    await mkdir(join(this.options.dataDir, 'datasets'), { recursive: true });
    for (const id of await listIds(this.options.dataDir)) {
      const dir = datasetDir(this.options.dataDir, id);
      if (await readMeta(dir)) continue;
      const job = await readJob(dir);
      if (!job) {
        if (!BUNDLED_ID.test(id)) await rm(dir, { recursive: true, force: true }); // never got a job.json
        continue;
      }
      if (job.state !== 'failed') await this.fail(dir, { ...job, state: 'failed', error: RESTARTED });
    }
  }

  onStatus(listener: (status: DatasetStatus | { id: string; deleted: true }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every dataset; the first listing prepares the bundled corpus (byte-level) when it is missing. */
  async list(): Promise<DatasetStatus[]> {
    const brown = datasetDir(this.options.dataDir, 'brown-byte');
    if (!this.jobs.has('brown-byte') && !(await readMeta(brown))) this.run('brown-byte', { dir: brown, job: { kind: 'brown' } }, bundledStatus('brown-byte'));
    const ids = new Set([...(await listIds(this.options.dataDir)), ...this.jobs.keys()]);
    const all = await Promise.all([...ids].map((id) => this.get(id)));
    return all.filter((s): s is DatasetStatus => s !== undefined);
  }

  async get(id: string): Promise<DatasetStatus | undefined> {
    if (!isDatasetId(id)) return undefined;
    const live = this.jobs.get(id);
    if (live) return live.status;
    const dir = datasetDir(this.options.dataDir, id);
    const meta = await readMeta(dir);
    if (meta) return readyStatus(id, meta);
    const job = await readJob(dir);
    if (!job) return undefined;
    return {
      ...emptyStatus(id, job.name, job.tokenizer, job.format),
      state: job.state === 'failed' ? 'failed' : 'tokenizing',
      ...(job.error ? { error: job.error } : {}),
    };
  }

  /** The folder of a ready dataset (for runs and previews); HttpError 404/409 otherwise. */
  async readyDir(id: string): Promise<string> {
    const status = await this.get(id);
    if (!status) throw new HttpError(404, `no dataset ${JSON.stringify(id)}`);
    if (status.state !== 'ready') throw new HttpError(409, `dataset ${id} is ${status.state}${status.error ? `: ${status.error}` : ''}`);
    return datasetDir(this.options.dataDir, id);
  }

  /** Receives an upload (the request's body) and starts its tokenize job; resolves with its id. */
  async upload(req: IncomingMessage, request: DatasetRequest): Promise<string> {
    try {
      checkUploadHeaders(req, this.options.maxUploadBytes);
    } catch (e) {
      req.resume(); // drain, so the reply reaches the client
      throw e;
    }
    const id = newDatasetId();
    const dir = datasetDir(this.options.dataDir, id);
    await mkdir(dir, { recursive: true });
    const created = new Date().toISOString();
    await writeJob(dir, { ...request, state: 'uploading', created });
    const status: DatasetStatus = { ...emptyStatus(id, request.name, request.tokenizer, request.format), state: 'tokenizing' };
    const entry = { status, started: Date.now(), sent: 0 };
    this.jobs.set(id, entry);
    const declared = Number(req.headers['content-length']) || null;
    let bytes: number;
    try {
      bytes = await receiveBody(req, join(dir, uploadFile(request.format)), this.options.maxUploadBytes, (n) =>
        this.progress(id, { phase: 'uploading', bytes_done: n, bytes_total: declared ?? 0, tokens_written: 0 }),
      );
      if (bytes === 0) throw new HttpError(400, 'the file is empty');
    } catch (e) {
      this.jobs.delete(id);
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    await writeJob(dir, { ...request, state: 'tokenizing', created, upload_bytes: bytes });
    this.jobs.delete(id);
    this.run(id, { dir, job: { kind: 'upload', request, uploadBytes: bytes } }, status);
    return id;
  }

  /** Ends a job that is still running; the dataset becomes failed ('cancelled'). */
  async cancel(id: string): Promise<DatasetStatus> {
    const live = this.jobs.get(id);
    if (!live?.job) {
      const status = await this.get(id);
      if (!status) throw new HttpError(404, `no dataset ${JSON.stringify(id)}`);
      throw new HttpError(409, `dataset ${id} is ${status.state}: there is no job to cancel`);
    }
    await live.job.cancel();
    return (await this.get(id))!;
  }

  /** Deletes a dataset (cancelling its job); refused for the bundled corpus and while a run reads it. */
  async remove(id: string): Promise<void> {
    if (BUNDLED_ID.test(id)) throw new HttpError(403, `${id} is the bundled corpus and cannot be deleted`);
    if (!(await this.get(id))) throw new HttpError(404, `no dataset ${JSON.stringify(id)}`);
    const runs = (await this.options.usedBy?.(id)) ?? [];
    if (runs.length)
      throw new HttpError(
        409,
        `dataset ${id} is used by ${runs.length === 1 ? 'run' : 'runs'} ${runs.join(', ')}; stop ${runs.length === 1 ? 'it' : 'them'} first`,
        { runs },
      );
    await this.jobs.get(id)?.job?.cancel();
    await rm(datasetDir(this.options.dataDir, id), { recursive: true, force: true });
    for (const listener of this.listeners) listener({ id, deleted: true });
  }

  /** Ends running jobs; their datasets are marked failed on the next start. */
  async close(): Promise<void> {
    this.waiting = []; // queued jobs stay 'tokenizing' on disk: the next start marks them failed
    await Promise.all([...this.jobs.values()].map((j) => j.job?.cancel()));
  }

  /** Starts the job now if fewer than MAX_RUNNING_JOBS run, else queues it (cancellable while it waits). */
  private run(id: string, start: Parameters<typeof startJob>[0], status: DatasetStatus): void {
    const entry: { job?: RunningJob; status: DatasetStatus; started: number; sent: number } = {
      status: { ...status, state: 'tokenizing' },
      started: Date.now(),
      sent: 0,
    };
    this.jobs.set(id, entry);
    this.emit(entry.status);
    const begin = () => {
      this.running++;
      entry.job = startJob(start, id, {
        progress: (p) => this.progress(id, p),
        end: async (error) => {
          this.running--;
          await this.finish(id, start.dir, error);
          this.waiting.shift()?.begin();
        },
      });
    };
    if (this.running < MAX_RUNNING_JOBS) return begin();
    this.waiting.push({ id, begin });
    entry.job = {
      done: Promise.resolve(),
      cancel: async () => {
        this.waiting = this.waiting.filter((w) => w.id !== id);
        await this.finish(id, start.dir, 'cancelled');
      },
    };
  }

  private async finish(id: string, dir: string, error: string | undefined): Promise<void> {
    const job = await readJob(dir);
    if (error === undefined) {
      // Ready: meta.json is there; the upload and the job file are no longer needed.
      for (const name of await readdir(dir).catch(() => []))
        if (name.startsWith('upload.') || name === 'text.txt' || name === JOB_FILE) await rm(join(dir, name), { force: true });
    } else if (job) {
      await this.fail(dir, { ...job, state: 'failed', error });
    }
    this.jobs.delete(id);
    const status = await this.get(id);
    if (status) this.emit(status);
  }

  /** Keeps only job.json (now failed): no half-written file is left to be mistaken for data. */
  private async fail(dir: string, job: Parameters<typeof writeJob>[1]): Promise<void> {
    for (const name of await readdir(dir).catch(() => [])) if (name !== JOB_FILE) await rm(join(dir, name), { recursive: true, force: true });
    await writeJob(dir, job);
  }

  private progress(id: string, p: JobProgress | { phase: 'uploading'; bytes_done: number; bytes_total: number; tokens_written: number }): void {
    const entry = this.jobs.get(id);
    if (!entry) return;
    const fraction = p.bytes_total > 0 ? Math.min(1, p.bytes_done / p.bytes_total) : 0;
    if (entry.status.progress?.phase !== p.phase) entry.started = Date.now();
    const elapsed = (Date.now() - entry.started) / 1000;
    const eta = fraction > 0 && elapsed > 0.5 ? (elapsed * (1 - fraction)) / fraction : null;
    entry.status = {
      ...entry.status,
      progress: {
        phase: p.phase,
        fraction,
        bytes_read: p.bytes_done,
        bytes_total: p.bytes_total || null,
        tokens_written: p.tokens_written,
        eta_s: eta === null ? null : Math.round(eta * 10) / 10,
      },
    };
    if (Date.now() - entry.sent >= STATUS_MS) {
      entry.sent = Date.now();
      this.emit(entry.status);
    }
  }

  private emit(status: DatasetStatus): void {
    for (const listener of this.listeners) listener(status);
  }
}

function emptyStatus(id: string, name: string, tokenizer: string, format: string): Omit<DatasetStatus, 'state'> {
  return {
    id,
    name,
    progress: null,
    train_tokens: null,
    valid_tokens: null,
    vocab_size: null,
    unigram_entropy: null,
    bytes_per_token: null,
    tokenizer,
    format,
    bundled: BUNDLED_ID.test(id),
  };
}

function bundledStatus(id: string): DatasetStatus {
  return { ...emptyStatus(id, bundledName(id), id.slice('brown-'.length).replace(/\d+$/, ''), 'txt'), state: 'tokenizing' };
}

const bundledName = (id: string) => `Brown corpus (${id.slice('brown-'.length).replace(/^bpe/, 'BPE ')})`;

function readyStatus(id: string, meta: Record<string, unknown>): DatasetStatus {
  const num = (key: string) => (typeof meta[key] === 'number' ? (meta[key] as number) : null);
  const train = num('train_tokens');
  const valid = num('valid_tokens');
  const bytes = num('bytes') ?? num('upload_bytes');
  return {
    id,
    state: 'ready',
    progress: null,
    bundled: BUNDLED_ID.test(id),
    name: typeof meta.name === 'string' ? meta.name : bundledName(id),
    train_tokens: train,
    valid_tokens: valid,
    vocab_size: num('vocab_size'),
    unigram_entropy: num('train_unigram_entropy'),
    bytes_per_token: num('bytes_per_token') ?? (bytes !== null && train !== null && valid !== null && train + valid > 0 ? bytes / (train + valid) : null),
    tokenizer: String(meta.tokenizer ?? 'byte'),
    format: typeof meta.format === 'string' ? meta.format : 'txt',
  };
}
