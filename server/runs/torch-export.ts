// Writes a PyTorch export from the server: writeTorchExport in a worker thread
// (torch-export-worker.ts), so a first export that prepares the corpus does not stall the
// server's event streams. Used to start torch runs and for the export download.
import { z } from 'zod';
import { TorchExportError, type ExportIssue } from '../../engine/export/torch/export';
import type { Plan } from '../../engine/plan';
import { spawnTsWorker } from './spawn';

const ENTRY = new URL('./torch-export-worker.ts', import.meta.url).href;

/** The export worker's start order (workerData). */
export const TorchExportStart = z.object({
  /** A compiled plan (plain data). */
  plan: z.unknown(),
  outDir: z.string(),
  /** Where the bundled corpus is prepared. */
  dataDir: z.string(),
  /** Relative 'files' dataset paths resolve against it (written absolute). */
  baseDir: z.string(),
  copyData: z.boolean(),
  linkData: z.boolean(),
  /** A 'files' dataset must lie inside these folders (as node runs on a server; see engine/node/io.ts). */
  dataRoots: z.array(z.string()).optional(),
});
export type TorchExportStart = z.infer<typeof TorchExportStart>;

export type TorchExportReply = { ok: true; files: string[] } | { ok: false; message: string; issues: ExportIssue[] };

/**
 * Writes the export of `plan` into `outDir`; resolves with the files written (relative to
 * outDir). Rejects with TorchExportError (issues name the nodes) or an Error.
 * @example const files = await exportTorchInWorker({ plan, outDir, dataDir: 'data', baseDir: process.cwd(), copyData: false, linkData: true });
 */
export function exportTorchInWorker(start: Omit<TorchExportStart, 'plan'> & { plan: Plan }, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = spawnTsWorker(ENTRY, start, env, 'torch export');
    let replied = false;
    worker.once('message', (reply: TorchExportReply) => {
      replied = true;
      void worker.terminate();
      if (reply.ok) resolve(reply.files);
      else reject(reply.issues.length ? new TorchExportError(reply.issues) : new Error(reply.message));
    });
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => {
      if (!replied) reject(new Error(`the export worker exited (code ${code}) without an answer`));
    });
  });
}
