// Runs: list them, submit one (the body is checked against the executor registry), read one's
// status, and pause, resume or stop it.
import { HttpError, readJsonBody, sendJson } from '../http';
import { invalidRequest, type ApiArea } from './route';
import { submitBody } from './submit-body';

export const runRoutes: ApiArea = ({ manager, options, runOr404 }) => [
  { method: 'GET', path: /^\/api\/runs$/, handle: (_req, res) => sendJson(res, 200, { runs: manager.list() }) },
  {
    method: 'POST',
    path: /^\/api\/runs$/,
    handle: async (req, res) => {
      const body = submitBody().safeParse(await readJsonBody(req, options.maxBodyBytes));
      if (!body.success) throw invalidRequest(body.error);
      const result = await manager.submit(body.data);
      if ('errors' in result) throw new HttpError(400, result.error, { errors: result.errors, ...result.details });
      sendJson(res, 201, { id: result.id });
    },
  },
  { method: 'GET', path: /^\/api\/runs\/([^/]+)$/, handle: (_req, res, [id]) => sendJson(res, 200, runOr404(id)) },
  {
    method: 'POST',
    path: /^\/api\/runs\/([^/]+)\/(pause|resume|stop)$/,
    handle: async (_req, res, [id, action]) => {
      runOr404(id);
      const status = action === 'pause' ? manager.pause(id) : action === 'stop' ? manager.stop(id) : await manager.resume(id);
      sendJson(res, 200, status);
    },
  },
];
