// RuntimeIO for Node: ids files on disk, checkpoints in a directory, logs appended to files.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { DatasetFiles, DatasetRequest, RuntimeIO } from '../runtime/io';
import { directoryCheckpointStore } from './checkpoint-dir';
import { prepareCorpus } from './corpus';
import { openFileSource } from './file-source';
import { DATASET_FILES } from './tokenize-files';

export interface NodeIOOptions {
  /** Run folder: train_log.jsonl, samples.jsonl and checkpoints/ go here. */
  outDir: string;
  /** Where the bundled corpus is prepared (data/ by default). */
  dataDir?: string;
  /** Relative dataset paths are resolved against this folder (the pipeline file's folder). */
  baseDir?: string;
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
      } else {
        trainPath = isAbsolute(request.trainPath) ? request.trainPath : resolve(baseDir, request.trainPath);
        validPath = isAbsolute(request.validPath) ? request.validPath : resolve(baseDir, request.validPath);
      }
      const open = async (path: string, field: string) => {
        try {
          const source = await openFileSource(path);
          opened.push(source);
          return source;
        } catch (e) {
          throw new Error(`${field}: cannot open ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
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
    checkpoints: directoryCheckpointStore(join(options.outDir, 'checkpoints')),
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
