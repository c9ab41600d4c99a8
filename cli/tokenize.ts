// `npm run tokenize`: turn a text file, a JSON Lines or Parquet file (one text field or column),
// or the bundled Brown corpus into a dataset folder of token ids (train_ids.npy, valid_ids.npy,
// tokenizer.json, meta.json): the layout of the studio's dataset library.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TOKENIZER_KINDS, type TokenizerKind } from '../engine/data/tokenize/tokenizer';
import { prepareCorpus } from '../engine/node/corpus';
import { extractJsonlText, extractParquetText } from '../engine/node/dataset-text';
import { DATASET_FILES, tokenizeText, type DatasetInfo, type TokenizeOptions } from '../engine/node/tokenize-files';
import { tokenizeTextFile } from '../engine/node/tokenize-stream';

const USAGE = `Usage: npm run tokenize -- <text file | --brown> --out DIR [options]

Writes DIR/train_ids.npy, valid_ids.npy, tokenizer.json and meta.json.

  <text file>            UTF-8 text to tokenize (the last lines become validation)
  --jsonl-field NAME     the file is JSON Lines: tokenize field NAME of each record (one per line)
  --parquet-column NAME  the file is Parquet: tokenize text column NAME (nulls skipped)
  --brown                use the bundled Brown corpus instead (every 10th document is validation)
  --out DIR              output folder (created if missing)
  --tokenizer KIND       byte | bpe | gpt2 (default byte)
  --vocab-size N         BPE vocabulary incl. the 256 bytes (default 1024; bpe only)
  --valid-fraction F     share held out for validation, 0 <= F < 1 (default 0.1)
  -h, --help             show this help`;

/** A user mistake: printed with the usage, exit code 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        brown: { type: 'boolean' },
        out: { type: 'string', short: 'o' },
        tokenizer: { type: 'string' },
        'vocab-size': { type: 'string' },
        'valid-fraction': { type: 'string' },
        'jsonl-field': { type: 'string' },
        'parquet-column': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length > 1) throw new UsageError(`expected one text file, got ${positionals.length}: ${positionals.join(' ')}`);
  const file = positionals[0];
  if ((file === undefined) === !values.brown) throw new UsageError('give either a text file or --brown (one of them)');
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  const kind = values.tokenizer ?? 'byte';
  if (!(TOKENIZER_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--tokenizer must be one of ${TOKENIZER_KINDS.join(', ')}, got '${kind}'`);
  }
  const opts: TokenizeOptions = {
    tokenizer: kind as TokenizerKind,
    vocabSize: parseNumber('--vocab-size', values['vocab-size'], Number.isInteger),
    validFraction: parseNumber('--valid-fraction', values['valid-fraction'], (f) => f >= 0 && f < 1),
    log: (message) => console.log(message),
  };
  if (opts.vocabSize !== undefined && kind !== 'bpe') throw new UsageError('--vocab-size only applies to --tokenizer bpe');
  const field = values['jsonl-field'];
  const column = values['parquet-column'];
  if (field !== undefined && column !== undefined) throw new UsageError('give --jsonl-field or --parquet-column, not both');
  if ((field ?? column) !== undefined && file === undefined) throw new UsageError(`${field !== undefined ? '--jsonl-field' : '--parquet-column'} needs a file`);

  const t0 = performance.now();
  let info: DatasetInfo;
  if (file === undefined) info = await prepareCorpus(values.out, opts);
  else if (field !== undefined || column !== undefined)
    info = await tokenizeStructured(file, values.out, opts, field !== undefined ? { format: 'jsonl', field } : { format: 'parquet', field: column! });
  else info = await tokenizeText(await readText(file), values.out, { ...opts, source: path.resolve(file) });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);

  console.log(`\nsource       ${info.source}`);
  console.log(`tokenizer    ${info.tokenizer}, vocab ${info.vocab_size} (max id ${info.max_id}), ${info.dtype}`);
  console.log(`tokens       train ${info.train_tokens.toLocaleString('en-US')}, valid ${info.valid_tokens.toLocaleString('en-US')}`);
  console.log(
    `entropy      ${info.train_unigram_entropy.toFixed(3)} nats/token (unigram, train; ` +
      `uniform over the vocab would be ${Math.log(info.vocab_size).toFixed(3)})`,
  );
  console.log(
    `files        ${Object.values(DATASET_FILES)
      .map((f) => path.join(values.out!, f))
      .join('\n             ')}`,
  );
  console.log(`time         ${seconds} s`);
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** JSON Lines or Parquet: the text of one field or column goes to a temporary file, which is tokenized. */
async function tokenizeStructured(
  file: string,
  out: string,
  opts: TokenizeOptions,
  what: { format: 'jsonl' | 'parquet'; field: string },
): Promise<DatasetInfo> {
  const temp = await mkdtemp(path.join(tmpdir(), 'tokenize-'));
  try {
    const text = path.join(temp, 'text.txt');
    const extract = what.format === 'jsonl' ? extractJsonlText : extractParquetText;
    try {
      const { documents, skipped } = await extract(file, text, what.field);
      console.log(`${documents} documents from ${what.format === 'jsonl' ? 'field' : 'column'} "${what.field}"${skipped ? ` (${skipped} nulls skipped)` : ''}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`cannot read ${file}: ENOENT`);
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    return await tokenizeTextFile(text, out, {
      tokenizer: opts.tokenizer ?? 'byte',
      vocabSize: opts.vocabSize,
      validFraction: opts.validFraction,
      source: path.resolve(file),
      extraMeta: { format: what.format, field: what.field },
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Number from a flag value, or undefined when the flag is absent. */
function parseNumber(flag: string, raw: string | undefined, ok: (x: number) => boolean): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new UsageError(`${flag}: invalid value '${raw}'`);
  return x;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
});
