// /api/datasets (docs/api.md#datasets): the dataset library's routes (server/datasets/routes.ts),
// present when the server has a library.
import { datasetRoutes } from '../datasets/routes';
import type { ApiArea } from './route';

export const datasetApiRoutes: ApiArea = ({ options }) =>
  options.datasets ? datasetRoutes(options.datasets).map(([method, path, handle]) => ({ method: method as 'GET' | 'POST' | 'DELETE', path, handle })) : [];
