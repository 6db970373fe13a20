import type { ClientRecord, SyncResponse } from '@bgstore/protocol';
import { ownClients, ownKeys } from './callerKeys';
import { currentDoc, type AnyDefinition } from './commitBatch';
import { parseSince } from './payload';
import type { StoreContext } from './policy';
import type { ChangeFeed } from './realtime';
import type { StoragePort } from './storage/port';

/**
 * `bgstore.load`'s answer for an authorised caller: with `since`, only the changes since it when
 * storage has them for the same document (the caller's `doc`), else the whole document; with
 * `realtime: true`, a subscribe-only grant for the document's channel too. Only the caller's own
 * client records, in either form: nobody learns another caller's client ids.
 */
export async function loadAnswer(storage: StoragePort, feed: ChangeFeed | undefined, definition: AnyDefinition, key: string, payload: Record<string, unknown>, context: StoreContext): Promise<SyncResponse> {
  const since = parseSince(payload.since);
  const granting = payload.realtime === true && feed ? feed.grant(key) : undefined;
  const changes = since !== undefined ? await storage.readChanges?.(key, since) : undefined;
  const grant = await granting;
  const realtime = grant ? { realtime: grant } : {};
  // Revision 0 is the initial state of any document; other revisions only of the one they were read from.
  const sameDoc = since === 0 || changes?.id === (typeof payload.doc === 'string' ? payload.doc : undefined);
  if (since !== undefined && changes && sameDoc && changes.schemaVersion === definition.schemaVersion) {
    const clients = ownClients(changes.clients as Record<string, ClientRecord>, context);
    const removed = ownKeys(changes.removed, context);
    const doc = changes.id ? { doc: changes.id } : {};
    return { since, revision: changes.revision, patches: changes.patches, ...(Object.keys(clients).length ? { clients } : {}), ...(removed.length ? { clientsRemoved: removed } : {}), ...doc, ...realtime };
  }
  const read = await storage.read(key);
  const doc = currentDoc(definition, read);
  return { revision: doc.revision, schemaVersion: doc.schemaVersion, state: doc.state, clients: ownClients(doc.clients, context), ...(read?.id ? { doc: read.id } : {}), ...realtime };
}
