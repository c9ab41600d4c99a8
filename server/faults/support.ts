// Helpers of the fault and load drivers (npm run test:faults): a studio server in a child process
// (so it can be killed with SIGKILL and its memory measured), a socket.io client that watches many
// runs across reconnects, and readers that check a run folder's files on disk.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { decodeSafetensors } from '../../engine/checkpoint/safetensors';
import type { WireEvent } from '../runs/run-folders';
import { waitFor } from '../test-support';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  /** SIGKILL: no cleanup, no flushing, workers die with it. Resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM: the normal shutdown. */
  stop(): Promise<void>;
  /** Memory after a full garbage collection, in MiB (needs `{ probe: true }` at start). */
  memory(): Promise<{ heapUsed: number; rss: number; external: number }>;
}

/**
 * Starts `server/index.ts` (API and socket only) on a free loopback port.
 * @example const server = await startServer({ RUNS_DIR: runs, DATA_DIR: data });
 */
export async function startServer(env: Record<string, string>, options: { probe?: boolean } = {}): Promise<ServerProcess> {
  const probe = options.probe ? ['--expose-gc', '--import', new URL('./gc-probe.ts', import.meta.url).href] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...probe, 'server/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, STUDIO_NO_NEXT: '1', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = await waitFor(
    'the server to listen',
    () => {
      if (gone) throw new Error(`the server exited: ${output}`);
      return /on (http:\/\/\S+)/.exec(output)?.[1];
    },
    60_000,
  );
  return {
    url,
    child,
    pid: child.pid!,
    async kill() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
    async memory() {
      const seen = output.length;
      child.kill('SIGUSR2');
      const line = await waitFor('the memory probe', () => /memory (\{.*\})\n/.exec(output.slice(seen))?.[1], 10_000);
      const m = JSON.parse(line);
      if (!m.collected) throw new Error('start the server with { probe: true }');
      const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
      return { heapUsed: mib(m.heapUsed), rss: mib(m.rss), external: mib(m.external) };
    },
  };
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

export async function json(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const response = await fetch(base + path, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    ...(init.body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Lines of a JSONL file: every complete line parsed (throws on a bad one), and whether the file ends mid-line. */
export function readJsonl(path: string): { lines: any[]; torn: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { lines: [], torn: false };
  }
  const torn = text.length > 0 && !text.endsWith('\n');
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`${path}: line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
      }
    });
  return { lines, torn };
}

/**
 * What a killed server left in events.jsonl, checked against train_log.jsonl and the checkpoints:
 * seqs gap-free from 1 (a torn last line is allowed: the next server cuts it); every step up to the
 * resume point (the newest checkpoint whose step's events are stored, see server/runs/resume-point.ts)
 * has its events, the same loss as its train_log.jsonl line, and that checkpoint its
 * `checkpoint/saved`. Throws on a violation; returns the resume point and whether the kill fell
 * between a checkpoint's commit and its step's events (`inWindow`).
 */
export function checkEventsOnDisk(
  runDir: string,
  checkpoints: { name: string; step: number }[],
): { resumePoint?: { name: string; step: number }; inWindow: boolean; events: number } {
  const text = readFileSync(join(runDir, 'events.jsonl'), 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const events = complete
    .split('\n')
    .filter(Boolean)
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`events.jsonl: line ${i + 1} is damaged: ${line.slice(0, 200)}`);
      }
    });
  events.forEach((e, i) => {
    if (e.seq !== i + 1) throw new Error(`events.jsonl: line ${i + 1} has seq ${e.seq}`);
  });
  // The newest step event per step (a resumed run reports the steps after its checkpoint again).
  const stepEvents = new Map<number, any>(events.filter((e) => e.type === 'step').map((e) => [e.step, e]));
  const resumePoint = checkpoints.findLast((c) => stepEvents.has(c.step));
  const upTo = resumePoint?.step ?? 0;
  const log = new Map(readJsonl(join(runDir, 'train_log.jsonl')).lines.map((l) => [l.step, l]));
  for (let step = 1; step <= upTo; step++) {
    const event = stepEvents.get(step);
    if (!event) throw new Error(`events.jsonl has no step event for step ${step}, before the resume point ${resumePoint!.name}`);
    const line = log.get(step);
    if (line && line.loss !== event.data.loss) throw new Error(`step ${step}: loss ${event.data.loss} in events.jsonl, ${line.loss} in train_log.jsonl`);
  }
  if (resumePoint && !events.some((e) => e.type === 'checkpoint/saved' && e.data.name === resumePoint.name)) {
    throw new Error(`events.jsonl has no checkpoint/saved for the resume point ${resumePoint.name}`);
  }
  return { ...(resumePoint ? { resumePoint } : {}), inWindow: checkpoints.length > 0 && checkpoints.at(-1) !== resumePoint, events: events.length };
}

export interface CheckpointFolderReport {
  /** Committed checkpoints (weights + metadata), oldest first by step. */
  complete: { name: string; step: number }[];
  /** Weights whose metadata never came (a kill between the two renames, or during pruning). */
  orphanWeights: string[];
  /** Temporary files of a save in progress when the process died. */
  temporary: string[];
}

/**
 * Checks a checkpoints folder file by file: every metadata file parses, every weights file decodes
 * whole (committed or not: weights are renamed into place only once complete), and anything else
 * is a temporary file. Throws on a damaged file.
 */
export function inspectCheckpoints(dir: string): CheckpointFolderReport {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return { complete: [], orphanWeights: [], temporary: [] };
  }
  const report: CheckpointFolderReport = { complete: [], orphanWeights: [], temporary: [] };
  for (const file of files) {
    if (file.includes('.tmp-')) {
      report.temporary.push(file);
      continue;
    }
    if (file.endsWith('.json')) {
      const meta = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (!files.includes(file.replace(/\.json$/, '.safetensors'))) throw new Error(`${file}: metadata without weights`);
      report.complete.push({ name: file.replace(/\.json$/, ''), step: meta.step });
    } else if (file.endsWith('.safetensors')) {
      const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, file))), file);
      if (!tensors.size) throw new Error(`${file}: no tensors`);
      if (!files.includes(file.replace(/\.safetensors$/, '.json'))) report.orphanWeights.push(file);
    } else {
      throw new Error(`unexpected file in ${dir}: ${file}`);
    }
  }
  report.complete.sort((a, b) => a.step - b.step);
  return report;
}

/**
 * One client watching several runs, as a browser tab would: connects, subscribes to each run after
 * the last seq it has, and may drop the connection and come back; across connections every run's
 * events must arrive exactly once, in seq order (any gap or repeat lands in `problems`).
 */
export class RunsClient {
  readonly events = new Map<string, WireEvent[]>();
  readonly problems: string[] = [];
  socket: Socket | undefined;
  connections = 0;

  constructor(
    readonly base: string,
    readonly runIds: string[],
  ) {
    for (const id of runIds) this.events.set(id, []);
  }

  lastSeq(runId: string): number {
    return this.events.get(runId)!.at(-1)?.seq ?? 0;
  }

  /** Connects and subscribes to every run; resolves once every history is sent. */
  async connect(): Promise<void> {
    const socket = io(this.base, { transports: ['websocket'], forceNew: true, reconnection: false });
    this.socket = socket;
    this.connections++;
    socket.on('events', (batch: { runId: string; events: WireEvent[] }) => {
      if (this.socket !== socket) return; // a batch that was in flight on a connection we left
      const list = this.events.get(batch.runId);
      if (!list) return;
      for (const e of batch.events) {
        const expected = (list.at(-1)?.seq ?? 0) + 1;
        if (e.seq !== expected) this.problems.push(`${batch.runId}: expected seq ${expected}, got ${e.seq}`);
        else list.push(e);
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await Promise.all(
      this.runIds.map(
        (runId) =>
          new Promise<void>((resolve, reject) => {
            socket.emit('subscribe', { runId, after: this.lastSeq(runId) }, (ack: { ok: boolean; error?: string }) => {
              if (ack.ok) resolve();
              else if (this.socket !== socket || socket.disconnected) resolve();
              else reject(new Error(`subscribe ${runId}: ${ack.error}`));
            });
          }),
      ),
    );
  }

  disconnect(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
