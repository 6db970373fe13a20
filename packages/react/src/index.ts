// @bgstore/react — hooks over a bgstore replica, for @forge/react UI Kit and any React 18.
export { createStoreHooks, useActions, usePending, useSyncStatus } from './hooks';
export type { PendingCallOf, StoreHooks } from './hooks';
export { shallow, useReplica } from './useReplica';
