// The experiment loop's API routes (docs/api.md): live edits of a running run, text from a run's
// model (live or from a checkpoint) and the answers kept, and a fork's differences from its parent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { HttpError, readJsonBody, sendJson } from '../http';
import { forkDiff } from '../runs/fork';
import { DEFAULT_LISTED_PROMPTS, MAX_LISTED_PROMPTS } from '../runs/prompts';
import type { RunManager } from '../runs/manager';
import { TabAnswer } from '../runs/tab-requests';
import type { ApiArea } from './route';

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void> | void;
type Route = [method: 'GET' | 'POST', path: RegExp, handler: Handler];

/** The experiment loop's routes as an API area. */
export const experimentApiRoutes: ApiArea = ({ manager, runOr404 }) =>
  experimentRoutes(manager, runOr404).map(([method, path, handle]) => ({ method, path, handle }));

/** Edits are small: a few fields of one node. */
const EDIT_BODY_BYTES = 16 * 1024;
const SAMPLE_BODY_BYTES = 16 * 1024;
/** A tab's answer: an edit's outcome or a generated text. */
const ANSWER_BODY_BYTES = 1 << 20;

const EditBody = z
  .object({
    nodeId: z.string().min(1).max(64),
    params: z.record(z.string().min(1).max(64), z.unknown()).refine((p) => Object.keys(p).length <= 32, 'at most 32 fields in one edit'),
  })
  .strict();

const SampleBody = z
  .object({
    prompt: z.string().max(2000),
    max_new_tokens: z.number().int().min(1).max(1024),
    temperature: z.number().min(0).max(10).optional(),
    top_k: z.number().int().min(0).max(1_000_000).optional(),
    checkpoint: z.string().min(1).max(200).optional(),
  })
  .strict();

function invalid(error: z.ZodError): HttpError {
  return new HttpError(400, 'invalid request', { errors: error.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message })) });
}

/**
 * @example const routes = [...coreRoutes, ...experimentRoutes(manager, runOr404)];
 */
function experimentRoutes(manager: RunManager, runOr404: (id: string) => unknown): Route[] {
  return [
    [
      'POST',
      /^\/api\/runs\/([^/]+)\/edit$/,
      async (req, res, [id]) => {
        runOr404(id);
        const body = EditBody.safeParse(await readJsonBody(req, EDIT_BODY_BYTES));
        if (!body.success) throw invalid(body.error);
        sendJson(res, 200, await manager.edit(id, body.data));
      },
    ],
    [
      'POST',
      /^\/api\/runs\/([^/]+)\/sample$/,
      async (req, res, [id]) => {
        runOr404(id);
        const body = SampleBody.safeParse(await readJsonBody(req, SAMPLE_BODY_BYTES));
        if (!body.success) throw invalid(body.error);
        const { prompt, max_new_tokens: maxNewTokens, temperature, top_k: topK, checkpoint } = body.data;
        sendJson(res, 200, await manager.sample(id, { prompt, maxNewTokens, temperature, topK, ...(checkpoint !== undefined ? { checkpoint } : {}) }));
      },
    ],
    [
      'GET',
      /^\/api\/runs\/([^/]+)\/prompts$/,
      async (_req, res, [id], query) => {
        runOr404(id);
        const limit = query.has('limit') ? Number(query.get('limit')) : DEFAULT_LISTED_PROMPTS;
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED_PROMPTS) {
          throw new HttpError(400, `?limit must be an integer from 1 to ${MAX_LISTED_PROMPTS}`, {
            errors: [{ field: 'limit', message: `expected 1–${MAX_LISTED_PROMPTS}` }],
          });
        }
        sendJson(res, 200, { prompts: await manager.prompts(id, limit) });
      },
    ],
    // A browser run's tab fetches the edits and prompts sent here for it, and answers each.
    [
      'GET',
      /^\/api\/runs\/([^/]+)\/requests$/,
      async (_req, res, [id]) => {
        runOr404(id);
        sendJson(res, 200, { requests: await manager.tabRequests(id) });
      },
    ],
    [
      'POST',
      /^\/api\/runs\/([^/]+)\/requests\/(\d{1,9})$/,
      async (req, res, [id, requestId]) => {
        runOr404(id);
        const body = TabAnswer.safeParse(await readJsonBody(req, ANSWER_BODY_BYTES));
        if (!body.success) throw invalid(body.error);
        manager.tabAnswer(id, Number(requestId), body.data);
        sendJson(res, 200, { ok: true });
      },
    ],
    [
      'GET',
      /^\/api\/runs\/([^/]+)\/diff$/,
      async (_req, res, [id]) => {
        runOr404(id);
        sendJson(res, 200, await forkDiff(manager.store, manager.get(id)!));
      },
    ],
  ];
}
