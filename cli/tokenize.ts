// `npm run tokenize`: turn a text file (or the bundled Brown corpus) into a dataset folder of
// token ids (train_ids.npy, valid_ids.npy, tokenizer.json, meta.json) for training.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TOKENIZER_KINDS, type TokenizerKind } from '../engine/data/tokenize/tokenizer';
import { prepareCorpus } from '../engine/node/corpus';
import { DATASET_FILES, tokenizeText, type TokenizeOptions } from '../engine/node/tokenize-files';

const USAGE = `Usage: npm run tokenize -- <text file | --brown> --out DIR [options]

Writes DIR/train_ids.npy, valid_ids.npy, tokenizer.json and meta.json.

  <text file>            UTF-8 text to tokenize (the last lines become validation)
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

  let text: string | undefined;
  if (file !== undefined) {
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  const t0 = performance.now();
  const info =
    text === undefined
      ? await prepareCorpus(values.out, opts)
      : await tokenizeText(text, values.out, { ...opts, source: path.resolve(file!) });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);

  console.log(`\nsource       ${info.source}`);
  console.log(`tokenizer    ${info.tokenizer}, vocab ${info.vocab_size} (max id ${info.max_id}), ${info.dtype}`);
  console.log(`tokens       train ${info.train_tokens.toLocaleString('en-US')}, valid ${info.valid_tokens.toLocaleString('en-US')}`);
  console.log(
    `entropy      ${info.train_unigram_entropy.toFixed(3)} nats/token (unigram, train; ` +
      `uniform over the vocab would be ${Math.log(info.vocab_size).toFixed(3)})`,
  );
  console.log(`files        ${Object.values(DATASET_FILES).map((f) => path.join(values.out!, f)).join('\n             ')}`);
  console.log(`time         ${seconds} s`);
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
