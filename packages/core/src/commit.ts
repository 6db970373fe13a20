import { SyncError, type SyncErrorCode } from '@bgstore/protocol';
import { createClientTable } from './clientTable';
import type { ActionRecipes, StoreDefinition } from './defineStore';
import type { ClientRecord } from './ports';
import { runIntent } from './runIntent';

/** A store's durable document: what storage holds for one store and scope. */
export interface DurableDoc<TState> {
  /** Increases by one with every write; writes compare-and-set on it. */
  revision: number;
  schemaVersion: number;
  state: TState;
  /** Which intents of which clients are in `state` (or were refused), so none applies twice. */
  clients: Record<string, ClientRecord>;
}

/** One intent as a host commits it: who sent it, its sequence number, the action and arguments. */
export interface DurableIntent {
  clientId: string;
  seq: number;
  name: string;
  args: unknown[];
  /** The host already refused it: storage records the refusal without running it, so a late copy never applies. */
  refused?: { code: SyncErrorCode; message: string };
}

/** What became of one committed intent; `duplicate` when an earlier commit already had it. */
export type DurableOutcome = { clientId: string; seq: number; duplicate?: true } & ({ ok: true } | { ok: false; code: SyncErrorCode; message: string });

/** Decides whether an intent may be applied: `true`, or the reason it may not. */
export type Authorize = (intent: DurableIntent) => true | string;

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
    throw new SyncError('ACTION_FAILED', `[bgstore] migrating '${definition.name}' from schemaVersion ${doc.schemaVersion} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { ...doc, schemaVersion: definition.schemaVersion, state };
}

/**
 * Applies a batch of intents to a stored document, as the resolver does on every commit: each
 * `clientId+seq` at most once (a repeat gets its first outcome again), refusals recorded with their
 * reason, the revision raised by one if anything changed. Pure: never throws, never writes.
 */
export function commitIntents<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  doc: DurableDoc<TState>,
  intents: readonly DurableIntent[],
  options: { now: number; authorize?: Authorize; maxClients?: number } = { now: 0 },
): { doc: DurableDoc<TState>; outcomes: DurableOutcome[]; changed: boolean } {
  const table = createClientTable(doc.clients, { maxClients: options.maxClients });
  let state = doc.state;
  let changed = false;
  const outcomes: DurableOutcome[] = [];
  for (const intent of intents) {
    const { clientId, seq } = intent;
    const seen = table.lookup(clientId, seq);
    if (seen) {
      outcomes.push({ clientId, seq, duplicate: true, ...seen });
      continue;
    }
    changed = true;
    if (intent.refused) {
      const outcome = { ok: false as const, code: intent.refused.code, message: intent.refused.message };
      table.record(clientId, seq, outcome, options.now);
      outcomes.push({ clientId, seq, ...outcome });
      continue;
    }
    const verdict = options.authorize ? safeAuthorize(options.authorize, intent) : true;
    if (verdict !== true) {
      const outcome = { ok: false as const, code: 'UNAUTHORIZED' as const, message: `[bgstore] ${definition.name}.${intent.name}: ${verdict}` };
      table.record(clientId, seq, outcome, options.now);
      outcomes.push({ clientId, seq, ...outcome });
      continue;
    }
    const result = runIntent(definition, state, intent.name, intent.args);
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

function safeAuthorize(authorize: Authorize, intent: DurableIntent): true | string {
  try {
    return authorize(intent);
  } catch (error) {
    return `authorize() threw: ${error instanceof Error ? error.message : String(error)}`;
  }
}
