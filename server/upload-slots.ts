// How many checkpoint uploads (POST /api/checkpoints, a browser run's POST .../checkpoints) the
// server reads at once. Each holds its body in memory while it is read, checked and stored (up to
// about twice MAX_UPLOAD_BYTES at the moment the chunks are joined), so the cap bounds that memory:
// MAX_CONCURRENT_UPLOADS x 2 x MAX_UPLOAD_BYTES. Beyond it an upload gets 503 and Retry-After.
import type { ServerResponse } from 'node:http';
import { HttpError } from './http';

/** Uploads read at once when MAX_CONCURRENT_UPLOADS is not set. */
export const DEFAULT_CONCURRENT_UPLOADS = 2;

/** Seconds a refused upload is told to wait before it tries again. */
export const UPLOAD_RETRY_AFTER_S = 5;

export class UploadSlots {
  private taken = 0;

  constructor(readonly max: number = DEFAULT_CONCURRENT_UPLOADS) {
    if (!Number.isSafeInteger(max) || max < 1) throw new Error(`MAX_CONCURRENT_UPLOADS must be a positive integer, got ${max}`);
  }

  /** Uploads being read now. */
  get inUse(): number {
    return this.taken;
  }

  /**
   * Takes a slot until `res` is closed (answered or aborted); throws HttpError 503, with
   * Retry-After set on `res`, when every slot is taken.
   * @example slots.take(res); // then read the body
   */
  take(res: ServerResponse): void {
    if (this.taken >= this.max) {
      res.setHeader('retry-after', String(UPLOAD_RETRY_AFTER_S));
      throw new HttpError(503, `the server is reading ${this.max} checkpoint uploads already (MAX_CONCURRENT_UPLOADS); try again in ${UPLOAD_RETRY_AFTER_S} s`);
    }
    this.taken++;
    res.once('close', () => this.taken--);
  }
}
