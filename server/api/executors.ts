// GET /api/executors: what each executor of the registry reports (whether python has torch, the
// node backends), for offering an executor only where it works, and the memory one run may take.
import { sendJson } from '../http';
import { serverExecutors } from '../runs/executors';
import type { ApiArea } from './route';

export const executorRoutes: ApiArea = ({ manager }) => [
  {
    method: 'GET',
    path: /^\/api\/executors$/,
    handle: async (_req, res) => {
      const reports: Record<string, unknown> = {};
      for (const executor of serverExecutors()) {
        if (executor.report) reports[executor.name] = await executor.report(manager.executorServer);
      }
      sendJson(res, 200, { ...reports, memory: { budget: manager.memoryBudget } });
    },
  },
];
