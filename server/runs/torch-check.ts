// Whether a submitted run can train on the torch executor (torch.ts) as asked, checked before the
// run exists: the pipeline exports to PyTorch, python has torch, the device asked for is there,
// and the batch splits evenly among the processes.
import { z } from 'zod';
import { checkExportable } from '../../engine/export/torch/export';
import type { TorchInfo } from '../../engine/export/torch/launch';
import type { Plan } from '../../engine/plan';
import type { TorchDevice } from './messages';
import type { SubmitRefusal } from './refusals';

/** What a submission asks of the torch executor (its `torch` field): processes (torchrun when > 1) and device. */
export const TorchRequest = z.object({
  nproc: z.number().int().min(1).max(64).optional(),
  /** Default: what PyTorch finds, CUDA first. */
  device: z.enum(['cpu', 'cuda']).optional(),
}).strict();
export type TorchRequest = z.infer<typeof TorchRequest>;

/** The settings a torch run trains with; `backend` names them (torch-cpu, torch-cudax8). */
export interface TorchSettings {
  nproc: number;
  device: TorchDevice;
  backend: string;
}

/**
 * Whether this torch executor can run `plan` as asked: the export's standard loop, torch found,
 * the device there, the batch divisible among the processes. Returns the settings or a refusal.
 * `torchInfo` (python asked what it has) is called only for a pipeline that exports.
 * @example await checkTorch(plan, { nproc: 2 }, () => manager.torchInfo()) // { nproc: 2, device: 'cuda', backend: 'torch-cudax2' }
 */
export async function checkTorch(plan: Plan, asked: TorchRequest, torchInfo: () => Promise<TorchInfo>): Promise<SubmitRefusal | TorchSettings> {
  const issues = checkExportable(plan);
  if (issues.length) {
    return {
      error: 'the pipeline cannot be exported to PyTorch',
      errors: issues.map((i) => ({ ...(i.nodeId ? { nodeId: i.nodeId } : {}), ...(i.field ? { field: i.field } : {}), code: 'torch_export', message: i.message })),
    };
  }
  const info = await torchInfo();
  const refuse = (field: string, message: string): SubmitRefusal => ({ error: 'the torch executor cannot run this', errors: [{ field, code: 'torch_executor', message }] });
  if (!info.available) return refuse('executor', `PyTorch is not available: ${info.error ?? 'unknown reason'}`);
  const nproc = asked.nproc ?? 1;
  const device = asked.device ?? info.device;
  if (device === 'cuda' && info.gpus === 0) return refuse('torch.device', `PyTorch ${info.version} sees no CUDA device here`);
  if (device === 'cuda' && nproc > info.gpus) return refuse('torch.nproc', `${nproc} processes need ${nproc} GPUs; PyTorch sees ${info.gpus}`);
  const batch = plan.nodes.find((n) => n.kind === 'get_batch')!;
  const batchSize = Number(batch.params.batch_size);
  if (batchSize % nproc !== 0) {
    return {
      error: 'the torch executor cannot run this',
      errors: [{ nodeId: batch.id, field: 'batch_size', code: 'torch_executor', message: `(${batchSize}) must divide by the number of processes (${nproc}): each takes an equal slice of the batch` }],
    };
  }
  return { nproc, device, backend: `torch-${device}${nproc > 1 ? `x${nproc}` : ''}` };
}
