import { errorText, SyncError, type ClientRecord, type Outcome, type StoredIntent } from '@bgstore/protocol';
import type { ActionRecipes, StoreDefinition } from '../state/defineStore';
import { runIntent } from '../state/runIntent';
import { createClientTable, type ClientTableOptions } from './clientTable';
import { hookVerdict } from './verdict';

/** A store's durable document: what storage holds for one store and scope. */
export interface DurableDoc<TState> {
  /** Increases by one with every write; writes compare-and-set on it. */
  revision: number;
  schemaVersion: number;
  state: TState;
  /** Which intents of which clients are in `state` (or were refused), so none applies twice. */
  clients: Record<string, ClientRecord>;
}

/** Decides whether an intent may be applied: `true`, or the reason it may not. */
export type Authorize = (intent: StoredIntent) => true | string;

/** Options of {@link commitIntents}. */
export interface CommitOptions {
  now: number;
  /** The write policy, per intent. */
  authorize?: Authorize;
  /** The client table's bounds (storage's own: `whenFull: 'refuse'`). */
  table?: ClientTableOptions;
  /** Per client: every seq ≤ floor has settled at the client, so gaps below it close. */
  floors?: readonly (readonly [clientId: string, floor: number])[];
}

/** A new document for a store with nothing stored yet. */
export function emptyDoc<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>): DurableDoc<TState> {
  return { revision: 0, schemaVersion: definition.schemaVersion, state: definition.initialState, clients: {} };
}

/**
 * Brings a stored document to the definition's schema: an older one is migrated (`migrate` is
 * required then), a newer one is refused, so an old bundle never downgrades stored data.
 * @throws SyncError `SCHEMA_TOO_NEW`, or `ACTION_FAILED` when `migrate` is missing or throws
 */
export function upgradeDoc<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, doc: DurableDoc<unknown>): DurableDoc<TState> {
  if (doc.schemaVersion === definition.schemaVersion) return doc as DurableDoc<TState>;
  if (doc.schemaVersion > definition.schemaVersion) {
    throw new SyncError('SCHEMA_TOO_NEW', `[bgstore] store '${definition.name}' is stored with schemaVersion ${doc.schemaVersion}, newer than this bundle's ${definition.schemaVersion}; deploy the new version everywhere instead of writing with an old one`);
  }
  if (!definition.migrate) {
    throw new SyncError('ACTION_FAILED', `[bgstore] store '${definition.name}' is stored with schemaVersion ${doc.schemaVersion} but the definition (schemaVersion ${definition.schemaVersion}) has no migrate()`);
  }
  let state: TState;
  try {
    state = definition.migrate(doc.state, doc.schemaVersion);
  } catch (error) {
    throw new SyncError('ACTION_FAILED', `[bgstore] migrating '${definition.name}' from schemaVersion ${doc.schemaVersion} failed: ${errorText(error)}`, { cause: error });
  }
  return { ...doc, schemaVersion: definition.schemaVersion, state };
}

/**
 * Applies a batch of intents to a stored document, as the resolver does on every commit: each
 * `clientId+seq` at most once (a repeat gets its first outcome again), refusals recorded with their
 * reason, each intent judged alone (one bad intent never sinks the batch), the revision raised by
 * one if anything changed. Pure: never throws, never writes.
 */
export function commitIntents<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  doc: DurableDoc<TState>,
  intents: readonly StoredIntent[],
  options: CommitOptions = { now: 0 },
): { doc: DurableDoc<TState>; outcomes: Outcome[]; changed: boolean } {
  const table = createClientTable(doc.clients, options.table);
  let state = doc.state;
  let changed = false;
  const outcomes: Outcome[] = [];
  for (const [clientId, floor] of options.floors ?? []) table.advanceFloor(clientId, floor, options.now);
  for (const intent of intents) {
    const { clientId, seq } = intent;
    const seen = table.lookup(clientId, seq);
    if (seen) {
      outcomes.push({ clientId, seq, duplicate: true, ...seen });
      continue;
    }
    const inadmissible = table.admit(clientId, seq, options.now);
    if (inadmissible) {
      // Not recorded: an implausible seq, or a full table, must not change what is remembered.
      outcomes.push({ clientId, seq, ok: false, ...inadmissible });
      continue;
    }
    const refusal = intent.refused ?? policyRefusal(definition, options.authorize, intent);
    const result = refusal ? ({ ok: false, ...refusal } as const) : runIntent(definition, state, intent.name, intent.args, intent.caller);
    changed = true;
    if (result.ok) {
      state = result.state;
      table.record(clientId, seq, { ok: true }, options.now);
      outcomes.push({ clientId, seq, ok: true });
    } else {
      const outcome = { ok: false as const, code: result.code, message: result.message };
      table.record(clientId, seq, outcome, options.now);
      outcomes.push({ clientId, seq, ...outcome });
    }
  }
  if (!changed) return { doc, outcomes, changed };
  return { doc: { revision: doc.revision + 1, schemaVersion: definition.schemaVersion, state, clients: table.toJSON() }, outcomes, changed };
}

function policyRefusal(definition: { name: string }, authorize: Authorize | undefined, intent: StoredIntent) {
  if (!authorize) return undefined;
  const verdict = hookVerdict(() => authorize(intent), 'authorize()');
  return verdict === true ? undefined : { code: 'UNAUTHORIZED' as const, message: `[bgstore] ${definition.name}.${intent.name}: ${verdict}` };
}

/**
 * A commit's answer, the same from every persistence: the stored state comes back whenever the
 * host cannot predict it — storage had moved past `baseRevision`, some intents were stored already,
 * or the commit also applied others' intents (`othersApplied`, a combined commit).
 */
export function commitAnswer<TState>(before: DurableDoc<TState>, baseRevision: number, result: { doc: DurableDoc<TState>; outcomes: Outcome[] }, othersApplied = false) {
  const rebase = othersApplied || before.revision !== baseRevision || result.outcomes.some((o) => o.duplicate);
  return { revision: result.doc.revision, outcomes: result.outcomes, ...(rebase ? { state: result.doc.state } : {}) };
}
