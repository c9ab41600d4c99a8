// A run with executor "torch": the pipeline's PyTorch export (runs/<id>/torch/) trained by
// `python train.py` or torchrun in a process group of its own, writing train_log.jsonl,
// samples.jsonl and checkpoints/ into the run folder like a node run; train.py's status.json
// stays in torch/ (the run folder's status.json is the server's). Its files are tailed into
// RunEvents and handed to the manager as the same messages a worker thread posts, so numbering,
// storage and streaming are shared. Control is by signals to the process group:
//   pause -> SIGSTOP, resume -> SIGCONT (the processes keep their memory, GPU memory included),
//   stop -> SIGTERM (train.py ends after the step in progress) then SIGKILL after a grace period,
//   server closing -> SIGKILL (the run becomes interrupted, resumable from its last checkpoint).
// stdout and stderr go to runs/<id>/torch.log; a crash reports the log's last lines.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { access, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '../../engine/events';
import { TorchExportError, type TorchConfig } from '../../engine/export/torch/export';
import { launchTorch, tailTorchRun, type TorchTail } from '../../engine/node/torch-launch';
import type { Plan } from '../../engine/plan';
import type { TorchDevice, WorkerMessage } from './messages';
import { exportTorchInWorker } from './torch-export';

/** The export's folder inside the run folder. */
export const TORCH_DIR = 'torch';
/** train.py's own status.json, inside TORCH_DIR. */
export const TORCH_STATUS_FILE = 'status.json';
/** stdout and stderr of the PyTorch processes, in the run folder. */
export const TORCH_LOG = 'torch.log';

export interface TorchRunOptions {
  runId: string;
  /** runs/<id>/ */
  runDir: string;
  /** The compiled plan (plan.json); exported into runs/<id>/torch/ unless already there. */
  plan: Plan;
  /** Where the bundled corpus is prepared. */
  dataDir: string;
  nproc: number;
  device: TorchDevice;
  /** Checkpoint path to continue from (train.py --resume). */
  resume?: string;
  /** With resume: the step counter and schedule start at 0 (a fork that restarts its schedule). */
  restartSchedule?: boolean;
  /** The step the run starts at (the resumed checkpoint's), for events sent before train.py reports. */
  startStep: number;
  python: string;
  env: NodeJS.ProcessEnv;
  /** After SIGTERM, how long train.py may take to finish its step before SIGKILL. */
  stopGraceMs: number;
  /** How often the run folder is read (ms). */
  pollMs: number;
  /** Events (in order), then once `run/ended` (or `run/crashed` for a bug of ours). */
  onMessage(message: WorkerMessage): void;
  /** The process group started (its id is the leader's pid). */
  onLaunched(pid: number): void;
}

/** Position of an event within one step, as a node run orders them (docs/events.md). */
const ORDER: Record<RunEvent['type'], number> = {
  'run/started': 0, 'node/notice': 1, eval: 3, sample: 4, 'checkpoint/saved': 5, 'model/insides': 5.5, 'node/metrics': 6, step: 7,
  // An edit at step k takes effect after step k's events, before step k + 1.
  'run/edited': 7.5, 'run/edit-refused': 7.5, error: 8, 'run/finished': 9,
};
/** node/metrics sent once at the start (the model's parameters) go right after run/started. */
const AT_START = 2;

type Outcome = 'completed' | 'stopped' | 'failed';

/**
 * One torch run from export to exit. Construct, then start(); the manager calls pause, resume,
 * stop and terminate.
 * @example
 *   const run = new TorchRun({ ...options, onMessage: (m) => manager.handle(record, m) });
 *   run.start();
 */
export class TorchRun {
  private child: ChildProcess | undefined;
  private exited = false;
  private paused = false;
  private stopRequested = false;
  private terminated = false;
  private reported = false;
  private wake: (() => void) | undefined;
  private killTimer: ReturnType<typeof setTimeout> | undefined;
  private done: Promise<void> = Promise.resolve();
  // What the run's events said so far.
  private outcome: Outcome | undefined;
  private lastStep: number;
  private lastElapsed = 0;
  private lastCheckpoint: string | undefined;
  private error: { message: string; nodeId?: string } | undefined;
  // Events waiting for the end of the current poll, with their place in the step.
  private pending: { event: RunEvent; order: number; index: number }[] = [];
  private flushing = false;
  private config: TorchConfig | undefined;

  constructor(private readonly options: TorchRunOptions) {
    this.lastStep = options.startStep;
  }

  start(): void {
    this.done = this.run().catch((e: Error) => this.report({ type: 'run/crashed', message: `torch executor: ${e.message}` }));
  }

  /** Freezes the processes (SIGSTOP) where they are; before the launch, holds the launch. */
  pause(): void {
    this.paused = true;
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
    this.signal('SIGCONT');
  }

  /** Asks train.py to stop after its current step; kills it if it has not within the grace period. */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
    this.sendStop();
  }

  /** Kills the processes now and waits for them (the server is closing; the run becomes interrupted). */
  async terminate(): Promise<void> {
    this.terminated = true;
    this.wake?.();
    if (!this.child) return; // not launched (it will not be now); an export under way finishes on its own
    this.signal('SIGKILL');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.done, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
  }

  /** SIGTERM, once, to launched processes (a stop asked before the launch is sent after it). */
  private sendStop(): void {
    if (this.killTimer || this.child?.pid === undefined || this.exited) return;
    this.signal('SIGTERM', { groupOnly: true }); // torchrun passes it on to its workers
    if (this.paused) this.signal('SIGCONT'); // a stopped process handles SIGTERM once continued
    this.killTimer = setTimeout(() => this.signal('SIGKILL'), this.options.stopGraceMs);
  }

  /** Signals the launched processes, if they are still there. */
  private signal(signal: NodeJS.Signals, options: { groupOnly?: boolean } = {}): void {
    const pid = this.child?.pid;
    if (pid !== undefined && !this.exited) signalRun(pid, signal, options);
  }

  private async run(): Promise<void> {
    const { runDir, plan } = this.options;
    const exportDir = join(runDir, TORCH_DIR);
    // 1. The export, once per run (a resumed run trains the same program and config).
    if (!(await exists(join(exportDir, 'config.json')))) {
      try {
        await exportTorchInWorker({
          plan, outDir: exportDir, dataDir: this.options.dataDir, baseDir: process.cwd(), copyData: false, linkData: true, dataRoots: [this.options.dataDir],
        }, this.options.env);
      } catch (e) {
        await rm(exportDir, { recursive: true, force: true }); // half an export would be reused by a resume
        const issue = e instanceof TorchExportError ? e.issues[0] : undefined;
        return this.end('failed', {
          message: e instanceof TorchExportError ? e.issues.map((i) => i.message).join('; ') : `cannot export to PyTorch: ${(e as Error).message}`,
          ...(issue?.nodeId ? { nodeId: issue.nodeId } : {}), ...(issue?.field ? { field: issue.field } : {}),
        });
      }
    }
    this.config = JSON.parse(await readFile(join(exportDir, 'config.json'), 'utf8')) as TorchConfig;
    while (this.paused && !this.stopRequested && !this.terminated) await new Promise<void>((r) => (this.wake = r));
    if (this.terminated) return;
    if (this.stopRequested) return this.end('stopped');

    // 2. Launch: train.py's status.json of an earlier launch would read as this one's.
    const statusFile = join(exportDir, TORCH_STATUS_FILE);
    await rm(statusFile, { force: true });
    const logPath = join(runDir, TORCH_LOG);
    const log = await open(logPath, 'a');
    let tail: TorchTail;
    let logStart: number;
    let launch: ReturnType<typeof launchTorch>;
    try {
      // fresh: train_log.jsonl and samples.jsonl keep a resumed run's earlier lines.
      tail = await tailTorchRun({ exportDir, runDir, statusFile, sink: { emit: (e) => this.receive(e) }, intervalMs: this.options.pollMs, fresh: true });
      const header = `\n=== ${new Date().toISOString()} run ${this.options.runId}: ${this.options.nproc} process(es), device ${this.options.device}` +
        `${this.options.resume ? `, resuming ${this.options.resume}` : ''}\n`;
      await log.write(header);
      logStart = (await log.stat()).size;
      if (this.terminated) {
        await tail.stop();
        return;
      }
      launch = launchTorch({
        exportDir, outDir: runDir, statusFile, nproc: this.options.nproc, device: this.options.device,
        ...(this.options.resume ? { resume: this.options.resume, restartSchedule: this.options.restartSchedule === true } : {}),
        python: this.options.python, env: { ...this.options.env, PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', log.fd, log.fd], detached: true,
      });
      this.child = launch.child; // at once: terminate() must see a process it has to kill
    } finally {
      await log.close(); // the child has its own copies of the descriptor
    }
    if (launch.child.pid !== undefined) {
      this.options.onLaunched(launch.child.pid);
      if (this.paused) this.pause(); // paused while the launch was under way
      if (this.stopRequested) this.sendStop();
    }

    // 3. The end: train.py says how it ended in status.json; otherwise the exit does.
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    try {
      exit = await launch.done;
    } catch (e) {
      spawnError = e as Error;
    }
    this.exited = true;
    clearTimeout(this.killTimer);
    await tail.stop();
    this.flush();
    if (this.terminated) return;
    if (this.outcome) return this.report(this.ended(this.outcome));
    if (this.stopRequested) return this.end('stopped');
    if (spawnError) return this.end('failed', { message: `cannot run ${this.options.python}: ${spawnError.message}` });
    const how = exit!.signal ? `was killed by ${exit!.signal}` : `exited with code ${exit!.code}`;
    const lines = await lastLines(logPath, logStart, 20);
    this.end('failed', { message: `the PyTorch process ${how}${lines ? `; ${TORCH_LOG} ends with:\n${lines}` : ` (${TORCH_LOG} is empty)`}` });
  }

  /** Ends the run with events of our own (train.py did not report the end itself). */
  private end(outcome: Outcome, error?: { message: string; nodeId?: string; field?: string }): void {
    const step = this.lastStep;
    const events: RunEvent[] = [];
    if (error) {
      events.push({ type: 'error', ...(error.nodeId ? { nodeId: error.nodeId } : {}), step, data: { message: error.message, ...(error.field ? { field: error.field } : {}) } });
    }
    events.push({ type: 'run/finished', step, data: { status: outcome, elapsed_s: this.lastElapsed, ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}) } });
    for (const event of events) this.receive(event);
    this.flush();
    this.report(this.ended(outcome));
  }

  private ended(outcome: Outcome): WorkerMessage {
    return {
      type: 'run/ended', status: outcome, step: this.lastStep,
      ...(this.error ? { error: this.error } : {}), ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}),
    };
  }

  private report(message: WorkerMessage): void {
    if (this.reported || this.terminated) return;
    if (message.type !== 'run/events') this.reported = true;
    this.options.onMessage(message);
  }

  /** An event from the tail (or ours): remembered, completed with node metrics, queued for the flush. */
  private receive(event: RunEvent): void {
    const add = (e: RunEvent, order = ORDER[e.type]) => this.pending.push({ event: e, order, index: this.pending.length });
    add(event);
    const c = this.config;
    switch (event.type) {
      case 'run/started': {
        if (c) add({ type: 'node/metrics', nodeId: c.model.node_id, step: event.step, data: { parameters: event.data.parameters } }, AT_START);
        const log = this.options.plan.nodes.find((n) => n.kind === 'log');
        if (log?.params.wandb === true) {
          add({ type: 'node/notice', nodeId: log.id, step: event.step, data: { message: 'W&B streaming is not available in torch runs; train_log.jsonl has the numbers' } });
        }
        break;
      }
      case 'step': {
        this.lastStep = event.step;
        this.lastElapsed = event.data.elapsed_s;
        if (!c) break;
        // The per-node numbers a node run reports, from the step's log line, so the canvas shows them.
        const { loss, lr, grad_norm: gradNorm } = event.data;
        add({ type: 'node/metrics', nodeId: c.loss.node_id, step: event.step, data: { loss } });
        if (c.clip && gradNorm !== undefined) add({ type: 'node/metrics', nodeId: c.clip.node_id, step: event.step, data: { grad_norm: gradNorm } });
        if (lr !== undefined) {
          if (c.schedule) add({ type: 'node/metrics', nodeId: c.schedule.node_id, step: event.step, data: { lr } });
          add({ type: 'node/metrics', nodeId: c.optimizer.node_id, step: event.step, data: { lr } });
        }
        break;
      }
      case 'eval':
        add({ type: 'node/metrics', nodeId: event.nodeId, step: event.step, data: { val_loss: event.data.val_loss } });
        break;
      case 'checkpoint/saved':
        this.lastCheckpoint = event.data.name;
        add({ type: 'node/metrics', nodeId: event.nodeId, step: event.step, data: { bytes: event.data.bytes } });
        break;
      case 'error':
        this.error = { message: event.data.message, ...(event.nodeId ? { nodeId: event.nodeId } : {}) };
        break;
      case 'run/finished':
        this.outcome = event.data.status;
        if (event.data.lastCheckpoint) this.lastCheckpoint = event.data.lastCheckpoint;
        break;
    }
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush()); // after the poll that is emitting: one message per poll
    }
  }

  /**
   * Sends the queued events in a node run's order: the tail reports a poll's log lines (steps)
   * before the samples and checkpoints of those steps; within a poll they are put back in place.
   */
  private flush(): void {
    this.flushing = false;
    if (!this.pending.length) return;
    const batch = this.pending.sort((a, b) => (a.event.step ?? 0) - (b.event.step ?? 0) || a.order - b.order || a.index - b.index);
    this.pending = [];
    this.report({ type: 'run/events', events: batch.map((p) => p.event) });
  }
}

/**
 * Kills what is left of a torch run whose server died (a restarted server calls it for runs that
 * were running): the process group `pid`, if that process is still this run's (its command line
 * names the run's export folder, so a recycled pid is left alone). Linux only (/proc); elsewhere
 * it does nothing.
 */
export function killLeftoverRun(pid: number, runDir: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // gone (or not Linux)
  }
  if (!cmdline.split('\0').some((arg) => arg.startsWith(join(runDir, TORCH_DIR)))) return false;
  signalRun(pid, 'SIGKILL');
  return true;
}

/**
 * Sends `signal` to the run's process group and, unless groupOnly, to every descendant process
 * too: PyTorch 2's torchrun starts its workers in sessions of their own, out of the group's reach.
 */
function signalRun(pid: number, signal: NodeJS.Signals, options: { groupOnly?: boolean } = {}): void {
  const targets = options.groupOnly ? [] : descendants(pid); // listed first: killing torchrun orphans them
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
  for (const child of targets) {
    try {
      process.kill(child, signal);
    } catch {
      // exited meanwhile
    }
  }
}

/** Pids of every process below `root`, from /proc (none where there is no /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The last `count` lines of a file from byte `from` on (at most 4 KB of them). */
async function lastLines(path: string, from: number, count: number): Promise<string> {
  try {
    const { size } = await stat(path);
    const start = Math.max(from, size - 4096);
    const handle = await open(path, 'r');
    try {
      const bytes = Buffer.alloc(size - start);
      await handle.read(bytes, 0, bytes.length, start);
      return bytes.toString('utf8').split('\n').filter((l) => l.trim()).slice(-count).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
