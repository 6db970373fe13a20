import { isSyncError, type DurableStatus, type SyncErrorCode } from '@bgstore/protocol';
import type { DurableIntent, DurableOutcome } from './commit';
import type { ActionRecipes, StoreDefinition } from './defineStore';
import type { Clock, LoadedDoc, Logger, Persistence } from './ports';
import { replayIntents } from './runIntent';

/** Options of the host's commit queue. */
export interface CommitQueueOptions<TState, TActions extends ActionRecipes<TState>> {
  definition: StoreDefinition<TState, TActions>;
  persistence: Persistence<TState>;
  clock: Clock;
  /** Wait this long after the first unsaved intent before committing, to batch a burst. @default 200 */
  flushDelayMs?: number;
  /** At most this many intents per commit. @default 500 */
  maxBatchIntents?: number;
  /** At most this many JSON characters of intents per commit (invoke takes 500 KB). @default 400_000 */
  maxBatchSize?: number;
  /** First retry delay after a failed commit; doubles up to `retryMaxMs`. @default 500 */
  retryMinMs?: number;
  /** @default 30_000 */
  retryMaxMs?: number;
  /** Check the stored revision this often, to notice other tabs' commits; 0 turns it off. @default 30_000 */
  revisionCheckMs?: number;
  logger?: Logger;
  /** The durable state moved in a way the host did not predict: it must rebase on it. */
  onRebase(durableState: TState, unsaved: readonly DurableIntent[]): void;
  /**
   * The durability status changed; `saved` lists intents that just became durable, `refused` those
   * whose refusal (by the host, or by storage) just became durable.
   */
  onStatus(status: DurableStatus, saved: [string, number][], refused: DurableOutcome[]): void;
}

/** Codes that retrying cannot fix: the batch is dropped, its effects rolled back, the reason shown. */
const PERMANENT = new Set(['UNAUTHORIZED', 'BAD_REQUEST', 'TOO_LARGE', 'SCHEMA_TOO_NEW']);

/** The host's queue of accepted intents on their way to storage. */
export interface CommitQueue<TState> {
  /** The document the host starts from. */
  load(): Promise<LoadedDoc<TState>>;
  push(intent: DurableIntent): void;
  /** Whether an accepted intent is still waiting for storage. */
  isUnsaved(clientId: string, seq: number): boolean;
  status(): DurableStatus;
  /** Commits now instead of after the debounce. */
  flush(): void;
  /** Asks storage for its revision and rebases if other tabs moved it. */
  checkRevision(): Promise<void>;
  close(): void;
}

const errorOf = (error: unknown) =>
  isSyncError(error) ? { code: error.code, message: error.message } : { code: 'STORAGE_FAILED', message: `[bgstore] storage failed: ${error instanceof Error ? error.message : String(error)}` };

/**
 * Creates the queue that makes a host durable: accepted intents are committed in batches
 * (debounced, bounded by the invoke size), failures are retried with backoff so nothing accepted is
 * dropped, and when storage answers with a state the host did not predict (other tabs or users
 * committed, or an intent was refused there), the host is told to rebase.
 */
export function createCommitQueue<TState, TActions extends ActionRecipes<TState>>(o: CommitQueueOptions<TState, TActions>): CommitQueue<TState> {
  const { clock, persistence, definition } = o;
  const flushDelayMs = o.flushDelayMs ?? 200;
  const maxBatchIntents = o.maxBatchIntents ?? 500;
  const maxBatchSize = o.maxBatchSize ?? 400_000;
  const retryMinMs = o.retryMinMs ?? 500;
  const retryMaxMs = o.retryMaxMs ?? 30_000;
  const revisionCheckMs = o.revisionCheckMs ?? 30_000;

  let durable = { revision: 0, state: definition.initialState };
  const queue: DurableIntent[] = [];
  let inflight: DurableIntent[] = [];
  let error: DurableStatus['error'] = null;
  let timer: unknown;
  let checkTimer: unknown;
  let attempt = 0;
  let closed = false;

  const status = (): DurableStatus => ({ revision: durable.revision, unsaved: queue.length + inflight.length, saving: inflight.length > 0, error });
  const report = (saved: [string, number][] = [], refusals: DurableOutcome[] = []) => o.onStatus(status(), saved, refusals);


  const schedule = (ms: number) => {
    if (closed || timer !== undefined) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      void commit();
    }, ms);
  };

  const takeBatch = () => {
    let size = 0;
    let n = 0;
    while (n < queue.length && n < maxBatchIntents) {
      size += JSON.stringify(queue[n]).length;
      if (n > 0 && size > maxBatchSize) break;
      n++;
    }
    return queue.splice(0, n);
  };

  async function commit(): Promise<void> {
    if (closed || inflight.length > 0 || queue.length === 0) return;
    inflight = takeBatch();
    report();
    const base = durable;
    let outcomes: DurableOutcome[];
    let next: { revision: number; state?: TState };
    try {
      const result = await persistence.commit({ baseRevision: base.revision, intents: inflight });
      outcomes = result.outcomes;
      next = result;
    } catch (e) {
      const err = errorOf(e);
      if (PERMANENT.has(err.code)) {
        // Retrying cannot help: the batch is refused, its effects leave the host's state.
        error = err;
        const dropped = inflight.map((i): DurableOutcome => ({ clientId: i.clientId, seq: i.seq, ok: false, code: err.code as SyncErrorCode, message: err.message }));
        inflight = [];
        o.onRebase(durable.state, queue);
        report([], dropped);
        schedule(flushDelayMs);
        return;
      }
      error = err;
      queue.unshift(...inflight);
      inflight = [];
      report();
      // A busy document is not an outage: try again within a second or two, without growing the wait.
      const delay = err.code === 'STORAGE_BUSY' ? retryMinMs * (1 + Math.random() * 2) : Math.min(retryMaxMs, retryMinMs * 2 ** attempt++);
      (o.logger ?? console).warn(`${err.message}; retrying in ${delay} ms (${queue.length} unsaved)`);
      schedule(delay);
      return;
    }
    if (closed) return;
    attempt = 0;
    error = null;
    // Refusals the host did not already make are storage's (authorize, or a state that moved on).
    const refused = outcomes.filter((x, i) => !x.ok && !inflight[i]?.refused);
    const first = refused[0];
    if (first && !first.ok) error = { code: first.code, message: first.message };
    const fresh = inflight.filter((intent, i) => !intent.refused && outcomes[i]?.ok && !outcomes[i]?.duplicate);
    const expected = inflight.filter((intent) => !intent.refused).length;
    const predicted = next.state === undefined && refused.length === 0 && fresh.length === expected;
    durable = { revision: next.revision, state: next.state ?? replayIntents(definition, base.state, fresh) };
    const saved = outcomes.filter((x) => x.ok).map((x): [string, number] => [x.clientId, x.seq]);
    inflight = [];
    if (!predicted) o.onRebase(durable.state, queue);
    report(saved, outcomes.filter((x) => !x.ok));
    if (queue.length) schedule(0);
  }

  async function checkRevision() {
    if (closed || inflight.length > 0) return;
    try {
      const revision = persistence.revision ? await persistence.revision() : (await persistence.load()).revision;
      if (revision === durable.revision || inflight.length > 0 || closed) return;
      const loaded = await persistence.load();
      if (inflight.length > 0 || closed || loaded.revision === durable.revision) return;
      durable = { revision: loaded.revision, state: loaded.state };
      o.onRebase(durable.state, queue);
      report();
    } catch (e) {
      error = errorOf(e);
      report();
    }
  }

  const scheduleCheck = (ms = revisionCheckMs) => {
    if (revisionCheckMs <= 0 || closed) return;
    checkTimer = clock.setTimeout(() => {
      void checkRevision().finally(() => scheduleCheck());
    }, ms);
  };

  return {
    async load() {
      for (let i = 0; ; i++) {
        try {
          const loaded = await persistence.load();
          durable = { revision: loaded.revision, state: loaded.state };
          error = null;
          // A commit of the previous boot may still have been on its way when this one loaded:
          // look again soon, not only after a full interval.
          scheduleCheck(Math.min(revisionCheckMs, 2000));
          return loaded;
        } catch (e) {
          error = errorOf(e);
          if (PERMANENT.has(error.code) || closed) throw e;
          const delay = Math.min(retryMaxMs, retryMinMs * 2 ** i);
          (o.logger ?? console).warn(`${error.message}; loading again in ${delay} ms`);
          await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
        }
      }
    },
    push(intent) {
      queue.push(intent);
      if (queue.length === 1 && inflight.length === 0) report();
      schedule(flushDelayMs);
    },
    isUnsaved: (clientId, seq) => [...inflight, ...queue].some((i) => i.seq === seq && i.clientId === clientId),
    status,
    flush() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      void commit();
    },
    checkRevision,
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      if (checkTimer !== undefined) clock.clearTimeout(checkTimer);
    },
  };
}
