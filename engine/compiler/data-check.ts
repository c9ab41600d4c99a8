// Checks that need the data, run once the dataset nodes are open: every model must be able to
// embed every token id its batches can contain.
import { modelNumber } from '../nodes/model';
import type { Plan } from '../plan';
import type { Diagnostic } from './diagnostics';

/**
 * @param maxIds largest token id of each dataset node, by node id
 * @example checkVocabulary(plan, new Map([['dataset', 300]])) // error on model.vocab_size if it is <= 300
 */
export function checkVocabulary(plan: Plan, maxIds: Map<string, number>): Diagnostic[] {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const diagnostics: Diagnostic[] = [];
  for (const model of plan.nodes.filter((n) => n.kind === 'model')) {
    // model.x <- get_batch.x; get_batch.tokens <- dataset.train
    const batcher = model.inputs.x && byId.get(model.inputs.x.node);
    const source = batcher?.inputs.tokens?.node;
    const maxId = source === undefined ? undefined : maxIds.get(source);
    const vocab = modelNumber(model, 'vocab_size');
    if (maxId !== undefined && maxId >= vocab) {
      diagnostics.push({
        severity: 'error',
        code: 'data',
        nodeId: model.id,
        field: 'vocab_size',
        message: `is ${vocab}, but ${source}'s data contains token id ${maxId}; use at least ${maxId + 1}`,
      });
    }
  }
  return diagnostics;
}
