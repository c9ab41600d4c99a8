// GET /api/executors: what each executor of the registry reports (whether python has torch, the
// node backends), for offering an executor only where it works.
import { sendJson } from '../http';
import { EXECUTORS } from '../runs/executors';
import type { ApiArea } from './route';

export const executorRoutes: ApiArea = ({ manager }) => [
  {
    method: 'GET', path: /^\/api\/executors$/, handle: async (_req, res) => {
      const reports: Record<string, unknown> = {};
      for (const executor of Object.values(EXECUTORS)) {
        if (executor.report) reports[executor.name] = await executor.report(manager.executorServer);
      }
      sendJson(res, 200, reports);
    },
  },
];
