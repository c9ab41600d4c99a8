// The studio's side of live edits and prompts: what the inspector offers for a block of a running
// run (hot fields live, the rest locked with the reason), and the API calls behind it.
import { registry } from '../engine/nodes';
import type { PromptRecord } from '../engine/runtime/ask';
import { hotFields, lockedReason } from '../engine/runtime/edits';

export interface FieldLock {
  field: string;
  live: boolean;
  /** Why it cannot change now (locked fields). */
  reason?: string;
}

/** Every param of a block, live or locked while its run trains. */
export function fieldLocks(kind: string): FieldLock[] {
  const def = registry.get(kind);
  if (!def) return [];
  const hot = hotFields(kind);
  return Object.keys(def.params.shape).map((field) =>
    hot.includes(field) ? { field, live: true } : { field, live: false, reason: lockedReason(kind, field) },
  );
}

/** A typed value from an input's text: numbers and booleans as such, the rest as text. */
export function parseFieldValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return text;
}

export type EditReply = { ok: true; appliedAtStep: number } | { ok: false; error: string; errors: { nodeId?: string; field?: string; message: string }[] };

/** POST /api/runs/:id/edit. */
export async function sendEdit(runId: string, nodeId: string, params: Record<string, unknown>): Promise<EditReply> {
  const reply = await fetch(`/api/runs/${encodeURIComponent(runId)}/edit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nodeId, params }),
  });
  const body = (await reply.json().catch(() => ({}))) as { appliedAtStep?: number; error?: string; errors?: EditReply extends { errors: infer E } ? E : never };
  return reply.ok && typeof body.appliedAtStep === 'number'
    ? { ok: true, appliedAtStep: body.appliedAtStep }
    : { ok: false, error: body.error ?? `the server answered ${reply.status}`, errors: body.errors ?? [] };
}

/** POST /api/runs/:id/sample: live between steps, or from `checkpoint`. */
export async function askModel(
  runId: string,
  request: { prompt: string; max_new_tokens: number; temperature?: number; top_k?: number; checkpoint?: string },
): Promise<{ text: string; step: number } | { error: string }> {
  const reply = await fetch(`/api/runs/${encodeURIComponent(runId)}/sample`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await reply.json().catch(() => ({}))) as { text?: string; step?: number; error?: string };
  return reply.ok && typeof body.text === 'string' ? { text: body.text, step: body.step ?? 0 } : { error: body.error ?? `the server answered ${reply.status}` };
}

/** GET /api/runs/:id/prompts: the run's answered prompts, newest first (empty when they cannot be read). */
export async function listPrompts(runId: string): Promise<PromptRecord[]> {
  const reply = await fetch(`/api/runs/${encodeURIComponent(runId)}/prompts`, { cache: 'no-store' }).catch(() => undefined);
  const body = (await reply?.json().catch(() => ({}))) as { prompts?: PromptRecord[] } | undefined;
  return reply?.ok && Array.isArray(body?.prompts) ? [...body.prompts].reverse() : [];
}
