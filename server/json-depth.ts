// JSON from clients is parsed only when it nests at most MAX_JSON_DEPTH levels. JSON.parse itself
// copes with deep nesting, but what follows does not: JSON.stringify, zod and structured clone
// recurse, and a document thousands of levels deep overflows their stack (a 500 where the client
// deserves a 400). No document of the studio nests deeper than about 10 levels.

/** Objects and arrays inside one another, at most (a pipeline nests about 6). */
export const MAX_JSON_DEPTH = 64;

/**
 * How deeply `text` nests objects and arrays, counting up to `limit + 1` (the scan stops there).
 * Brackets inside strings do not count. A linear scan with no recursion.
 * @example jsonDepth('{"a":[1,{"b":"]]"}]}') // 3
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // '\': the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/** JSON that nests deeper than MAX_JSON_DEPTH; its message completes "the request body …". */
export class TooDeepError extends Error {
  constructor() {
    super(`nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
  }
}

/**
 * JSON.parse for client input: throws TooDeepError when `text` nests deeper than MAX_JSON_DEPTH,
 * JSON.parse's SyntaxError when it is not JSON.
 * @example parseClientJson('{"a":1}') // { a: 1 }
 */
export function parseClientJson(text: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new TooDeepError();
  return JSON.parse(text);
}
