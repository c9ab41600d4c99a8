import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../random';
import { BpeTokenizer, trainBpe } from './bpe';
import { splitChunks } from './pretokenize';
import { tokenizerFromJSON } from './tokenizer';

/**
 * Reference trainer written the slow, obvious way (karpathy/minbpe RegexTokenizer): every
 * step recounts all adjacent pairs over every chunk occurrence, then merges the most frequent
 * one (ties: lowest (a, b)) everywhere. Returns the merges and the final training segmentation.
 */
function naiveBpe(text: string, vocabSize: number): { merges: [number, number][]; ids: number[] } {
  const enc = new TextEncoder();
  let chunks = [...splitChunks(text)].map((c) => Array.from(enc.encode(c)));
  const merges: [number, number][] = [];
  while (256 + merges.length < vocabSize) {
    const counts = new Map<string, number>();
    for (const c of chunks) for (let i = 0; i + 1 < c.length; i++) {
      const k = `${c[i]},${c[i + 1]}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [k, n] of counts) {
      const [a, b] = k.split(',').map(Number);
      if (n > bestCount || (n === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = n;
      }
    }
    if (!best) break;
    const id = 256 + merges.length;
    merges.push(best);
    chunks = chunks.map((c) => {
      const out: number[] = [];
      for (let i = 0; i < c.length; i++) {
        if (c[i] === best![0] && c[i + 1] === best![1]) { out.push(id); i++; } else out.push(c[i]);
      }
      return out;
    });
  }
  return { merges, ids: chunks.flat() };
}

/** Pseudo-text from a small Zipf-like word list: many repeats and many count ties. */
function syntheticText(words: number, seed: number): string {
  const rng = new Rng(seed);
  const vocab = ['the', 'of', 'and', 'a', 'to', 'in', 'is', 'you', 'that', 'it', 'he', 'was', 'for', 'on',
    'are', 'as', 'with', 'his', 'they', 'I', 'at', 'be', 'this', 'have', 'from', 'or', 'one', 'had',
    'by', 'word', 'but', 'not', 'what', 'all', 'were', 'we', 'when', 'your', 'can', 'said', 'there',
    'use', 'an', 'each', 'which', 'she', 'do', 'how', 'their', 'if', 'naïve', 'café', '42', '1961'];
  const punct = ['', '', '', '', ',', '.', '!', '?', ';'];
  let out = '';
  for (let i = 0; i < words; i++) {
    const w = vocab[Math.floor(vocab.length * rng.uniform() ** 2)];
    out += (i === 0 ? '' : ' ') + w + punct[rng.index(punct.length)];
    if (rng.index(12) === 0) out += '\n';
  }
  return out;
}

test('bpe: tiny hand-checked example (classic aaabdaaabac)', () => {
  // One chunk. Pairs: aa x4 -> merge 256 = aa; left to right 'aaab' -> [256, a, b].
  // Then (256,a) and (a,b) tie at 2: lowest pair (97,98) wins -> 257 = ab. Then (256,257) x2.
  const tok = trainBpe('aaabdaaabac', 259);
  assert.deepEqual(tok.merges, [[97, 97], [97, 98], [256, 257]]);
  assert.deepEqual([...tok.encode('aaabdaaabac')], [258, 100, 258, 97, 99]);
  assert.equal(tok.decode([258]), 'aaab');
});

test('bpe: merges never cross chunk boundaries, ties go to the lowest pair, training stops when nothing is left', () => {
  // Chunks 'ab', ' ab', ' ab': (a,b) x3 first; (b,' ') never exists.
  const tok = trainBpe('ab ab ab', 300);
  assert.deepEqual(tok.merges, [[97, 98], [32, 256]]);
  assert.equal(tok.vocabSize, 258); // every chunk is one token: fewer ids than asked
  assert.deepEqual([...tok.encode('ab ab')], [256, 257]);
  // Chunks 'ab', ' cd': all pairs count 1, so lowest (a, b) first: (32,99), (97,98), then (256,100).
  assert.deepEqual(trainBpe('ab cd', 300).merges, [[32, 99], [97, 98], [256, 100]]);
});

test('bpe: incremental trainer matches the naive reference exactly (merges and segmentation)', () => {
  const text = syntheticText(3000, 7);
  const ref = naiveBpe(text, 420);
  const tok = trainBpe(text, 420);
  assert.deepEqual(tok.merges, ref.merges);
  assert.deepEqual([...tok.encode(text)], ref.ids);
});

test('bpe: vocab size respected, round trip incl. characters never seen in training', () => {
  const text = syntheticText(2000, 1);
  const tok = trainBpe(text, 300);
  assert.equal(tok.vocabSize, 300);
  assert.equal(tok.merges.length, 44);
  const probe = text.slice(0, 500) + ' — 😀 中文 unseen words zzz\n\n  x';
  const ids = tok.encode(probe);
  assert.ok(ids.every((id) => id < 300));
  assert.equal(tok.decode(ids), probe);
  // 44 merges of frequent short words already save ~47% of the tokens on this text.
  assert.ok(tok.encode(text).length < 0.6 * new TextEncoder().encode(text).length, 'BPE should compress');
});

test('bpe: deterministic, and JSON round trip restores the same encoder', () => {
  const text = syntheticText(1500, 3);
  const a = trainBpe(text, 350);
  const b = trainBpe(text, 350);
  assert.deepEqual(a.merges, b.merges);
  const json = JSON.parse(JSON.stringify(a.toJSON()));
  assert.equal(json.kind, 'bpe');
  assert.equal(json.vocabSize, 350);
  const back = tokenizerFromJSON(json);
  assert.ok(back instanceof BpeTokenizer);
  assert.deepEqual([...back.encode(text)], [...a.encode(text)]);
});

test('bpe: invalid inputs are rejected', () => {
  assert.throws(() => trainBpe('abc', 255), /vocabSize/);
  assert.throws(() => trainBpe('abc', 300.5), /vocabSize/);
  assert.throws(() => new BpeTokenizer([[97, 256]]), /does not exist yet/);
  assert.throws(() => new BpeTokenizer([[97, 98], [97, 98]]), /duplicate/);
  assert.throws(() => trainBpe('abc', 257).decode([257]), /outside the vocab/);
});
