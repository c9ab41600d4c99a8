// Text out of structured uploads: one text field of every JSON Lines record, or one text column
// of a Parquet file (read with hyparquet, one row group at a time), written to a plain text file
// with one document per line, which tokenize-stream.ts then tokenizes like any text.

import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DatasetInputError } from './tokenize-stream';

/** What extraction found. */
export interface ExtractedText {
  documents: number; // records or rows whose text was written
  skipped: number; // null values (Parquet) left out
}

/** Progress of an extraction: input bytes (JSONL) or rows (Parquet) done. */
export type ExtractProgress = (done: number, total: number) => void;

/**
 * Writes the string `field` of each JSON Lines record to `outPath`, one per line. Blank lines
 * are skipped; a line that is not JSON or has no such string field is refused, naming the line.
 * @example await extractJsonlText('chat.jsonl', 'text.txt', 'text');
 */
export async function extractJsonlText(inPath: string, outPath: string, field: string, onProgress?: ExtractProgress): Promise<ExtractedText> {
  const total = (await stat(inPath)).size;
  const input = createReadStream(inPath, { highWaterMark: 1 << 20 });
  const out = createWriteStream(outPath);
  let done = 0;
  let documents = 0;
  let line = 0;
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      done += Buffer.byteLength(text) + 1;
      if (text.trim() === '') continue;
      await writeLine(out, jsonlField(text, field, line));
      documents++;
      if (line % 4096 === 0) onProgress?.(Math.min(done, total), total);
    }
  } finally {
    input.destroy();
    await closeStream(out);
  }
  if (documents === 0) throw new DatasetInputError('the JSON Lines file has no records');
  onProgress?.(total, total);
  return { documents, skipped: 0 };
}

function jsonlField(text: string, field: string, line: number): string {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    throw new DatasetInputError(`line ${line} is not valid JSON (${(e as Error).message})`);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new DatasetInputError(`line ${line} is not a JSON object`);
  if (!Object.hasOwn(record, field)) throw new DatasetInputError(`line ${line} has no field "${field}"`);
  const value = (record as Record<string, unknown>)[field];
  if (typeof value !== 'string') throw new DatasetInputError(`line ${line}: field "${field}" is ${value === null ? 'null' : `a ${typeof value}`}, not text`);
  return value;
}

/** The top-level column names of a Parquet file. */
export async function parquetColumns(inPath: string): Promise<string[]> {
  const metadata = await readParquetMetadata(await asyncBufferFromFile(inPath));
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

async function readParquetMetadata(file: Awaited<ReturnType<typeof asyncBufferFromFile>>) {
  try {
    return await parquetMetadataAsync(file);
  } catch (e) {
    throw new DatasetInputError(`not a Parquet file (${(e as Error).message})`);
  }
}

/**
 * Writes the text column `column` of a Parquet file to `outPath`, one value per line, reading
 * one row group at a time. Nulls are skipped; a missing or non-text column is refused.
 * @example await extractParquetText('wiki.parquet', 'text.txt', 'text');
 */
export async function extractParquetText(inPath: string, outPath: string, column: string, onProgress?: ExtractProgress): Promise<ExtractedText> {
  const file = await asyncBufferFromFile(inPath);
  const metadata = await readParquetMetadata(file);
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  if (!columns.includes(column)) throw new DatasetInputError(`the Parquet file has no column "${column}" (columns: ${columns.join(', ')})`);
  const total = Number(metadata.num_rows);
  const out = createWriteStream(outPath);
  const result: ExtractedText = { documents: 0, skipped: 0 };
  let rowStart = 0;
  try {
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      const rows = await new Promise<unknown[][]>((resolve, reject) => {
        parquetRead({ file, metadata, columns: [column], rowStart, rowEnd, compressors, onComplete: (r) => resolve(r as unknown[][]) }).catch(reject);
      });
      for (const [value] of rows) {
        if (value === null || value === undefined) result.skipped++;
        else {
          await writeLine(out, parquetText(value, column));
          result.documents++;
        }
      }
      rowStart = rowEnd;
      onProgress?.(rowStart, total);
    }
  } finally {
    await closeStream(out);
  }
  if (result.documents === 0) throw new DatasetInputError(`column "${column}" holds no text (${result.skipped} nulls)`);
  return result;
}

function parquetText(value: unknown, column: string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  throw new DatasetInputError(`column "${column}" holds ${typeof value === 'object' ? 'structured' : typeof value} values, not text`);
}

async function writeLine(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text + '\n'))
    await new Promise<void>((resolve, reject) => {
      out.once('drain', resolve);
      out.once('error', reject);
    });
}

function closeStream(out: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}
