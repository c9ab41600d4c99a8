// What live streaming costs a run: the smoke pipeline trained by a server in a child process with
// 0 and with 3 socket.io watchers (alternating rounds). For each: the mean step time (the run's
// own `step` events) and the CPU time of the server's main thread per step (numbering, storing,
// validating and sending events; the training itself runs in a worker thread), read from
// /proc/<pid>/task/<pid>/stat, so Linux only.
//   node --import tsx server/bench-streaming.ts [--steps 400] [--rounds 2] [--backend wasm]
// Not a unit test: timings depend on the machine and on what else it is doing.
import { spawn, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { api, smokePipeline, tempDir, waitFor, Watcher } from './test-support';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '400' }, rounds: { type: 'string', default: '2' }, backend: { type: 'string', default: 'wasm' } },
});
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const ticksPerSecond = Number(execSync('getconf CLK_TCK').toString()) || 100;

const runs = await tempDir('studio-bench-runs-');
const data = await tempDir('studio-bench-data-');
const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  env: { ...process.env, STUDIO_NO_NEXT: '1', PORT: '0', RUNS_DIR: runs.path, DATA_DIR: data.path },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
child.stdout!.on('data', (chunk) => (output += chunk));
const base = await waitFor('the server', () => /on (http:\/\/\S+)/.exec(output)?.[1], 60_000);

/** CPU milliseconds the server's main thread has used (its thread id is the process id). */
function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/${child.pid}/task/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond; // utime + stime
}

interface Result {
  watchers: number;
  stepMs: number;
  mainMsPerStep: number;
  events: number;
}

async function measure(watchers: number): Promise<Result> {
  // Logs every 10 steps like the seed pipeline; everything else as in the smoke pipeline.
  const pipeline = smokePipeline((doc) => (doc.nodes.find((n: any) => n.id === 'log').params.every = 10));
  const { id } = (await api(base, '/api/runs', { json: { pipeline, steps, backend: values.backend } })).json;
  const clients = Array.from({ length: watchers }, () => new Watcher(base, id));
  await Promise.all(clients.map((c) => c.subscribe()));
  // Measure from step 20 on: the worker has loaded tfjs and warmed up by then.
  const from = await waitFor(
    'the run to warm up',
    async () => {
      const s = (await api(base, `/api/runs/${id}`)).json;
      return s.step >= 20 && s.step;
    },
    60_000,
  );
  const cpuBefore = mainThreadCpuMs();
  const status = await waitFor(
    'the run to finish',
    async () => {
      await new Promise((r) => setTimeout(r, 200)); // polls lightly: 5 requests a second
      const s = (await api(base, `/api/runs/${id}`)).json;
      return s.state === 'completed' && s;
    },
    600_000,
  );
  const cpu = mainThreadCpuMs() - cpuBefore;
  const measured = steps - from;
  await new Promise((r) => setTimeout(r, 300)); // the last batch reaches the watchers
  for (const c of clients) c.close();
  for (const c of clients) {
    if (c.problems.length || c.lastSeq !== status.lastSeq) throw new Error(`a watcher lost events: ${c.problems[0] ?? `${c.lastSeq} of ${status.lastSeq}`}`);
  }
  // Step times of the same steps, from the stored history.
  const replay = await api(base, `/api/runs/${id}/events`);
  const stepTimes = replay.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'step' && e.step > from)
    .map((e) => e.data.step_ms as number);
  return { watchers, stepMs: stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length, mainMsPerStep: cpu / measured, events: status.lastSeq };
}

try {
  const results: Result[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const watchers of [0, 3]) {
      const r = await measure(watchers);
      results.push(r);
      console.log(
        `${watchers} watchers: ${r.stepMs.toFixed(2)} ms/step; server main thread ${r.mainMsPerStep.toFixed(3)} ms CPU/step (${((100 * r.mainMsPerStep) / r.stepMs).toFixed(2)}% of a step); ${r.events} events`,
      );
    }
  }
  const mean = (w: number, key: 'stepMs' | 'mainMsPerStep') => {
    const xs = results.filter((r) => r.watchers === w).map((r) => r[key]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const [s0, s3, m0, m3] = [mean(0, 'stepMs'), mean(3, 'stepMs'), mean(0, 'mainMsPerStep'), mean(3, 'mainMsPerStep')];
  console.log(`\nstep time: ${s0.toFixed(2)} ms with 0 watchers, ${s3.toFixed(2)} ms with 3 (${(((s3 - s0) / s0) * 100).toFixed(1)}%)`);
  console.log(
    `server main thread: ${m0.toFixed(3)} ms CPU/step with 0 watchers (${((100 * m0) / s0).toFixed(2)}% of a step), ${m3.toFixed(3)} with 3 (${((100 * m3) / s3).toFixed(2)}%)`,
  );
} finally {
  child.kill();
  await new Promise((r) => child.once('exit', r));
  await runs.remove();
  await data.remove();
}
