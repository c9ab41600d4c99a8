// Growable Uint32Array for collecting token ids: long texts give millions of ids, and a
// plain number[] costs 8 bytes per id plus a copy at the end.

/** Append-only id buffer; `finish()` returns a right-sized copy. */
export class IdBuilder {
  private buf: Uint32Array;
  private n = 0;

  constructor(capacityHint = 1024) {
    this.buf = new Uint32Array(Math.max(16, capacityHint));
  }

  get length(): number {
    return this.n;
  }

  push(id: number): void {
    if (this.n === this.buf.length) this.grow(this.n + 1);
    this.buf[this.n++] = id;
  }

  pushAll(ids: ArrayLike<number>): void {
    if (this.n + ids.length > this.buf.length) this.grow(this.n + ids.length);
    for (let i = 0; i < ids.length; i++) this.buf[this.n + i] = ids[i];
    this.n += ids.length;
  }

  finish(): Uint32Array {
    return this.buf.slice(0, this.n);
  }

  private grow(min: number): void {
    const next = new Uint32Array(Math.max(min, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}
