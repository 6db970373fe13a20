// The actions a module calls, with outcome and latency: recorded by wrapping the replica's (or the
// host's) `actions` object in place, because the core reports no action events (yet).
import type { ActionRecord } from './diagnostics';

/** What can be tracked: anything with an `actions` object of promise-returning functions. */
export interface HasActions {
  actions: object;
}

/** The recent actions of one replica or host. */
export interface ActionLog {
  /** The most recent `limit` records, oldest first. */
  entries(): ActionRecord[];
  /** Called after each change to a record (call, then settlement). */
  subscribe(listener: (record: ActionRecord) => void): () => void;
}

const logs = new WeakMap<object, ActionLog>();

/**
 * Records every call of `target.actions.*` from now on: name, time, JSON size, outcome and latency
 * (keeps the last `limit`). Calling it again for the same target returns the same log.
 * @example
 * const log = trackActions(replica);
 * log.entries(); // [{ name: 'addCard', outcome: 'saved', ms: 212, … }]
 */
export function trackActions(target: HasActions, options: { limit?: number; now?: () => number } = {}): ActionLog {
  const existing = logs.get(target.actions);
  if (existing) return existing;
  const limit = options.limit ?? 50;
  const now = options.now ?? (() => Date.now());
  const records: ActionRecord[] = [];
  const listeners = new Set<(record: ActionRecord) => void>();
  const changed = (record: ActionRecord) => listeners.forEach((l) => l(record));
  let nextId = 0;
  const actions = target.actions as Record<string, unknown>;
  for (const name of Object.keys(actions)) {
    const original = actions[name];
    if (typeof original !== 'function') continue;
    actions[name] = (...args: unknown[]) => {
      const record: ActionRecord = { id: ++nextId, name, at: now(), outcome: 'pending', bytes: safeSize([name, args]) };
      records.push(record);
      if (records.length > limit) records.shift();
      changed(record);
      const result = (original as (...a: unknown[]) => unknown)(...args);
      void Promise.resolve(result).then(
        () => {
          record.outcome = 'saved';
          record.ms = now() - record.at;
          changed(record);
        },
        (error: unknown) => {
          record.outcome = 'refused';
          record.code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'ERROR';
          record.ms = now() - record.at;
          changed(record);
        },
      );
      return result;
    };
  }
  const log: ActionLog = {
    entries: () => records.map((r) => ({ ...r })),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  logs.set(target.actions, log);
  return log;
}

function safeSize(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
