// Run ids: short, URL-safe and sortable by creation time, e.g. '0mbx2k9a1q7ce'.
// 9 base-36 digits of milliseconds since 1970 (fixed width, so string order is time order until
// the year 5188), then 4 random base-36 digits so two servers sharing a folder do not collide.
import { randomInt } from 'node:crypto';

const TIME_DIGITS = 9;
const RANDOM_DIGITS = 4;

/** What a run id looks like; anything else in a URL is rejected before it reaches the disk. */
export const RUN_ID_PATTERN = /^[0-9a-z]{13}$/;

let lastMs = 0;

/**
 * A new run id. Ids made by one process are strictly increasing, even within one millisecond.
 * @example newRunId() // '0mbx2k9a1q7ce'
 */
export function newRunId(now: number = Date.now()): string {
  lastMs = Math.max(now, lastMs + 1);
  const time = lastMs.toString(36).padStart(TIME_DIGITS, '0');
  let random = '';
  for (let i = 0; i < RANDOM_DIGITS; i++) random += randomInt(36).toString(36);
  return time + random;
}

/** Whether `id` has the shape of a run id. */
export function isRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id);
}
