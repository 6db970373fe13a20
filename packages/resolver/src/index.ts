// @bgstore/resolver — bgstore's backend: load/commit resolver functions over Forge KVS, with each
// store's server policy (scope, who may read and write).
export { DOC_ENTITY, DOC_ENTITY_DECLARATION } from './kvs/docStore';
export { registerStores } from './registerStores';
export type { PoliciesOf, RegisteredStore, RegisterStoresOptions, ResolverLike } from './registerStores';
export type { AnyStoreIntent, PolicyRequest, PolicyVerdict, StoreContext, StoreIntent, StorePolicy, StoreScope } from './policy';
export { documentKey } from './scope';
export { RESOLVER_FUNCTIONS } from '@bgstore/protocol';
export type { ChangesResponse, CommitRequest, CommitResponse, LoadRequest, LoadResponse, RealtimeChange, RealtimeGrant, ResolverError, RevisionRequest, RevisionResponse, SyncResponse } from '@bgstore/protocol';
