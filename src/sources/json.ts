// Locating things in JSON text: JSON.parse says neither where a document breaks (the same way
// on every Node version) nor on which line a key is, and evidence wants both.

/** Where a JSON text stops being JSON, and why, since JSON.parse's messages differ between Node versions and lack a line; undefined when it is valid. */
export function jsonError(text: string): {at: number; what: string} | undefined {
  let i = 0;
  class Bad {
    constructor(
      readonly at: number,
      readonly what: string,
    ) {}
  }
  const fail = (what: string): never => {
    throw new Bad(i, what);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = () => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') fail('unterminated string');
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in a string');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('bad escape in a string');
        i += 2;
        continue;
      }
      if (c!.charCodeAt(0) < 0x20) fail('control character in a string');
      i++;
    }
  };
  const value = (depth: number): void => {
    ws();
    if (depth > 200) fail('nested too deeply');
    const c = text[i];
    if (c === undefined) fail('unexpected end of the file: a value is missing');
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (c === '{') {
          if (text[i] !== '"') fail(text[i] === undefined ? 'unexpected end of the file' : 'expected a double-quoted property name');
          str();
          ws();
          if (text[i] !== ':') fail("expected ':' after the property name");
          i++;
        }
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(text[i] === undefined ? `unexpected end of the file: '${close}' is missing` : `expected ',' or '${close}'`);
      }
    }
    if (c === '"') {
      str();
      return;
    }
    const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    num.lastIndex = i;
    if (num.test(text)) {
      i = num.lastIndex;
      return;
    }
    for (const w of ['true', 'false', 'null']) {
      if (text.startsWith(w, i)) {
        i += w.length;
        return;
      }
    }
    fail(`unexpected ${JSON.stringify(c)}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return undefined;
  } catch (err) {
    if (err instanceof Bad) return {at: err.at, what: err.what};
    throw err;
  }
}

/** Line and column (from 1) of an offset, for evidence that points into a file. */
export function lineCol(text: string, at: number): {line: number; col: number} {
  const before = text.slice(0, at);
  return {line: before.split('\n').length, col: at - before.lastIndexOf('\n')};
}

/** The line of the first `"key":` in the text, for evidence (JSON.parse keeps no positions). */
export function keyLine(text: string, key: string): number | undefined {
  const at = text.indexOf(`"${key}"`);
  return at < 0 ? undefined : lineCol(text, at).line;
}
