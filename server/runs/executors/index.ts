// The executors this server knows. Each name in engine/executors.ts (the one list the studio
// reads too) is served by the file of that name here, whose default export is its ServerExecutor;
// so adding an executor is its line there and its file here. registry.ts keeps them, and
// registerExecutor adds one at run time (a plug-in, or a test's scratch executor).
import { EXECUTOR_DEFINITIONS, type ExecutorDefinition } from '../../../engine/executors';
import type { ServerExecutor } from './executor';
import { registerExecutor } from './registry';

export type { ExecutorServer, RunChannel, ServerExecutor } from './executor';
export { executorDefinitionOf, executorFor, registerExecutor, registryRevision, serverExecutors } from './registry';

/** Loads ./<name>.ts for a shipped executor and checks that it is the one its definition names. */
async function loadShipped(definition: ExecutorDefinition): Promise<ServerExecutor> {
  let file: { default?: ServerExecutor };
  try {
    file = (await import(`./${definition.name}.ts`)) as { default?: ServerExecutor };
  } catch (err) {
    throw new Error(`executor "${definition.name}" (engine/executors.ts) needs server/runs/executors/${definition.name}.ts: ${String(err)}`);
  }
  const executor = file.default;
  if (executor?.name !== definition.name) {
    throw new Error(`server/runs/executors/${definition.name}.ts must export default the executor named "${definition.name}"`);
  }
  return executor;
}

// In the engine list's order, which GET /api/executors keeps.
for (const executor of await Promise.all(EXECUTOR_DEFINITIONS.map(loadShipped))) registerExecutor(executor);
