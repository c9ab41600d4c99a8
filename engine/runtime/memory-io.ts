// RuntimeIO held in memory: ids files given as bytes, checkpoints and logs kept in arrays.
// Used by tests and by hosts with no file system of their own.
import { memoryCheckpointStore } from '../checkpoint/checkpoint-store';
import { memorySource } from '../data/byte-source';
import type { DatasetFiles, DatasetMeta, RuntimeIO } from './io';

export interface MemoryDataset {
  /** .npy bytes of the train and validation ids. */
  train: Uint8Array;
  valid: Uint8Array;
  meta?: DatasetMeta;
  tokenizer?: unknown;
}

/**
 * @example const io = memoryIO({ train: encodeNpy(ids), valid: encodeNpy(validIds) });
 */
export function memoryIO(dataset: MemoryDataset): RuntimeIO & { logLines: string[]; sampleLines: string[] } {
  const logLines: string[] = [];
  const sampleLines: string[] = [];
  return {
    logLines,
    sampleLines,
    async openDataset(): Promise<DatasetFiles> {
      return {
        train: memorySource(dataset.train, 'train_ids.npy'),
        valid: memorySource(dataset.valid, 'valid_ids.npy'),
        ...(dataset.meta ? { meta: dataset.meta } : {}),
        ...(dataset.tokenizer ? { tokenizer: dataset.tokenizer } : {}),
      };
    },
    checkpoints: memoryCheckpointStore(),
    appendLog: async (line) => void logLines.push(line),
    appendSample: async (line) => void sampleLines.push(line),
  };
}
