// A run's files: its log, samples and pipeline, its stored events (from a seq on), and its
// checkpoints (the list, and each one's weights or metadata as a download).
import { join } from 'node:path';
import { checkCheckpointName } from '../../engine/checkpoint/checkpoint-store';
import { directoryCheckpointStore } from '../../engine/node/checkpoint-dir';
import { HttpError, sendJson } from '../http';
import { sendFile, type ApiArea, type Handler } from './route';

export const runFileRoutes: ApiArea = ({ manager, runOr404 }) => {
  const runFile =
    (file: string, type: string, emptyIfMissing: boolean): Handler =>
    (_req, res, [id]) => {
      runOr404(id);
      return sendFile(res, join(manager.store.dir(id), file), type, { emptyIfMissing });
    };
  return [
    { method: 'GET', path: /^\/api\/runs\/([^/]+)\/log$/, handle: runFile('train_log.jsonl', 'application/x-ndjson', true) },
    { method: 'GET', path: /^\/api\/runs\/([^/]+)\/samples$/, handle: runFile('samples.jsonl', 'application/x-ndjson', true) },
    { method: 'GET', path: /^\/api\/runs\/([^/]+)\/pipeline$/, handle: runFile('pipeline.json', 'application/json', false) },
    {
      method: 'GET',
      path: /^\/api\/runs\/([^/]+)\/events$/,
      handle: async (_req, res, [id], query) => {
        runOr404(id);
        const after = query.has('after') ? Number(query.get('after')) : 0;
        if (!Number.isInteger(after) || after < 0) throw new HttpError(400, '?after must be a non-negative integer (a seq)');
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        for await (const batch of manager.store.readEvents(id, after)) {
          if (!res.write(batch.map((e) => JSON.stringify(e)).join('\n') + '\n')) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      },
    },
    {
      method: 'GET',
      path: /^\/api\/runs\/([^/]+)\/checkpoints$/,
      handle: async (_req, res, [id]) => {
        runOr404(id);
        sendJson(res, 200, { checkpoints: await directoryCheckpointStore(manager.store.checkpointsDir(id)).list() });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/runs\/([^/]+)\/checkpoints\/([^/]+)$/,
      handle: async (_req, res, [id, file]) => {
        runOr404(id);
        const match = /^(.+?)(\.safetensors|\.json)?$/.exec(file)!;
        const [name, ext = '.safetensors'] = [match[1], match[2]];
        try {
          checkCheckpointName(name);
        } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
        // Only complete checkpoints (list() checks the metadata commit marker); the name is already
        // limited to letters, digits, '_', '.', '-' without a leading dot, so it stays in the folder.
        const dir = manager.store.checkpointsDir(id);
        const entries = await directoryCheckpointStore(dir).list();
        if (!entries.some((e) => e.name === name)) throw new HttpError(404, `run ${id} has no checkpoint ${name}`);
        const type = ext === '.json' ? 'application/json' : 'application/octet-stream';
        return sendFile(res, join(dir, name + ext), type, { download: `${id}-${name}${ext}` });
      },
    },
  ];
};
