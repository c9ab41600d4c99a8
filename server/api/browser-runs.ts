// What a browser run's tab posts to the server (docs/api.md, "Browser runs"): its events in
// numbered batches, and its checkpoints as it writes them.
import { readCheckpointUpload } from '../checkpoint-upload';
import { readJsonBody, sendJson } from '../http';
import { EventBatch } from '../runs/browser-batch';
import { beforeBody, invalidRequest, type ApiArea } from './route';

export const browserRunRoutes: ApiArea = ({ manager, options, runOr404, uploadLimits }) => [
  {
    method: 'POST',
    path: /^\/api\/runs\/([^/]+)\/events$/,
    handle: async (req, res, [id]) => {
      beforeBody(req, () => runOr404(id));
      const body = EventBatch.safeParse(await readJsonBody(req, options.maxBodyBytes));
      if (!body.success) throw invalidRequest(body.error);
      sendJson(res, 200, await manager.recordEvents(id, body.data));
    },
  },
  {
    method: 'POST',
    path: /^\/api\/runs\/([^/]+)\/checkpoints$/,
    handle: async (req, res, [id], query) => {
      beforeBody(req, () => {
        runOr404(id);
        manager.checkRecording(id);
      });
      const checkpoint = await readCheckpointUpload(req, res, query, uploadLimits);
      sendJson(res, 201, await manager.recordCheckpoint(id, checkpoint));
    },
  },
];
