// Runs the real @forge/resolver handler, as Forge calls it, against the real @forge/kvs on the
// emulator's KVS. Each test gets a fresh store.
import Resolver from '@forge/resolver';
import { createKvsFetch, createKvsFaults, type KvsFetch } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION, registerStores, type RegisteredStore, type RegisterStoresOptions } from '../src';

export interface Caller {
  accountId?: string | null;
  extension?: Record<string, unknown>;
  cloudId?: string;
}

export function createBackend(definitions: RegisteredStore[], options: RegisterStoresOptions & { faults?: Parameters<typeof createKvsFaults>[0]; kvs?: KvsFetch } = {}) {
  const kvs: KvsFetch = options.kvs ?? createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], faults: options.faults ? createKvsFaults(options.faults) : undefined });
  (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = kvs;
  return { kvs, call: resolverCall(definitions, options) };
}

/** Registers the stores on a real Resolver and calls its handler as Forge does, as `caller`. */
export function resolverCall(definitions: RegisteredStore[], options: RegisterStoresOptions) {
  const resolver = new Resolver();
  registerStores(resolver, definitions, options);
  const handler = resolver.getDefinitions() as unknown as (event: unknown, runtime: unknown) => Promise<unknown>;
  return (functionKey: string, payload: unknown, caller: Caller = {}) => {
    const cloudId = caller.cloudId ?? 'cloud-1';
    const accountId = caller.accountId === undefined ? 'user-1' : caller.accountId;
    return handler(
      { call: { functionKey, payload }, context: { cloudId, moduleKey: 'bg', extension: { type: 'confluence:backgroundScript', ...caller.extension } } },
      { installContext: `ari:cloud:confluence::site/${cloudId}`, ...(accountId ? { principal: { accountId } } : {}) },
    ) as Promise<Record<string, unknown>>;
  };
}

export const intent = (clientId: string, seq: number, name: string, ...args: unknown[]) => ({ clientId, seq, name, args });
