import type { BaseWanted, CommitResponse } from '@bgstore/protocol';
import { ownKey } from './callerKeys';
import type { ColdBases } from './coldBase';
import { commitBatch, type AnyDefinition, type CommitSettings } from './commitBatch';
import type { StoredDoc } from './kvs/docStore';
import { parseCommitRequest } from './payload';
import { applyWritePolicy, assertMayRead, assertMayWrite, type PolicyTime, type StoreContext, type StorePolicy } from './policy';
import { withEarlier, type ChangeFeed } from './realtime';
import type { StoragePort } from './storage/port';

/** What `bgstore.commit` needs of its registration (see `registerStores`). */
export interface CommitDeps {
  storage: StoragePort;
  /** Cold commits with the caller's base (the KVS backend only). */
  bases: ColdBases | undefined;
  /** Where commits are published (absent: Realtime is off). */
  feed: ChangeFeed | undefined;
  settings: CommitSettings;
  maxIntents: number;
  policyTime: PolicyTime;
  /** The key of the store's document in the caller's scope. */
  keyOf: (definition: AnyDefinition, policy: StorePolicy, context: StoreContext) => string;
}

/**
 * `bgstore.commit`'s answer: the caller's batch, authorised and judged by the store's policy, committed
 * (see {@link commitBatch}) and published; the outcomes under the caller's own client ids, with those
 * of the intents refused before the commit. A cold commit on the KVS backend may ask for the caller's base.
 */
export async function answerCommit(deps: CommitDeps, definition: AnyDefinition, payload: Record<string, unknown>, context: StoreContext, policy: StorePolicy): Promise<CommitResponse | BaseWanted> {
  const { storage, bases, feed, settings, policyTime } = deps;
  const { request, refused } = parseCommitRequest(payload, definition.name, deps.maxIntents);
  // A commit's answer can carry the stored state: whoever may not read may not commit either.
  await assertMayRead(definition.name, policy, context, policyTime);
  assertMayWrite(definition.name, policy, context);
  const key = deps.keyOf(definition, policy, context);
  // No copy of the state here, and the caller has one: it sends it rather than storage reading it all.
  if (bases && request.base === true && bases.wants(key)) return { sendBase: true };
  // The caller's policy is applied with its own context before another caller's commit can
  // carry the batch; then each client id becomes the caller's own key.
  const judged = await applyWritePolicy(definition, policy, context, request.intents, policyTime);
  // The caller recorded with each intent comes from the context, whatever the payload said, so
  // the action's `this.caller` is the same wherever and whenever it is re-run.
  const intents = judged.map((i) => ({ ...i, clientId: ownKey(context, i.clientId), caller: context.accountId ?? null }));
  const bare = new Map(request.intents.map((i) => [ownKey(context, i.clientId), i.clientId]));
  const floors = request.floors.map(([c, f]): [string, number] => [ownKey(context, c), f]);
  const batch = { caller: context.accountId ?? null, intents, floors, baseRevision: request.baseRevision, patches: request.patches, doc: request.doc };
  const { answer, committed } = await commitBatch(bases ? bases.storageFor(storage as StoragePort<StoredDoc>, key, request) : storage, definition, key, batch, settings);
  if (committed?.publish && feed) {
    const { base, revision, patches, since, read } = committed;
    const earlier = since !== undefined && patches && storage.readChanges ? await storage.readChanges(key, since, read).catch(() => undefined) : undefined;
    await feed.publish(key, withEarlier({ v: 1, store: definition.name, base, revision, ...(patches ? { patches } : {}) }, earlier, since));
  }
  const outcomes = answer.outcomes.map((o) => ({ ...o, clientId: bare.get(o.clientId) ?? o.clientId }));
  return { ...answer, outcomes: [...outcomes, ...refused] };
}
