// The dataset library's API routes (docs/api.md, "Datasets"), as rows for the API's route table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, sendJson } from '../http';
import type { DatasetLibrary } from './library';
import { readPreview } from './preview';
import { parseUploadQuery } from './upload';

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void> | void;

/** A refusal before the body is read: drain it, so the reply reaches the client. */
function refuseUnread(req: IncomingMessage, e: unknown): never {
  req.resume();
  throw e;
}

/**
 * @example const routes = [...otherRoutes, ...datasetRoutes(library)];
 */
export function datasetRoutes(library: DatasetLibrary): [method: string, path: RegExp, handler: Handler][] {
  const statusOr404 = async (id: string) => {
    const status = await library.get(id);
    if (!status) throw new HttpError(404, `no dataset ${JSON.stringify(id)}`);
    return status;
  };
  return [
    ['GET', /^\/api\/datasets$/, async (_req, res) => sendJson(res, 200, { datasets: await library.list() })],
    [
      'POST',
      /^\/api\/datasets$/,
      async (req, res, _params, query) => {
        let request;
        try {
          request = parseUploadQuery(query);
        } catch (e) {
          refuseUnread(req, e);
        }
        const id = await library.upload(req, request);
        sendJson(res, 202, { id });
      },
    ],
    ['GET', /^\/api\/datasets\/([^/]+)$/, async (_req, res, [id]) => sendJson(res, 200, await statusOr404(id))],
    [
      'DELETE',
      /^\/api\/datasets\/([^/]+)$/,
      async (_req, res, [id]) => {
        await library.remove(id);
        sendJson(res, 200, { id, deleted: true });
      },
    ],
    ['POST', /^\/api\/datasets\/([^/]+)\/cancel$/, async (_req, res, [id]) => sendJson(res, 200, await library.cancel(id))],
    [
      'GET',
      /^\/api\/datasets\/([^/]+)\/preview$/,
      async (_req, res, [id], query) => {
        await statusOr404(id);
        sendJson(res, 200, await readPreview(await library.readyDir(id), query));
      },
    ],
  ];
}
