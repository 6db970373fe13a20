// @bgstore/core — defineStore, the authoritative host, zustand replicas. Knows nothing of Forge or React.
export { createChannel } from './channel';
export type { ChannelStats } from './channel';
export { commitIntents, emptyDoc, upgradeDoc } from './commit';
export type { Authorize, DurableDoc, DurableIntent, DurableOutcome } from './commit';
export { defineStore } from './defineStore';
export type { ActionRecipe, ActionRecipes, ActionValidators, InferActions, InferArgs, InferState, StoreContext, StoreDefinition, StoreIntent, StoreOptions, StoreScope } from './defineStore';
export { createHost } from './host';
export type { Host, HostOptions, HostPhase, HostStats } from './host';
export { coalescePatches } from './patches';
export { createMemoryPersistence, randomId, systemClock } from './ports';
export type { ClientRecord, Clock, Logger, PersistedDoc, Persistence, Transport, Unsubscribe } from './ports';
export { createReplica } from './replica';
export type { ReadonlyStore, Replica, ReplicaOptions, ReplicaStats, ResyncReason, SyncPhase, SyncStatus } from './replica';
export { runIntent } from './runIntent';
export type { IntentOutcome } from './runIntent';
export { shareStructure } from './shareStructure';
export { isSyncError, SyncError } from '@bgstore/protocol';
export type { SyncErrorCode } from '@bgstore/protocol';
