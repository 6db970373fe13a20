// @bgstore/core/durable — what storage backends and tests need: the resolver's pure commit, the
// client table, documents and their migration. Apps do not import this.
export { commitAnswer, commitIntents, emptyDoc, upgradeDoc } from './durable/commit';
export type { Authorize, CommitOptions, DurableDoc } from './durable/commit';
export { createClientTable } from './durable/clientTable';
export { hookVerdict } from './durable/verdict';
export type { ClientCallers, ClientTable, ClientTableOptions } from './durable/clientTable';
export { createMemoryPersistence } from './durable/memoryPersistence';
export { runIntent, replayIntents, checkIntent } from './state/runIntent';
export type { IntentOutcome } from './state/runIntent';
export { stateDigest } from './state/stateDigest';
export { diffState } from './state/diffState';
export { randomId, systemClock } from './runtime/ports';
export type { ClientRecord } from './runtime/ports';
