// Live edits of a run on this server (POST /api/runs/:id/edit) and text from its model between two
// steps (POST /api/runs/:id/sample): checked here against the run's plan with its edits so far,
// then handed to its executor, which answers once the run has taken them at a step boundary.
import type { SampleAnswer, SampleRequest } from '../../engine/runtime/ask';
import { checkEdit, planAsOf, type EditRequest } from '../../engine/runtime/edits';
import type { Plan } from '../../engine/plan';
import { readEditHistory } from './edit-history';
import type { LiveRequests } from './commands';
import type { RunRecord } from './records';
import { RunActionError } from './refusals';
import type { RunFolders } from './run-folders';

/** The run's live executor, or a 409 saying why it takes no live requests. */
function liveOf(record: RunRecord, what: string, tab?: LiveRequests): LiveRequests {
  const { id, state, executor } = record.status;
  if ((state !== 'running' && state !== 'paused') || (!tab && (!record.active || record.active.ended))) {
    throw new RunActionError(409, `run ${id} is ${state}; only running or paused runs take ${what}`);
  }
  const live = tab ?? record.active?.execution.live;
  if (!live) throw new RunActionError(409, `run ${id} (executor ${executor}) does not take ${what}`);
  return live;
}

/**
 * Checks an edit against the run's current plan and hands it to its executor.
 * @example await editRun(record, { nodeId: 'optimizer', params: { lr: 1e-3 } }, store) // { appliedAtStep: 41 }
 */
export async function editRun(record: RunRecord, request: EditRequest, store: Pick<RunFolders, 'dir' | 'readJson'>, tab?: LiveRequests): Promise<{ appliedAtStep: number }> {
  const live = liveOf(record, 'edits', tab);
  const { id } = record.status;
  const plan = planAsOf((await store.readJson(id, 'plan.json')) as Plan, await readEditHistory(store.dir(id)), Number.MAX_SAFE_INTEGER);
  const checked = checkEdit(plan, request, record.status.step);
  if ('status' in checked) throw new RunActionError(checked.status, checked.error, { errors: checked.errors });
  const outcome = await live.edit(request, checked.changes);
  if ('status' in outcome) throw new RunActionError(outcome.status, outcome.error, { errors: outcome.errors });
  return outcome;
}

/** Text from a live run's model, generated between two steps. */
export async function sampleLiveRun(record: RunRecord, request: SampleRequest, tab?: LiveRequests): Promise<{ text: string; step: number }> {
  const answer: SampleAnswer = await liveOf(record, 'prompts', tab).sample(request);
  if ('error' in answer) throw new RunActionError(409, answer.error);
  return answer;
}
