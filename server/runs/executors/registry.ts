// The server's executor registry: the executors engine/executors.ts names (index.ts loads each
// one's file) and any added at run time with registerExecutor. The submission schema, the run
// statuses, the run manager and GET /api/executors read it when they need it, so an executor
// registered after start-up is offered like a shipped one. No executor file is imported here.
import { DEFAULT_EXECUTOR, EXECUTOR_DEFINITIONS, type ExecutorDefinition } from '../../../engine/executors';
import type { ServerExecutor } from './executor';

/** What an executor's name may be: it is a JSON field (`torch: {...}`), a folder-safe word and a URL word. */
export const EXECUTOR_NAME = /^[a-z][a-z0-9_]{0,31}$/;

const executors = new Map<string, ServerExecutor>();
let revision = 0;

/**
 * Adds an executor: from then on GET /api/executors lists it and POST /api/runs takes `executor: name`
 * with the fields its request declares. A name already taken, or not a plain word, is refused.
 * @example registerExecutor({ ...definition, request: { resume: false }, accept: async () => ({ backend: 'cpu' }) });
 */
export function registerExecutor(executor: ServerExecutor): void {
  if (!EXECUTOR_NAME.test(executor.name)) throw new Error(`executor name ${JSON.stringify(executor.name)}: use lowercase letters, digits and _ (at most 32)`);
  if (executors.has(executor.name)) throw new Error(`executor "${executor.name}" is registered already`);
  if (executor.trainsIn === 'server' && !executor.start) throw new Error(`executor "${executor.name}" trains on the server but has no start()`);
  executors.set(executor.name, executor);
  revision += 1;
}

/** Every registered executor, in the order GET /api/executors lists them (the shipped ones first). */
export function serverExecutors(): ServerExecutor[] {
  return [...executors.values()];
}

/**
 * The executor named `name` (the default when none is named); throws for a name none has.
 * @example executorFor('torch').request.settings // the `torch` field's schema
 */
export function executorFor(name: string = DEFAULT_EXECUTOR): ServerExecutor {
  const executor = executors.get(name);
  if (!executor) throw new Error(`no executor "${name}" on this server (it has ${[...executors.keys()].join(', ') || 'none yet'})`);
  return executor;
}

/**
 * How executor `name` is defined: registered, else as engine/executors.ts names it (a run folder
 * read before the executors' files loaded); undefined for a name neither knows.
 */
export function executorDefinitionOf(name: string): ExecutorDefinition | undefined {
  return executors.get(name) ?? EXECUTOR_DEFINITIONS.find((d) => d.name === name);
}

/** Changes whenever an executor is added, for what is built from the list (the submission schema). */
export function registryRevision(): number {
  return revision;
}
