/**
 * A lexical look at one SQL request: enough to enforce Forge SQL's rules (one statement, which
 * endpoint, no foreign keys) without parsing SQL. Literals, quoted identifiers and comments are
 * blanked first, so a `;` or a keyword inside a string never counts.
 */

/** What a request does, as Forge SQL's quotas see it. */
export type StatementKind = 'select' | 'dml' | 'ddl' | 'other';

/** The facts about one request's SQL text the emulator acts on. */
export interface StatementInfo {
  kind: StatementKind;
  /** The first keyword, upper-cased (`SELECT`, `INSERT`, `CREATE` …); '' for an empty query. */
  verb: string;
  /** Non-empty statements in the text (a trailing `;` does not make a second one). */
  statements: number;
  /** Upper-cased words outside literals and comments, for rule checks. */
  words: ReadonlySet<string>;
}

const KIND_BY_VERB: Record<string, StatementKind> = {
  SELECT: 'select',
  WITH: 'select',
  SHOW: 'select',
  DESCRIBE: 'select',
  DESC: 'select',
  EXPLAIN: 'select',
  INSERT: 'dml',
  UPDATE: 'dml',
  DELETE: 'dml',
  REPLACE: 'dml',
  CREATE: 'ddl',
  ALTER: 'ddl',
  DROP: 'ddl',
  TRUNCATE: 'ddl',
  RENAME: 'ddl',
};

/** Replaces quoted text and comments with spaces, keeping every other character where it was. */
export function blankLiterals(query: string): string {
  let out = '';
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    const next = query[i + 1];
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(query, i, c);
      out += ' '.repeat(end - i);
      i = end;
    } else if ((c === '-' && next === '-') || c === '#') {
      const end = query.indexOf('\n', i);
      const stop = end === -1 ? query.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = query.indexOf('*/', i + 2);
      const stop = end === -1 ? query.length : end + 2;
      out += ' '.repeat(stop - i);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the quote that closes the one at `start` (doubled quotes and `\` escapes stay inside). */
function closingQuote(query: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < query.length) {
    const c = query[i];
    if (c === '\\' && quote !== '`') i += 2;
    else if (c === quote && query[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return query.length;
}

/** Reads the facts of one request's SQL. */
export function inspectStatement(query: string): StatementInfo {
  const bare = blankLiterals(query);
  const statements = bare.split(';').filter((part) => part.trim() !== '').length;
  const wordList = bare.toUpperCase().match(/[A-Z_][A-Z0-9_$]*/g) ?? [];
  const verb = wordList[0] ?? '';
  return { kind: KIND_BY_VERB[verb] ?? 'other', verb, statements, words: new Set(wordList) };
}
