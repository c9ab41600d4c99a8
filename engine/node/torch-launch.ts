// Runs an exported pipeline with PyTorch from Node (Node only): finds out whether torch is there
// (detectTorch), starts train.py in one process or under torchrun (launchTorch), and streams the
// run folder as RunEvents while it trains (tailTorchRun). Nothing browser-side imports this file.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EventSink, RunEvent } from '../events';
import { TorchEventConverter, type TorchStatus } from '../export/torch/events';
import type { TorchConfig } from '../export/torch/export';

/** Debian's python3-torch lives here; pass another interpreter (a venv's python) to use its torch. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

export interface TorchInfo {
  available: boolean;
  version?: string; // torch.__version__
  device: 'cuda' | 'cpu'; // what --device auto picks
  gpus: number; // CUDA devices visible
  error?: string; // why torch is not available
}

const DETECT_PY = [
  'import json, torch, numpy',
  'cuda = torch.cuda.is_available()',
  'print(json.dumps({"version": torch.__version__, "cuda": cuda, "gpus": torch.cuda.device_count() if cuda else 0}))',
].join('\n');

/**
 * Whether `python` can run an export (torch and numpy import), its torch version and its GPUs.
 * @example
 *   await detectTorch(); // { available: true, version: '1.13.0a0+gitunknown', device: 'cpu', gpus: 0 }
 */
export function detectTorch(python = DEFAULT_PYTHON, timeoutMs = 60_000): Promise<TorchInfo> {
  return new Promise((resolveInfo) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(python, ['-c', DETECT_PY], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Our own timer rather than spawn's `timeout`, which is not cleared when the spawn itself fails.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (info: TorchInfo) => {
      clearTimeout(timer);
      resolveInfo(info);
    };
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const unavailable = (error: string): TorchInfo => ({ available: false, device: 'cpu', gpus: 0, error });
    child.on('error', (e) => done(unavailable(`cannot run ${python}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (signal) return done(unavailable(`${python} did not answer within ${timeoutMs} ms`));
      if (code !== 0) return done(unavailable(stderr.trim().split('\n').at(-1) || `${python} exited with ${code}`));
      try {
        const info = JSON.parse(stdout) as { version: string; cuda: boolean; gpus: number };
        done({ available: true, version: info.version, device: info.cuda ? 'cuda' : 'cpu', gpus: info.gpus });
      } catch {
        done(unavailable(`unexpected output from ${python}: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

// `torchrun` is `python -m torch.distributed.run`; running it through the chosen interpreter keeps
// torch and the workers on the same Python. The patch works around Debian's torch 1.13 on Python
// 3.11, where IntFlag iteration skips Std.NONE, so torchrun's default --redirects/--tee "0" parse
// to None and it crashes before starting a worker; elsewhere it changes nothing.
const TORCHRUN_PY = [
  'import runpy, sys',
  'from torch.distributed.elastic.multiprocessing import api',
  'if api.Std.from_str("0") is None:',
  '    _from_str = api.Std.from_str',
  '    api.Std.from_str = classmethod(lambda cls, vm: api.Std.NONE if vm == "0" else _from_str(vm))',
  'sys.argv[0] = "torchrun"',
  'runpy.run_module("torch.distributed.run", run_name="__main__", alter_sys=True)',
].join('\n');

// One machine's rendezvous, as --standalone but on a port of the system's choosing: torch 1.13's
// --standalone always takes port 29400, and a launch finding that port taken (another run, or
// any other program) waited forever for a rendezvous that never came.
const ONE_MACHINE_RENDEZVOUS = ['--nnodes=1', '--rdzv_backend=c10d', '--rdzv_endpoint=localhost:0'];

export interface LaunchTorchOptions {
  /** The export folder (train.py, config.json). */
  exportDir: string;
  /** Processes on this machine: 1 runs `python train.py`, more run torchrun (one machine's rendezvous). */
  nproc?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  /** Run folder (default: run/ in the export folder). */
  outDir?: string;
  /** Where train.py writes status.json (train.py --status; default: in the run folder). */
  statusFile?: string;
  /** Checkpoint to continue from (train.py --resume). */
  resume?: string;
  /** With resume: start the step counter and schedule at 0 (train.py --restart-schedule; a fork). */
  restartSchedule?: boolean;
  /** Weights to start from (train.py --init-from). */
  initFrom?: string;
  init?: 'torch' | 'portable';
  steps?: number;
  dtype?: 'auto' | 'float32' | 'bfloat16';
  compile?: boolean;
  python?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Default 'pipe': read (or resume()) child.stdout and child.stderr, or `done` waits for them to
   * drain; 'inherit' prints to this terminal, 'ignore' drops the output.
   */
  stdio?: StdioOptions;
  /**
   * Start the process in a process group of its own (spawn's `detached`): signal the whole run,
   * torchrun and its workers, with process.kill(-child.pid, signal).
   */
  detached?: boolean;
}

export interface TorchLaunch {
  child: ChildProcess;
  command: string;
  args: string[];
  /** The run folder train.py writes (absolute). */
  runDir: string;
  /** Resolves when the process (all of torchrun's workers) has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The command line launchTorch runs, without running it.
 * @example
 *   torchCommand({ exportDir: 'exp', nproc: 2, device: 'cpu' });
 *   // { command: '/usr/bin/python3', args: ['-c', '<torchrun>', '--nnodes=1', '--rdzv_backend=c10d', '--rdzv_endpoint=localhost:0', '--nproc_per_node=2', '/abs/exp/train.py', '--out', ...] }
 */
export function torchCommand(options: LaunchTorchOptions): { command: string; args: string[]; runDir: string } {
  const exportDir = resolve(options.exportDir);
  const nproc = options.nproc ?? 1;
  if (!Number.isInteger(nproc) || nproc < 1) throw new RangeError(`launchTorch: nproc must be a positive integer, got ${nproc}`);
  const runDir = resolve(options.outDir ?? join(exportDir, 'run'));
  const train = [join(exportDir, 'train.py'), '--out', runDir, '--device', options.device ?? 'auto'];
  if (options.statusFile) train.push('--status', resolve(options.statusFile));
  if (options.steps !== undefined) train.push('--steps', String(options.steps));
  if (options.resume) train.push('--resume', resolve(options.resume));
  if (options.resume && options.restartSchedule) train.push('--restart-schedule');
  if (options.initFrom) train.push('--init-from', resolve(options.initFrom));
  if (options.init) train.push('--init', options.init);
  if (options.dtype) train.push('--dtype', options.dtype);
  if (options.compile) train.push('--compile');
  const command = options.python ?? DEFAULT_PYTHON;
  // monitor_interval: torchrun checks on its workers every 5 s by default, so it would notice the end
  // of a run up to 5 s late; 1 s is plenty cheap.
  const args = nproc === 1 ? train : ['-c', TORCHRUN_PY, ...ONE_MACHINE_RENDEZVOUS, `--nproc_per_node=${nproc}`, '--monitor_interval=1', ...train];
  return { command, args, runDir };
}

/**
 * Starts training an export: `python train.py` for one process, `torchrun --nproc_per_node=N
 * train.py` on this machine for several (several machines: run torchrun by hand, see the export's
 * README.md).
 * @example
 *   const run = launchTorch({ exportDir: 'exports/seed', nproc: 2, device: 'cpu' });
 *   const { code } = await run.done;
 */
export function launchTorch(options: LaunchTorchOptions): TorchLaunch {
  const { command, args, runDir } = torchCommand(options);
  const child = spawn(command, args, {
    cwd: resolve(options.exportDir),
    env: options.env ?? process.env,
    stdio: options.stdio ?? 'pipe',
    detached: options.detached ?? false,
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => ok({ code, signal }));
  });
  return { child, command, args, runDir, done };
}

/** Reads what was appended to a file since the last call, in whole lines. */
class LineReader {
  private offset = 0;
  private partial = Buffer.alloc(0); // bytes after the last newline: a line (maybe a character) still being written

  constructor(private readonly path: string) {}

  /** Starts after what the file holds now. */
  async skipExisting(): Promise<void> {
    this.offset = await stat(this.path).then(
      (s) => s.size,
      () => 0,
    );
  }

  async read(): Promise<string[]> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return []; // not written yet
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return [];
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      const bytes = Buffer.concat([this.partial, buffer.subarray(0, bytesRead)]);
      const end = bytes.lastIndexOf(0x0a); // decode whole lines only, so no UTF-8 sequence is cut
      this.partial = bytes.subarray(end + 1);
      if (end < 0) return [];
      return bytes
        .subarray(0, end)
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
    } finally {
      await handle.close();
    }
  }
}

/** `events` with each of `early` placed just before the first event of its step or a later one (the rest at the end). */
function beforeTheirSteps(early: RunEvent[], events: RunEvent[]): RunEvent[] {
  const out: RunEvent[] = [];
  let next = 0;
  for (const event of events) {
    while (next < early.length && (early[next].step ?? 0) <= (event.step ?? 0)) out.push(early[next++]);
    out.push(event);
  }
  return [...out, ...early.slice(next)];
}

export interface TorchTail {
  /** Reads whatever is new and emits its events (called on a timer; call it yourself for a final read). */
  poll(): Promise<void>;
  /**
   * Stops the timer after a last poll. Pass the exit the host saw, so a run that died without a
   * final status.json still ends with 'run/finished'.
   */
  stop(exit?: { code: number | null; signal?: NodeJS.Signals | null }): Promise<void>;
}

export interface TailTorchRunOptions {
  /** The export folder (its config.json names the nodes events are addressed to). */
  exportDir: string;
  /** The run folder (default: run/ in the export folder). */
  runDir?: string;
  /** train.py's status.json, when launched with statusFile (default: in the run folder). */
  statusFile?: string;
  sink: EventSink;
  /** Milliseconds between polls (default 500). */
  intervalMs?: number;
  /** Ignore what the run folder already holds (a run resumed into the folder of an earlier one). */
  fresh?: boolean;
}

/**
 * Streams an exported run as RunEvents: status.json (run/started, checkpoint/saved, error,
 * run/finished), train_log.jsonl (step, eval), insides.jsonl (model/insides) and samples.jsonl (sample).
 * @example
 *   const run = launchTorch({ exportDir });
 *   const tail = await tailTorchRun({ exportDir, runDir: run.runDir, sink });
 *   await tail.stop(await run.done);
 */
export async function tailTorchRun(options: TailTorchRunOptions): Promise<TorchTail> {
  const exportDir = resolve(options.exportDir);
  const runDir = resolve(options.runDir ?? join(exportDir, 'run'));
  const config = JSON.parse(await readFile(join(exportDir, 'config.json'), 'utf8')) as TorchConfig;
  const convert = new TorchEventConverter(config);
  const log = new LineReader(join(runDir, 'train_log.jsonl'));
  const samples = new LineReader(join(runDir, 'samples.jsonl'));
  const insides = new LineReader(join(runDir, 'insides.jsonl'));
  const statusPath = options.statusFile ? resolve(options.statusFile) : join(runDir, 'status.json');
  const readText = (path: string) => readFile(path, 'utf8').catch(() => undefined);
  // A run resumed into its old folder appends to the old files and replaces the old status.json.
  let stale: string | undefined;
  if (options.fresh) {
    await log.skipExisting();
    await samples.skipExisting();
    await insides.skipExisting();
    stale = await readText(statusPath);
  }
  let lastStep = 0;
  let busy: Promise<void> = Promise.resolve();
  const emit = (events: ReturnType<TorchEventConverter['status']>) => {
    for (const e of events) {
      if (e.type === 'step') lastStep = e.step;
      options.sink.emit(e);
    }
  };
  const readStatus = async (): Promise<TorchStatus | undefined> => {
    const text = await readText(statusPath); // replaced atomically, so never torn
    if (text === undefined || text === stale) return undefined; // not written yet, or the previous run's
    try {
      return JSON.parse(text) as TorchStatus;
    } catch {
      return undefined;
    }
  };
  const pollOnce = async () => {
    const status = await readStatus();
    // Log lines before the status: a checkpoint or the end is reported after the steps leading to it.
    // insides.jsonl after train_log.jsonl: train.py writes step k's inside view before its log line,
    // so every step read here has its inside view read too, and it goes just before that step.
    const logged = (await log.read()).flatMap((l) => convert.logLine(l));
    const steps = beforeTheirSteps(
      (await insides.read()).flatMap((l) => convert.insidesLine(l)),
      logged,
    );
    const sampled = (await samples.read()).flatMap((l) => convert.sampleLine(l));
    if (status) {
      const events = convert.status(status);
      const started = events.filter((e) => e.type === 'run/started');
      emit(started);
      emit(steps);
      emit(sampled);
      emit(events.filter((e) => e.type !== 'run/started'));
    } else {
      emit(steps);
      emit(sampled);
    }
  };
  // Polls never overlap: each waits for the one before.
  const poll = () => (busy = busy.then(pollOnce));
  const timer = setInterval(() => void poll().catch(() => {}), options.intervalMs ?? 500);
  return {
    poll,
    async stop(exit) {
      clearInterval(timer);
      await poll();
      if (exit && !convert.done) {
        const failed = exit.code !== 0;
        const message = exit.signal ? `the PyTorch process was stopped by ${exit.signal}` : `the PyTorch process exited with code ${exit.code}`;
        emit(convert.finish(exit.signal ? 'stopped' : failed ? 'failed' : 'completed', lastStep, failed && !exit.signal ? { error: { message } } : {}));
      }
    },
  };
}
