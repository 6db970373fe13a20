import { format } from 'node:util';

/** A warning or error a module logged. */
export interface ModuleLogEntry {
  /** The page's user ('anonymous' for `null`) and the module key, e.g. `alice/feed`. */
  where: string;
  level: 'warn' | 'error';
  text: string;
}

const KEPT = 20;
const SHOWN = 6;
// The core's words when a host gives up loading (a permanent refusal, e.g. a scope the module's
// context cannot fill): its modules would show "Loading…" for ever, so every wait fails at once.
const CANNOT_LOAD = /the host cannot load its state/;

/** What the modules of an app logged, for failure messages; and the first fatal one. */
export interface ModuleLog {
  /** A `console` for a module's realm: it logs as usual and records warnings and errors. */
  consoleFor(where: string): Console;
  entries(): readonly ModuleLogEntry[];
  /** The first entry that means the page can never load, as an error. */
  fatal(): Error | undefined;
  /** The last entries, as lines to append to a failure ('' when none). */
  describe(): string;
}

/** Creates the log of one rendered app; `onFatal` runs once, when a module logs that it cannot load. */
export function createModuleLog(onFatal: () => void): ModuleLog {
  const entries: ModuleLogEntry[] = [];
  let fatal: Error | undefined;
  const record = (where: string, level: 'warn' | 'error', args: unknown[]) => {
    const text = format(...args);
    entries.push({ where, level, text });
    if (entries.length > KEPT) entries.shift();
    if (!fatal && CANNOT_LOAD.test(text)) {
      fatal = new Error(`[bgstore/testing] module ${where} cannot load its store, so its page would show "Loading…" for ever: ${text}`);
      onFatal();
    }
  };
  return {
    consoleFor(where) {
      const own = Object.create(console) as Console;
      own.warn = (...args: unknown[]) => {
        record(where, 'warn', args);
        console.warn(...args);
      };
      own.error = (...args: unknown[]) => {
        record(where, 'error', args);
        console.error(...args);
      };
      return own;
    },
    entries: () => entries,
    fatal: () => fatal,
    describe() {
      if (entries.length === 0) return '';
      const lines = entries.slice(-SHOWN).map((e) => `\n  ${e.where} (console.${e.level}): ${e.text.length > 400 ? `${e.text.slice(0, 400)}…` : e.text}`);
      return `\nMeanwhile the app's modules logged${entries.length > SHOWN ? ` (the last ${SHOWN} of ${entries.length})` : ''}:${lines.join('')}`;
    },
  };
}
