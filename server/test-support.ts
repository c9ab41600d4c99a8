// Helpers shared by the server's tests and the streaming benchmark: temp folders, the smoke
// pipeline, JSON requests, and a socket.io watcher that checks seq order as events arrive.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { WireEvent } from './runs/run-folders';

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** pipelines/smoke.json, optionally edited. */
export function smokePipeline(edit?: (doc: any) => void): any {
  const doc = JSON.parse(readFileSync(new URL('../pipelines/smoke.json', import.meta.url), 'utf8'));
  edit?.(doc);
  return doc;
}

export async function api(base: string, path: string, init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(base + path, {
    method: init.method ?? (init.json !== undefined || init.body !== undefined ? 'POST' : 'GET'),
    headers: init.json !== undefined ? { 'content-type': 'application/json', ...init.headers } : init.headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The run's status once it is final. It turns final when the worker has exited, a moment after
 * the run/finished event a watcher sees.
 */
export function finalStatus(url: string, id: string): Promise<any> {
  return waitFor(`run ${id}'s status to be final`, async () => {
    const status = (await api(url, `/api/runs/${id}`)).json;
    return !['queued', 'running', 'paused'].includes(status?.state) && status;
  });
}

/**
 * A socket.io client watching one run. `events` holds what arrived, and any gap or repeat in seq
 * is recorded in `problems` (the tests assert it stays empty).
 */
export class Watcher {
  readonly socket: Socket;
  readonly events: WireEvent[] = [];
  readonly problems: string[] = [];
  lastSeq: number;

  constructor(
    base: string,
    readonly runId: string,
    after = 0,
  ) {
    this.lastSeq = after;
    this.socket = io(base, { transports: ['websocket'], forceNew: true, reconnection: false });
    this.socket.on('events', (batch: { runId: string; events: WireEvent[] }) => {
      if (batch.runId !== runId) return;
      for (const e of batch.events) {
        if (e.seq !== this.lastSeq + 1) this.problems.push(`expected seq ${this.lastSeq + 1}, got ${e.seq}`);
        this.lastSeq = e.seq;
        this.events.push(e);
      }
    });
  }

  /** Subscribes; resolves with the ack once the history is sent. */
  subscribe(): Promise<any> {
    return new Promise((resolve) => this.socket.emit('subscribe', { runId: this.runId, after: this.lastSeq }, resolve));
  }

  finished(): WireEvent | undefined {
    return this.events.find((e) => e.type === 'run/finished' && e.seq === this.lastSeq);
  }

  close(): void {
    this.socket.close();
  }
}

/** A studio server in a child process (without Next), on a free port: for tests that kill it with SIGKILL. */
export async function spawnServer(runsDir: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, STUDIO_NO_NEXT: '1', PORT: '0', RUNS_DIR: runsDir, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  try {
    const url = await waitFor('the server to listen', () => /on (http:\/\/\S+)/.exec(output)?.[1], 60_000);
    return { url, child };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

/** Kills a server started by spawnServer at once (as a crash would) and waits for it to be gone. */
export async function killServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}
