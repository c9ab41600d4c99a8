// Worker thread that writes a PyTorch export (engine/node/torch-export.ts) and posts the
// outcome: preparing the bundled corpus (tokenizing Brown, training BPE merges) takes seconds of
// CPU the server's main thread must not block. Started by exportTorchInWorker (torch-export.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { TorchExportError } from '../../engine/export/torch/export';
import { writeTorchExport } from '../../engine/node/torch-export';
import { confinedPath } from '../../engine/node/io';
import type { Plan } from '../../engine/plan';
import { TorchExportStart, type TorchExportReply } from './torch-export';

const start = TorchExportStart.parse(workerData);
const post = (reply: TorchExportReply) => parentPort!.postMessage(reply);

/** A 'files' dataset outside the data roots is refused before anything is linked or copied. */
async function checkDataRoots(plan: Plan, roots: string[]): Promise<void> {
  const dataset = plan.nodes.find((n) => n.kind === 'dataset');
  if (!dataset || dataset.params.source !== 'files') return;
  for (const field of ['train_path', 'valid_path']) {
    try {
      await confinedPath(String(dataset.params[field]), start.baseDir, roots, field);
    } catch (e) {
      throw new TorchExportError([{ nodeId: dataset.id, field, message: (e as Error).message.replace(`${field}: `, '') }]);
    }
  }
}

try {
  if (start.dataRoots) await checkDataRoots(start.plan as Plan, start.dataRoots);
  const { files } = await writeTorchExport(start.plan as Plan, start.outDir, {
    dataDir: start.dataDir, baseDir: start.baseDir, copyData: start.copyData, linkData: start.linkData,
  });
  post({ ok: true, files });
} catch (e) {
  post({ ok: false, message: e instanceof Error ? e.message : String(e), issues: e instanceof TorchExportError ? e.issues : [] });
}
