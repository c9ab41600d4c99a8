// Worker thread that writes a PyTorch export (engine/export/torch/write-node.ts) and posts the
// outcome: preparing the bundled corpus (tokenizing Brown, training BPE merges) takes seconds of
// CPU the server's main thread must not block. Started by exportTorchInWorker (torch-export.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { TorchExportError } from '../../engine/export/torch/export';
import { writeTorchExport } from '../../engine/export/torch/write-node';
import type { Plan } from '../../engine/plan';
import { TorchExportStart, type TorchExportReply } from './torch-export';

const start = TorchExportStart.parse(workerData);
const post = (reply: TorchExportReply) => parentPort!.postMessage(reply);
try {
  const { files } = await writeTorchExport(start.plan as Plan, start.outDir, {
    dataDir: start.dataDir, baseDir: start.baseDir, copyData: start.copyData, linkData: start.linkData,
  });
  post({ ok: true, files });
} catch (e) {
  post({ ok: false, message: e instanceof Error ? e.message : String(e), issues: e instanceof TorchExportError ? e.issues : [] });
}
