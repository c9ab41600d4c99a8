// RuntimeIO for Node: ids files on disk, checkpoints in a directory, logs appended to files.
import { appendFile, mkdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { DatasetFiles, DatasetRequest, RuntimeIO } from '../runtime/io';
import { directoryCheckpointStore, type DirectoryStoreOptions } from './checkpoint-dir';
import { prepareCorpus } from './corpus';
import { openFileSource } from './file-source';
import { readyLibraryDir } from './library-dir';
import { DATASET_FILES } from './tokenize-files';

export interface NodeIOOptions {
  /** Run folder: train_log.jsonl, samples.jsonl and checkpoints/ go here. */
  outDir: string;
  /** Where the bundled corpus is prepared (data/ by default). */
  dataDir?: string;
  /** Relative dataset paths are resolved against this folder (the pipeline file's folder). */
  baseDir?: string;
  /**
   * When set, dataset files must lie inside one of these folders (after resolving `..` and
   * symbolic links); anything else is refused. A server sets this, so a shared pipeline cannot
   * read arbitrary files of the machine that runs it.
   */
  dataRoots?: string[];
  /** Options of the checkpoint directory store (tests inject a disk that fills up through `writeAll`). */
  checkpointStore?: DirectoryStoreOptions;
}

/**
 * Resolves `path` (relative to `baseDir`) and, when `roots` are given, checks that it lies inside
 * one of them: first by its name alone, then (symbolic links resolved) on disk. A path outside
 * gets one message whether or not it exists, so the refusal tells nothing about the machine's
 * files, and the roots are named relative to the working folder. Throws an error naming `field`.
 * @example await confinedPath('train.npy', '/srv/data', ['/srv/data'], 'train_path')
 */
export async function confinedPath(path: string, baseDir: string, roots: string[] | undefined, field: string): Promise<string> {
  const absolute = isAbsolute(path) ? path : resolve(baseDir, path);
  if (!roots) return absolute;
  const outside = () => new Error(`${field}: ${path} is outside the data folders this server reads (${roots.map(shownRoot).join(', ')})`);
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => resolve(root))));
  const inside = (file: string, candidates: string[]) => candidates.some((root) => file === root || file.startsWith(root + sep));
  if (!inside(absolute, [...roots.map((root) => resolve(root)), ...realRoots])) throw outside();
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (e) {
    throw cannotOpen(field, path, absolute, pathRoot(baseDir, roots), e);
  }
  if (!inside(real, realRoots)) throw outside(); // a symbolic link out of the folder
  return real;
}

/**
 * A data folder as an error message names it: relative to the working folder ('data'), or only
 * its own name for a folder elsewhere ('…/corpora'), never an absolute path of the machine.
 */
function shownRoot(root: string): string {
  const shown = relative(process.cwd(), resolve(root));
  if (shown === '') return '.';
  return shown.startsWith('..') || isAbsolute(shown) ? `…/${basename(resolve(root))}` : shown;
}

/**
 * The error for a dataset file that cannot be opened. A missing one names the folder looked in,
 * relative to `root` (the server's DATA_DIR, or the pipeline's folder), since paths are relative to it.
 * @example cannotOpen('train_path', 'mytext/train_ids.npy', '/srv/data/mytext/train_ids.npy', { dir: '/srv/data', name: 'DATA_DIR' }, enoent)
 *   // "train_path: cannot open mytext/train_ids.npy: no such file in mytext/ under DATA_DIR (/srv/data)"
 */
export function cannotOpen(field: string, path: string, absolute: string, root: { dir: string; name: string }, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT') return new Error(`${field}: cannot open ${path} (${code ?? (e as Error).message})`);
  const folder = relative(resolve(root.dir), dirname(resolve(root.dir, absolute)))
    .split(sep)
    .join('/');
  const where = folder === '' ? `the top of ${root.name}` : `${folder}/ under ${root.name}`;
  return new Error(`${field}: cannot open ${path}: no such file in ${where} (${root.dir}; dataset paths are relative to it)`);
}

/** The folder relative dataset paths start from, as an error names it. */
function pathRoot(baseDir: string, roots: string[] | undefined): { dir: string; name: string } {
  return roots?.length ? { dir: roots[0], name: 'DATA_DIR' } : { dir: baseDir, name: "the pipeline's folder" };
}

/** The bundled corpus folder for a tokenizer choice, e.g. data/brown-bpe1024. */
export function corpusDir(dataDir: string, request: Pick<DatasetRequest, 'tokenizer' | 'vocabSize'>): string {
  return join(dataDir, `brown-${request.tokenizer}${request.tokenizer === 'bpe' ? request.vocabSize : ''}`);
}

async function readJsonIfPresent(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/**
 * @example const io = nodeIO({ outDir: 'runs/r1' });
 */
export function nodeIO(options: NodeIOOptions): RuntimeIO & { close(): Promise<void> } {
  const dataDir = resolve(options.dataDir ?? 'data');
  const baseDir = resolve(options.baseDir ?? '.');
  const opened: { close(): Promise<void> }[] = [];
  let outReady: Promise<unknown> | undefined;
  const ensureOut = () => (outReady ??= mkdir(options.outDir, { recursive: true }));

  return {
    async openDataset(request: DatasetRequest): Promise<DatasetFiles> {
      let trainPath: string;
      let validPath: string;
      let folder: string | undefined;
      if (request.source === 'brown') {
        folder = corpusDir(dataDir, request);
        await prepareCorpus(folder, { tokenizer: request.tokenizer, ...(request.tokenizer === 'bpe' ? { vocabSize: request.vocabSize } : {}) });
        trainPath = join(folder, DATASET_FILES.train);
        validPath = join(folder, DATASET_FILES.valid);
      } else if (request.source === 'library') {
        folder = await readyLibraryDir(dataDir, request.dataset ?? '');
        trainPath = join(folder, DATASET_FILES.train);
        validPath = join(folder, DATASET_FILES.valid);
      } else {
        trainPath = await confinedPath(request.trainPath, baseDir, options.dataRoots, 'train_path');
        validPath = await confinedPath(request.validPath, baseDir, options.dataRoots, 'valid_path');
      }
      const open = async (path: string, field: string) => {
        try {
          const source = await openFileSource(path);
          opened.push(source);
          return source;
        } catch (e) {
          throw cannotOpen(field, path, path, pathRoot(baseDir, options.dataRoots), e);
        }
      };
      const train = await open(trainPath, 'train_path');
      const valid = await open(validPath, 'valid_path');
      // meta.json / tokenizer.json sit beside the train file when the tokenizer wrote it.
      const dir = folder ?? resolve(trainPath, '..');
      const meta = await readJsonIfPresent(join(dir, DATASET_FILES.meta));
      const tokenizer = await readJsonIfPresent(join(dir, DATASET_FILES.tokenizer));
      return { train, valid, ...(meta ? { meta: meta as DatasetFiles['meta'] } : {}), ...(tokenizer ? { tokenizer } : {}) };
    },
    checkpoints: directoryCheckpointStore(join(options.outDir, 'checkpoints'), options.checkpointStore),
    async appendLog(line) {
      await ensureOut();
      await appendFile(join(options.outDir, 'train_log.jsonl'), line + '\n');
    },
    async appendSample(line) {
      await ensureOut();
      await appendFile(join(options.outDir, 'samples.jsonl'), line + '\n');
    },
    async close() {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    },
  };
}
