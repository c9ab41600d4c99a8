// Writes a PyTorch export to disk (Node only): the files of exportTorch plus the data it reads.
// The bundled corpus (source 'brown') is prepared as the engine prepares it and copied (or linked)
// into data/; a dataset of your own files is pointed at, or copied with copyData. For a GPT-2
// tokenizer, data/gpt2_vocab.json lets train.py decode samples without tiktoken.
// Nothing browser-side imports this file.
import { access, copyFile, mkdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ByteTokenizer } from '../data/tokenize/byte';
import { loadTokenizer, type Tokenizer } from '../data/tokenize/tokenizer';
import { prepareCorpus } from './corpus';
import { corpusDir } from './io';
import { readyLibraryDir } from './library-dir';
import { DATASET_FILES } from './tokenize-files';
import type { Plan } from '../plan';
import { checkExportable, EXPORT_DATA_DIR, exportTorch, GPT2_VOCAB_FILE, TorchExportError, type TorchConfig } from '../export/torch/export';

export interface WriteTorchExportOptions {
  /** Where the bundled corpus is prepared, as `npm run train -- --data` (default 'data'). */
  dataDir?: string;
  /**
   * Folder that relative 'files' dataset paths are relative to (the pipeline file's folder, as the
   * engine resolves them); they are written to config.json as absolute paths. Without it they stay
   * as given, i.e. relative to the export folder.
   */
  baseDir?: string;
  /** Also copy a 'files' dataset into the export's data/, so the folder is self-contained. */
  copyData?: boolean;
  /** Symlink data files instead of copying them (saves disk; the folder then depends on them). */
  linkData?: boolean;
}

export interface TorchExportResult {
  /** The export folder (absolute). */
  outDir: string;
  /** Files written, relative to outDir (program, config.json, data/...). */
  files: string[];
  config: TorchConfig;
}

async function readJsonIfPresent(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * GPT-2's vocabulary as base64 bytes per id (50257 entries), from the ranks js-tiktoken ships:
 * train.py decodes samples with it (b"".join(vocab[i] for i in ids)).
 */
export async function gpt2VocabBase64(): Promise<string[]> {
  const ranks = (await import('js-tiktoken/ranks/gpt2')).default as { bpe_ranks: string; special_tokens: Record<string, number> };
  const vocab: string[] = [];
  // Each line: a label, the rank of the first token, then the tokens (base64) in rank order.
  for (const line of ranks.bpe_ranks.split('\n').filter(Boolean)) {
    const [, offset, ...tokens] = line.split(' ');
    tokens.forEach((token, i) => (vocab[Number(offset) + i] = token));
  }
  for (const [text, id] of Object.entries(ranks.special_tokens)) vocab[id] = Buffer.from(text, 'utf8').toString('base64');
  const missing = vocab.findIndex((t) => t === undefined);
  if (missing >= 0 || vocab.length === 0) throw new Error(`gpt2 ranks: no token for id ${missing}`);
  return vocab;
}

/**
 * Writes the export of `plan` into `outDir` (created if needed; files of an older export are
 * replaced) and the data it needs. Throws TorchExportError, naming the node, when the plan is not
 * the standard loop.
 * @example
 *   const { files } = await writeTorchExport(plan, 'exports/seed', { dataDir: 'data' });
 *   // then: cd exports/seed && torchrun --standalone --nproc_per_node=2 train.py
 */
export async function writeTorchExport(plan: Plan, outDir: string, options: WriteTorchExportOptions = {}): Promise<TorchExportResult> {
  const issues = checkExportable(plan);
  if (issues.length) throw new TorchExportError(issues);
  const out = resolve(outDir);
  const dataset = plan.nodes.find((n) => n.kind === 'dataset')!;
  const sample = plan.nodes.find((n) => n.kind === 'sample');
  const p = dataset.params as {
    source: 'brown' | 'files' | 'library';
    tokenizer: 'byte' | 'bpe' | 'gpt2';
    vocab_size: number;
    train_path: string;
    valid_path: string;
    dataset?: string;
  };

  // 1. Where the ids are, and the folder beside them that may hold tokenizer.json and meta.json.
  let train: string;
  let valid: string;
  let folder: string | undefined;
  if (p.source === 'brown') {
    folder = corpusDir(resolve(options.dataDir ?? 'data'), { tokenizer: p.tokenizer, vocabSize: p.vocab_size });
    await prepareCorpus(folder, { tokenizer: p.tokenizer, ...(p.tokenizer === 'bpe' ? { vocabSize: p.vocab_size } : {}) });
    train = join(folder, DATASET_FILES.train);
    valid = join(folder, DATASET_FILES.valid);
  } else if (p.source === 'library') {
    folder = await readyLibraryDir(resolve(options.dataDir ?? 'data'), p.dataset ?? '');
    train = join(folder, DATASET_FILES.train);
    valid = join(folder, DATASET_FILES.valid);
  } else {
    const at = (path: string) => (isAbsolute(path) || options.baseDir === undefined ? path : resolve(options.baseDir, path));
    train = at(p.train_path);
    valid = at(p.valid_path);
    folder = isAbsolute(train) ? dirname(train) : options.baseDir === undefined ? resolve(out, dirname(train)) : undefined;
  }

  // 2. Data into the export: always for the bundled corpus and the library, on request for your own files.
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  let dataPaths = { train, valid };
  if (p.source !== 'files' || options.copyData) {
    await mkdir(join(out, EXPORT_DATA_DIR), { recursive: true });
    const place = async (from: string, name: string) => {
      const to = join(out, EXPORT_DATA_DIR, name);
      await unlink(to).catch(() => {});
      const source = isAbsolute(from) ? from : resolve(out, from);
      if (options.linkData) await symlink(source, to);
      else await copyFile(source, to);
      written.push(`${EXPORT_DATA_DIR}/${name}`);
    };
    await place(train, DATASET_FILES.train);
    await place(valid, DATASET_FILES.valid);
    for (const extra of [DATASET_FILES.tokenizer, DATASET_FILES.meta]) {
      if (folder && (await exists(join(folder, extra)))) await place(join(folder, extra), extra);
    }
    dataPaths = { train: `${EXPORT_DATA_DIR}/${DATASET_FILES.train}`, valid: `${EXPORT_DATA_DIR}/${DATASET_FILES.valid}` };
  }

  // 3. The tokenizer a sample node decodes with: the dataset's tokenizer.json, else bytes.
  let tokenizer: Tokenizer | undefined;
  if (sample?.inputs.data) {
    const json = folder ? await readJsonIfPresent(join(folder, DATASET_FILES.tokenizer)) : undefined;
    tokenizer = json ? await loadTokenizer(json) : new ByteTokenizer();
    if (tokenizer.kind === 'gpt2') {
      await mkdir(join(out, EXPORT_DATA_DIR), { recursive: true });
      await writeFile(join(out, GPT2_VOCAB_FILE), JSON.stringify(await gpt2VocabBase64()) + '\n');
      written.push(GPT2_VOCAB_FILE);
    }
  }

  // 4. The program and config.json.
  const files = exportTorch(plan, { dataPaths, ...(tokenizer ? { tokenizer } : {}) });
  for (const [name, text] of files) await writeFile(join(out, name), text);
  return { outDir: out, files: [...files.keys(), ...written], config: JSON.parse(files.get('config.json')!) as TorchConfig };
}
