// Finds where a JSON path (`['nodes', 2, 'params', 'lr']`) sits in JSON text, so the JSON tab can
// underline the exact value a schema or compiler message is about. A small recursive scanner over
// text that JSON.parse already accepted; not a validating parser.

export interface TextSpan {
  /** Offset of the value's first character. */
  start: number;
  /** Offset just past its last character. */
  end: number;
}

/**
 * The span of the value at `path`, or of its deepest ancestor that exists (a missing key is
 * reported on the object that should hold it). Undefined only for text that is not JSON.
 * @example locateJsonPath('{"a":[1,22]}', ['a', 1]) // { start: 8, end: 10 }
 */
export function locateJsonPath(text: string, path: readonly (string | number)[]): TextSpan | undefined {
  const want = path.map(String);
  let pos = 0;
  let best: { depth: number; span: TextSpan } | undefined;

  const skipSpace = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\n' || text[pos] === '\r' || text[pos] === '\t')) pos++;
  };
  const readString = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length && text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    pos++; // closing quote
    return JSON.parse(text.slice(start, pos)) as string;
  };
  // `matched` = how many leading path segments the current value's own path shares with `want`.
  const readValue = (depth: number, matched: number) => {
    skipSpace();
    const start = pos;
    const onPath = matched === depth;
    const ch = text[pos];
    if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      pos++;
      skipSpace();
      let index = 0;
      while (pos < text.length && text[pos] !== close) {
        let segment = String(index++);
        if (ch === '{') {
          segment = readString();
          skipSpace();
          pos++; // colon
        }
        readValue(depth + 1, onPath && want[depth] === segment ? matched + 1 : matched);
        skipSpace();
        if (text[pos] === ',') pos++;
        skipSpace();
      }
      pos++;
    } else if (ch === '"') {
      readString();
    } else {
      while (pos < text.length && !',]} \n\r\t'.includes(text[pos])) pos++;
    }
    if (onPath && depth <= want.length && (!best || depth > best.depth)) best = { depth, span: { start, end: pos } };
  };

  try {
    readValue(0, 0);
  } catch {
    return undefined;
  }
  return best?.span;
}

/**
 * Line and column (1-based, as Monaco counts) of an offset.
 * @example positionAt('a\nbc', 3) // { line: 2, column: 2 }
 */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
