// @bgstore/forge — bgstore on Forge: bridge events transport, resolver persistence, startHost, connect.
export { createBridgeTransport } from './bridgeTransport';
export type { BridgeEvents } from './bridgeTransport';
export { connect } from './connect';
export type { ConnectOptions } from './connect';
export { createInvokePersistence } from './invokePersistence';
export type { Invoke, InvokePersistenceOptions, RealtimeGrants } from './invokePersistence';
export { startHost } from './startHost';
export type { RealtimeApi, StartHostOptions } from './startHost';
