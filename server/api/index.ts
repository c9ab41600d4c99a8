// The HTTP API under /api (docs/api.md): one file per area, each exporting its routes; this
// handler only matches a request to a route and turns what it throws into the reply. A new area
// is one file and one line in AREAS.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, sendJson } from '../http';
import { requestTarget } from '../request-target';
import { RunActionError, type RunManager } from '../runs/manager';
import { browserRunRoutes } from './browser-runs';
import { checkpointRoutes } from './checkpoints';
import { datasetApiRoutes } from './datasets';
import { executorRoutes } from './executors';
import { experimentApiRoutes } from './experiment';
import { exportRoutes } from './export';
import { healthRoutes } from './health';
import { runFileRoutes } from './run-files';
import { runRoutes } from './runs';
import { sweepRoutes } from './sweeps';
import { runLookup, uploadLimits, type ApiArea, type ApiOptions, type Route } from './route';

export type { ApiOptions } from './route';

/** In this order a path's methods are listed in a 405's `allow` (a browser run's POST before its files' GET). */
const AREAS: ApiArea[] = [
  healthRoutes,
  runRoutes,
  checkpointRoutes,
  executorRoutes,
  exportRoutes,
  browserRunRoutes,
  runFileRoutes,
  sweepRoutes,
  datasetApiRoutes,
  experimentApiRoutes,
];

/**
 * Returns the API's request handler, which answers paths under /api and returns false for the
 * rest (Next serves those).
 * @example const handle = apiHandler(manager, { maxBodyBytes: 2 << 20, ... }); if (!handle(req, res)) next(req, res);
 */
export function apiHandler(manager: RunManager, options: ApiOptions) {
  const api = { manager, options, runOr404: runLookup(manager), uploadLimits: uploadLimits(options) };
  const routes: Route[] = AREAS.flatMap((area) => area(api));
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = requestTarget(req);
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      sendJson(res, 400, { error: 'malformed URL' });
      return true;
    }
    const matching = routes.filter((r) => r.path.test(pathname));
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      if (matching.length) {
        res.setHeader('allow', matching.map((r) => r.method).join(', '));
        sendJson(res, 405, { error: `${req.method} is not allowed here` });
      } else {
        sendJson(res, 404, { error: `no API route ${url.pathname}` });
      }
      return true;
    }
    const params = route.path.exec(pathname)!.slice(1);
    Promise.resolve()
      .then(() => route.handle(req, res, params, url.searchParams))
      .catch((e: unknown) => fail(res, e));
    return true;
  };
}

function fail(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy(e instanceof Error ? e : undefined);
    return;
  }
  if (e instanceof HttpError) sendJson(res, e.status, { error: e.message, ...(e.body as object | undefined) });
  else if (e instanceof RunActionError) sendJson(res, e.status, { error: e.message, ...e.details });
  else {
    console.error('API error:', e);
    sendJson(res, 500, { error: 'internal error' });
  }
}
