// /api/sweeps (docs/api.md#sweeps): launch a sweep, list sweeps, read one with its points' results,
// stop one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { MAX_SWEEP_AXES, SweepAxis } from '../../engine/pipeline/sweep-definition';
import { HttpError, readJsonBody, sendJson } from '../http';
import type { RunManager } from '../runs/manager';
import { Sweeps } from './sweeps';

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void> | void;
export type Route = [method: string, path: RegExp, handler: Handler];

const SweepBody = z.object({
  pipeline: z.unknown().refine((p) => typeof p === 'object' && p !== null && !Array.isArray(p), 'must be a pipeline document (an object)'),
  executor: z.enum(['node', 'torch', 'browser']).default('node'),
  // More axes than allowed is reported by the sweep check, naming them; this bounds the body.
  axes: z.array(SweepAxis).max(MAX_SWEEP_AXES + 8),
  steps: z.number().int().min(1).max(100_000_000).optional(),
}).strict();

/** A malformed body's problems, each addressed to its axis (node and field) where it is inside one. */
function invalidBody(error: z.ZodError, body: unknown): HttpError {
  const axes = (body as { axes?: unknown })?.axes;
  return new HttpError(400, 'invalid request', {
    errors: error.issues.map((issue) => {
      const [top, index, ...rest] = issue.path;
      const axis = top === 'axes' && Array.isArray(axes) && typeof index === 'number' ? (axes[index] as Record<string, unknown>) : undefined;
      if (axis && typeof axis === 'object') {
        const where = rest.length ? rest.map(String).join('.') : undefined;
        return { nodeId: String(axis.nodeId ?? ''), field: String(axis.field ?? where ?? ''), message: where ? `${where}: ${issue.message}` : issue.message };
      }
      return { field: issue.path.join('.') || undefined, message: issue.message };
    }),
  });
}

export function sweepRoutes(manager: RunManager, maxBodyBytes: number): Route[] {
  const sweeps = new Sweeps(manager);
  const sweepOr404 = async (id: string) => {
    const sweep = await sweeps.get(id);
    if (!sweep) throw new HttpError(404, `no sweep ${JSON.stringify(id)}`);
    return sweep;
  };
  return [
    ['POST', /^\/api\/sweeps$/, async (req, res) => {
      const raw = await readJsonBody(req, maxBodyBytes);
      const body = SweepBody.safeParse(raw);
      if (!body.success) throw invalidBody(body.error, raw);
      if (body.data.executor === 'browser') {
        throw new HttpError(400, 'invalid request', { errors: [{ field: 'executor', message: 'browser sweeps run in the studio tab, one point after another; choose node or torch here' }] });
      }
      const created = await sweeps.create(body.data as Parameters<Sweeps['create']>[0]);
      if ('error' in created) throw new HttpError(400, created.error, { errors: created.errors });
      sendJson(res, 201, created);
    }],
    ['GET', /^\/api\/sweeps$/, async (_req, res) => sendJson(res, 200, { sweeps: await sweeps.list() })],
    ['GET', /^\/api\/sweeps\/([^/]+)$/, async (_req, res, [id]) => sendJson(res, 200, await sweepOr404(id))],
    ['POST', /^\/api\/sweeps\/([^/]+)\/stop$/, async (_req, res, [id]) => {
      await sweepOr404(id);
      sendJson(res, 200, await sweeps.stop(id));
    }],
  ];
}
