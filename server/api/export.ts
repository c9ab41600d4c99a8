// POST /api/export/torch: a pipeline's PyTorch export as a zip download (with or without its
// token ids), written by a worker thread into a temporary folder that is removed afterwards.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { compile } from '../../engine/compiler/compile';
import { checkExportable, TorchExportError } from '../../engine/export/torch/export';
import { HttpError, readJsonBody } from '../http';
import { exportTorchInWorker } from '../runs/torch-export';
import { zipFiles } from '../zip';
import { compileErrors, invalidRequest, PipelineDocument, type ApiArea } from './route';

const ExportBody = z.object({ pipeline: PipelineDocument }).strict();

export const exportRoutes: ApiArea = ({ options }) => [
  {
    method: 'POST',
    path: /^\/api\/export\/torch$/,
    handle: async (req, res, _params, query) => {
      const body = ExportBody.safeParse(await readJsonBody(req, options.maxBodyBytes));
      if (!body.success) throw invalidRequest(body.error);
      const data = query.get('data') ?? '1';
      if (data !== '0' && data !== '1') throw new HttpError(400, '?data must be 0 (leave out the token ids) or 1');
      const compiled = compile(body.data.pipeline);
      if (!compiled.ok) throw new HttpError(400, 'the pipeline has errors', { errors: compileErrors(compiled.diagnostics) });
      const { plan } = compiled;
      const issues = checkExportable(plan);
      if (issues.length) throw exportRefusal(issues);
      const slug = `${fileSlug(plan.name)}-torch`;
      const dir = await mkdtemp(join(tmpdir(), 'studio-export-'));
      try {
        let files: string[];
        try {
          // Data linked, not copied: the zip reads it once. A 'files' dataset is copied in only with data.
          const dataDir = resolve(options.dataDir);
          files = await exportTorchInWorker({
            plan,
            outDir: dir,
            dataDir,
            baseDir: process.cwd(),
            copyData: data === '1',
            linkData: true,
            dataRoots: [dataDir],
          });
        } catch (e) {
          if (e instanceof TorchExportError) throw exportRefusal(e.issues);
          throw e;
        }
        // ?data=0 leaves out the token ids (megabytes); tokenizer.json, meta.json and gpt2_vocab.json stay.
        const kept = files.filter((f) => data === '1' || !(f.startsWith('data/') && f.endsWith('.npy'))).sort();
        const zip = await zipFiles(await Promise.all(kept.map(async (f) => ({ name: `${slug}/${f}`, data: await readFile(join(dir, f)) }))));
        res.writeHead(200, {
          'content-type': 'application/zip',
          'content-length': zip.length,
          'cache-control': 'no-store',
          'content-disposition': `attachment; filename="${slug}.zip"`,
        });
        res.end(zip);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
];

/** A file name from a pipeline's name: lower-case letters, digits and dashes. */
function fileSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'pipeline';
}

function exportRefusal(issues: { nodeId?: string; field?: string; message: string }[]): HttpError {
  return new HttpError(400, 'the pipeline cannot be exported to PyTorch', {
    errors: issues.map((i) => ({
      ...(i.nodeId ? { nodeId: i.nodeId } : {}),
      ...(i.field ? { field: i.field } : {}),
      code: 'torch_export',
      message: i.message,
    })),
  });
}
