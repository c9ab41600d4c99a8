// GET /api/health: the server is up, its events version, and how many runs it holds.
import { EVENTS_VERSION } from '../../engine/events';
import { sendJson } from '../http';
import type { ApiArea } from './route';

export const healthRoutes: ApiArea = ({ manager }) => [
  {
    method: 'GET',
    path: /^\/api\/health$/,
    handle: (_req, res) => {
      const runs = manager.list();
      sendJson(res, 200, {
        ok: true,
        eventsVersion: EVENTS_VERSION,
        runs: {
          total: runs.length,
          running: runs.filter((r) => r.state === 'running' || r.state === 'paused').length,
          queued: runs.filter((r) => r.state === 'queued').length,
        },
      });
    },
  },
];
