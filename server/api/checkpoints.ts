// Checkpoints uploaded to start runs from: POST /api/checkpoints (the upload, checked) and
// GET /api/checkpoints/:id (what it holds).
import { readCheckpointUpload } from '../checkpoint-upload';
import { HttpError, sendJson } from '../http';
import type { ApiArea } from './route';

export const checkpointRoutes: ApiArea = ({ manager, uploadLimits }) => [
  {
    method: 'POST',
    path: /^\/api\/checkpoints$/,
    handle: async (req, res, _params, query) => {
      const checkpoint = await readCheckpointUpload(req, res, query, uploadLimits);
      sendJson(res, 201, await manager.uploads.add(checkpoint));
    },
  },
  {
    method: 'GET',
    path: /^\/api\/checkpoints\/([^/]+)$/,
    handle: async (_req, res, [id]) => {
      const info = await manager.uploads.get(id);
      if (!info) throw new HttpError(404, `no uploaded checkpoint ${JSON.stringify(id)}`);
      sendJson(res, 200, info);
    },
  },
];
