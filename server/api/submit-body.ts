// The body of POST /api/runs, built from the executor registry: `executor` names one of them,
// `backend` takes what some of them start with, each executor with settings gets a field of its
// name (`torch`), and a field the chosen executor does not take is refused naming those that do.
// Built again when an executor is registered (registerExecutor), so the body follows the registry.
import { z } from 'zod';
import { DEFAULT_EXECUTOR } from '../../engine/executors';
import { registryRevision, serverExecutors, type ServerExecutor } from '../runs/executors';
import { PipelineDocument } from './route';

type Backends = NonNullable<ServerExecutor['request']['backend']>;

function buildSubmitBody(executors: ServerExecutor[]) {
  const names = executors.map((e) => e.name) as [string, ...string[]];
  const backends = executors.flatMap((e) => (e.request.backend ? [e.request.backend] : []));
  const settings = Object.fromEntries(executors.flatMap((e) => (e.request.settings ? [[e.name, e.request.settings.optional()]] : [])));
  const byName = new Map(executors.map((e) => [e.name, e]));

  /** The executors that take a field, as a refusal names them: `executor "torch"`, `executors "node" and "browser"`. */
  const takers = (takes: (executor: ServerExecutor) => boolean): string => {
    const quoted = executors.filter(takes).map((e) => `"${e.name}"`);
    const list = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : quoted.join('');
    return `executor${quoted.length > 1 ? 's' : ''} ${list}`;
  };

  return z
    .object({
      pipeline: PipelineDocument,
      executor: z.enum(names).default(DEFAULT_EXECUTOR),
      steps: z.number().int().min(1).max(100_000_000).optional(),
      backend: (backends.length > 1 ? z.union(backends as [Backends, Backends, ...Backends[]]) : backends[0]).optional(),
      ...settings,
      resume: z
        .union([
          z.object({ upload: z.string().max(100), restartSchedule: z.boolean().optional() }).strict(),
          z.object({ run: z.string().max(100), checkpoint: z.string().max(200), restartSchedule: z.boolean().optional() }).strict(),
        ])
        .optional(),
    })
    .strict()
    .superRefine((body, ctx) => {
      const executor = byName.get(body.executor)!;
      const refuse = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      const { backend, resume, refusal } = executor.request;
      if (body.backend && !backend) refuse('backend', (refusal?.backend ?? isFor)(takers((e) => !!e.request.backend)));
      if (body.backend && backend && !backend.safeParse(body.backend).success)
        refuse('backend', `must be one of ${backend.options.join(', ')} for executor "${executor.name}"`);
      for (const other of executors) {
        if (other.request.settings && other !== executor && (body as Record<string, unknown>)[other.name])
          refuse(other.name, isFor(takers((e) => e === other)));
      }
      if (body.resume && !resume) refuse('resume', (refusal?.resume ?? isFor)(takers((e) => e.request.resume)));
    });
}

const isFor = (takers: string) => `is for ${takers}`;

let built: { revision: number; schema: ReturnType<typeof buildSubmitBody> } | undefined;

/** The POST /api/runs body schema for the executors registered now. */
export function submitBody(): ReturnType<typeof buildSubmitBody> {
  if (built?.revision !== registryRevision()) built = { revision: registryRevision(), schema: buildSubmitBody(serverExecutors()) };
  return built.schema;
}
