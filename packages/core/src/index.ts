// @bgstore/core — defineStore, the authoritative host, zustand replicas. Knows nothing of Forge or React.
// Durability and testing internals live at `@bgstore/core/durable`.
export { ANONYMOUS_CALLER, defineStore } from './state/defineStore';
export type { ActionCall, ActionRecipe, ActionRecipes, ActionThis, ActionValidators, Caller, InferActions, InferArgs, InferState, StoreDefinition, StoreOptions } from './state/defineStore';
export { countItems, createCollection, getItem, hasItem, removeItem, setItem } from './state/collection';
export type { Collection, CollectionOptions, Identified, ItemOf } from './state/collection';
export { listIds, listItems } from './state/collectionList';
export { createHost } from './host/createHost';
export type { Host, HostOptions, HostPhase, HostStats } from './host/createHost';
export { createReplica } from './replica/createReplica';
export type { PendingCall, ReadonlyStore, Replica, ReplicaOptions, ReplicaStats, ResyncReason, SyncPhase, SyncStatus } from './replica/createReplica';
export type { CallStage } from './replica/machine';
export { createMemoryPersistence } from './durable/memoryPersistence';
export { systemClock } from './runtime/ports';
export type { Clock, CommitBatch, CommitResult, LoadedChanges, LoadedDoc, Logger, Persistence, RemoteChange, Transport, Unsubscribe } from './runtime/ports';
export { isSyncError, SyncError } from '@bgstore/protocol';
export type { DurableStatus, SyncErrorCode } from '@bgstore/protocol';
