// /api/sweeps (docs/api.md#sweeps): launch a sweep (on a server executor, or as browser runs that
// the launching tab trains one after another), list sweeps, read one with its points' results,
// stop one.
import { z } from 'zod';
import { DEFAULT_EXECUTOR, EXECUTOR_NAMES } from '../../engine/executors';
import { MAX_SWEEP_AXES, SweepAxis } from '../../engine/pipeline/sweep-definition';
import { HttpError, readJsonBody, sendJson } from '../http';
import { Sweeps } from '../sweeps/sweeps';
import { PipelineDocument, type ApiArea } from './route';

const SweepBody = z
  .object({
    pipeline: PipelineDocument,
    executor: z.enum(EXECUTOR_NAMES).default(DEFAULT_EXECUTOR),
    // More axes than allowed is reported by the sweep check, naming them; this bounds the body.
    axes: z.array(SweepAxis).max(MAX_SWEEP_AXES + 8),
    steps: z.number().int().min(1).max(100_000_000).optional(),
  })
  .strict();

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

export const sweepRoutes: ApiArea = ({ manager, options }) => {
  const sweeps = new Sweeps(manager);
  const sweepOr404 = async (id: string) => {
    const sweep = await sweeps.get(id);
    if (!sweep) throw new HttpError(404, `no sweep ${JSON.stringify(id)}`);
    return sweep;
  };
  return [
    {
      method: 'POST',
      path: /^\/api\/sweeps$/,
      handle: async (req, res) => {
        const raw = await readJsonBody(req, options.maxBodyBytes);
        const body = SweepBody.safeParse(raw);
        if (!body.success) throw invalidBody(body.error, raw);
        const created = await sweeps.create(body.data);
        if ('error' in created) throw new HttpError(400, created.error, { errors: created.errors });
        sendJson(res, 201, created);
      },
    },
    { method: 'GET', path: /^\/api\/sweeps$/, handle: async (_req, res) => sendJson(res, 200, { sweeps: await sweeps.list() }) },
    { method: 'GET', path: /^\/api\/sweeps\/([^/]+)$/, handle: async (_req, res, [id]) => sendJson(res, 200, await sweepOr404(id)) },
    {
      method: 'POST',
      path: /^\/api\/sweeps\/([^/]+)\/stop$/,
      handle: async (_req, res, [id]) => {
        await sweepOr404(id);
        sendJson(res, 200, await sweeps.stop(id));
      },
    },
  ];
};
