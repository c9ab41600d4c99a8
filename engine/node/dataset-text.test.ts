// Text out of JSON Lines written by Python's json module and Parquet files written by parquet-mr
// and parquet-cpp (engine/data/fixtures/parquet/): the values as those tools wrote them, and
// bad input refused with the line or column named.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { extractJsonlText, extractParquetText, parquetColumns } from './dataset-text';
import { DatasetInputError } from './tokenize-stream';

const root = mkdtempSync(join(tmpdir(), 'dataset-text-'));
after(() => rmSync(root, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`../data/fixtures/parquet/${name}`, import.meta.url).pathname;
let n = 0;
const outFile = () => join(root, `out-${n++}.txt`);

/** A JSON Lines file written by Python's json.dumps (ensure_ascii on: escapes for non-ASCII). */
function pythonJsonl(records: string): string {
  const path = join(root, `py-${n++}.jsonl`);
  execFileSync('/usr/bin/python3', [
    '-c',
    `import json, sys
with open(sys.argv[1], 'w') as f:
    for r in ${records}:
        f.write(json.dumps(r) + '\\n')`,
    path,
  ]);
  return path;
}

test('JSONL: the field of every record, one per line, as Python wrote them', async () => {
  const file = pythonJsonl(`[{'text': 'Hello, world', 'id': 1}, {'text': 'naïve café — ünïcode 漢字 😀', 'id': 2}, {'id': 3, 'text': 'tabs\\tand "quotes"'}]`);
  const out = outFile();
  const result = await extractJsonlText(file, out, 'text');
  assert.deepEqual(result, { documents: 3, skipped: 0 });
  assert.equal(readFileSync(out, 'utf8'), 'Hello, world\nnaïve café — ünïcode 漢字 😀\ntabs\tand "quotes"\n');
});

test('JSONL: a line that is not JSON, lacks the field or holds no text is refused, naming the line', async () => {
  const bad = (content: string) => {
    const path = join(root, `bad-${n++}.jsonl`);
    writeFileSync(path, content);
    return extractJsonlText(path, outFile(), 'text');
  };
  await assert.rejects(bad('{"text": "a"}\n{"text": "b"\n'), (e) => e instanceof DatasetInputError && /^line 2 is not valid JSON/.test(e.message));
  await assert.rejects(bad('{"text": "a"}\n\n{"body": "b"}\n'), /^Error: line 3 has no field "text"$|line 3 has no field "text"/);
  await assert.rejects(bad('{"text": 5}\n'), /line 1: field "text" is a number, not text/);
  await assert.rejects(bad('[1, 2]\n'), /line 1 is not a JSON object/);
  await assert.rejects(bad('\n\n'), /has no records/);
});

test("Parquet: a string column with nulls (parquet-mr, DELTA_BYTE_ARRAY) matches the suite's CSV", async () => {
  // Python's csv module reads the suite's expectations (an empty field is a null).
  const { header, expected } = JSON.parse(
    execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        `import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
i = rows[0].index('c_email_address')
print(json.dumps({'header': rows[0], 'expected': [r[i] for r in rows[1:] if r[i] != '']}))`,
        fixture('delta_byte_array_expect.csv'),
      ],
      { encoding: 'utf8' },
    ),
  ) as { header: string[]; expected: string[] };
  const out = outFile();
  const progress: number[] = [];
  const result = await extractParquetText(fixture('delta_byte_array.parquet'), out, 'c_email_address', (done) => progress.push(done));
  assert.equal(result.documents, expected.length);
  assert.equal(result.skipped, 1000 - expected.length);
  assert.equal(readFileSync(out, 'utf8'), expected.join('\n') + '\n');
  assert.equal(progress.at(-1), 1000);
  assert.deepEqual(await parquetColumns(fixture('delta_byte_array.parquet')), header);
});

test('Parquet: snappy pages (parquet-cpp); a missing column, a number column and an all-null column are refused', async () => {
  const out = outFile();
  await extractParquetText(fixture('alltypes_plain.snappy.parquet'), out, 'string_col');
  assert.equal(readFileSync(out, 'utf8'), '0\n1\n');
  await assert.rejects(
    extractParquetText(fixture('alltypes_plain.snappy.parquet'), outFile(), 'text'),
    (e) => e instanceof DatasetInputError && /no column "text" \(columns: id, bool_col, .*string_col, timestamp_col\)/.test(e.message),
  );
  await assert.rejects(extractParquetText(fixture('alltypes_plain.snappy.parquet'), outFile(), 'int_col'), /column "int_col" holds number values, not text/);
  await assert.rejects(extractParquetText(fixture('delta_byte_array.parquet'), outFile(), 'c_login'), /column "c_login" holds no text \(1000 nulls\)/);
  const notParquet = join(root, 'not.parquet');
  writeFileSync(notParquet, 'just some text, not parquet at all');
  await assert.rejects(extractParquetText(notParquet, outFile(), 'text'), /not a Parquet file/);
});
