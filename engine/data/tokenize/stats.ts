// Corpus statistics used to judge a tokenized dataset before training on it.

/**
 * Entropy in nats of the empirical unigram distribution of `ids`: the cross-entropy a model
 * that ignores context would reach. A trained LM should get its validation loss well below it.
 * @example
 *   unigramEntropy([0, 1, 0, 1]); // Math.log(2) ≈ 0.693
 */
export function unigramEntropy(ids: ArrayLike<number>): number {
  const n = ids.length;
  if (n === 0) return 0;
  const counts = countIds(ids);
  let h = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / n;
    h -= p * Math.log(p);
  }
  return h;
}

/**
 * Unigram counts kept while ids arrive in pieces; `entropy()` equals unigramEntropy of all of
 * them at once.
 * @example const u = new UnigramCounts(); u.add([0, 1]); u.add([0, 1]); u.entropy(); // ≈ 0.693
 */
export class UnigramCounts {
  private counts = new Float64Array(256);
  total = 0;

  add(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < 1 << 24)) throw new RangeError(`UnigramCounts: id ${id} is not a token id`);
      if (id >= this.counts.length) this.grow(id + 1);
      this.counts[id]++;
    }
    this.total += ids.length;
  }

  entropy(): number {
    let h = 0;
    for (const c of this.counts) if (c > 0) h -= (c / this.total) * Math.log(c / this.total);
    return h;
  }

  private grow(min: number): void {
    const next = new Float64Array(Math.max(min, this.counts.length * 2));
    next.set(this.counts);
    this.counts = next;
  }
}

/** Occurrence count per distinct id (order unspecified). */
function countIds(ids: ArrayLike<number>): Iterable<number> {
  let max = 0;
  let dense = true;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(Number.isInteger(id) && id >= 0)) { dense = false; break; }
    if (id > max) max = id;
  }
  // Token ids are small non-negative integers: a flat array is ~10x faster than a Map on
  // millions of ids. The Map path only serves odd inputs (negative or huge values).
  if (dense && max < 1 << 24) {
    const counts = new Float64Array(max + 1);
    for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
    return counts;
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) counts.set(ids[i], (counts.get(ids[i]) ?? 0) + 1);
  return counts.values();
}
