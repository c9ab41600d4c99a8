// The torch executor: the pipeline's PyTorch export, trained by python (torchrun for several
// processes) in a process group of its own (../torch.ts); its run folder is read back as events.
import { resolve, join } from 'node:path';
import { executorDefinition } from '../../../engine/executors';
import type { Plan } from '../../../engine/plan';
import { killLeftoverRun, TORCH_DIR, TORCH_STATUS_FILE, TorchRun } from '../torch';
import { TorchCommands } from '../torch-commands';
import { TorchPrompts } from '../torch-prompts';
import { checkTorch, TorchRequest } from '../torch-check';
import type { ServerExecutor } from './executor';

export const torchExecutor: ServerExecutor = {
  ...executorDefinition('torch'),
  request: {
    settings: TorchRequest,
    resume: true,
    refusal: { backend: (takers) => `is for ${takers}; torch runs take torch.device` },
  },

  async accept(plan, ask, server) {
    const checked = await checkTorch(plan, (ask.settings ?? {}) as TorchRequest, () => server.torchInfo());
    if ('error' in checked) return checked;
    return { backend: checked.backend, status: { torch: { nproc: checked.nproc, device: checked.device } } };
  },

  async start(record, server, channel) {
    const { id, resumeFrom, restartSchedule } = record.status;
    const plan = (await server.store.readJson(id, 'plan.json')) as Plan;
    if (server.closing()) return undefined;
    const settings = record.status.torch ?? { nproc: 1, device: 'auto' as const };
    // train.py reads live edits and prompts from the run folder between steps (torch-commands.ts).
    const runDir = server.store.dir(id);
    const exportDir = join(runDir, TORCH_DIR);
    const prompts = new TorchPrompts(runDir, { exportDir, statusFile: join(exportDir, TORCH_STATUS_FILE), pollMs: server.torchPollMs });
    const live = new TorchCommands(runDir, prompts);
    const run = new TorchRun({
      runId: id, runDir: server.store.dir(id), plan, dataDir: resolve(server.dataDir), nproc: settings.nproc, device: settings.device,
      ...(resumeFrom ? { resume: join(server.store.checkpointsDir(id), resumeFrom), ...(restartSchedule ? { restartSchedule: true } : {}) } : {}),
      startStep: record.status.step, python: server.python, env: server.workerEnv ?? process.env,
      stopGraceMs: server.torchStopGraceMs, pollMs: server.torchPollMs,
      onMessage: (message) => {
        channel.message(message);
        if (message.type === 'run/events') live.observe(message.events);
        else live.end();
      },
      // The pid reaches status.json now: a server that dies leaves it for the next to clean up.
      onLaunched: (pid) => channel.update({ torch: { ...settings, pid } }),
    });
    return {
      live,
      launch: () => run.start(),
      pause: () => run.pause(),
      resume: () => run.resume(),
      stop: () => run.stop(),
      terminate: () => run.terminate(),
    };
  },

  ended(status) {
    if (status.torch) status.torch = { ...status.torch, pid: undefined };
  },

  recover(status, runDir) {
    if (status.torch?.pid === undefined) return;
    if (killLeftoverRun(status.torch.pid, runDir)) console.warn(`run ${status.id}: killed its PyTorch processes, left by the previous server`);
    status.torch = { ...status.torch, pid: undefined };
  },

  async report(server) {
    return { ...(await server.torchInfo()), python: server.python };
  },
};

export default torchExecutor;
