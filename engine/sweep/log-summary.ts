// What a run's train_log.jsonl says at a glance: its last loss, best and final validation loss
// (with their steps) and its speed. Sweeps and comparisons rank runs by it.

export interface LogSummary {
  /** Last logged step. */
  step: number;
  loss?: number;
  bestValLoss?: number;
  bestValStep?: number;
  finalValLoss?: number;
  finalValStep?: number;
  /** tokens_per_sec of the last logged step. */
  tokensPerSec?: number;
  elapsedS?: number;
}

/**
 * Summarises train_log.jsonl text; lines that are not JSON objects (a torn last line) are skipped.
 * @example summarizeLog('{"step":1,"loss":5,"val_loss":4.9}\n').bestValLoss // 4.9
 */
export function summarizeLog(text: string): LogSummary {
  const summary: LogSummary = { step: 0 };
  for (const line of text.split('\n')) {
    const entry = parseLine(line);
    if (!entry || typeof entry.step !== 'number') continue;
    summary.step = entry.step;
    if (isNumber(entry.loss)) summary.loss = entry.loss;
    if (isNumber(entry.tokens_per_sec)) summary.tokensPerSec = entry.tokens_per_sec;
    if (isNumber(entry.elapsed_s)) summary.elapsedS = entry.elapsed_s;
    if (!isNumber(entry.val_loss)) continue;
    summary.finalValLoss = entry.val_loss;
    summary.finalValStep = entry.step;
    if (summary.bestValLoss === undefined || entry.val_loss < summary.bestValLoss) {
      summary.bestValLoss = entry.val_loss;
      summary.bestValStep = entry.step;
    }
  }
  return summary;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.trim()) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
