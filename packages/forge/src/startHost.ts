import { createHost, type ActionRecipes, type Host, type HostOptions, type Persistence, type StoreDefinition } from '@bgstore/core';
import { createBridgeTransport } from './bridgeTransport';
import { createInvokePersistence } from './invokePersistence';

/** Options of {@link startHost}: those of `createHost`, with a Forge transport and storage by default. */
export interface StartHostOptions<TState> extends Omit<HostOptions<TState>, 'transport' | 'persistence'> {
  /** @default createBridgeTransport() */
  transport?: HostOptions<TState>['transport'];
  /**
   * Where the state is kept: the app's resolver (`registerStores`) by default; `false` keeps it in
   * this background script's memory only.
   * @default createInvokePersistence(definition)
   */
  persistence?: Persistence<TState> | false;
}

type Doc = { visibilityState?: string; addEventListener?(type: string, fn: () => void): void; removeEventListener?(type: string, fn: () => void): void };

/**
 * Starts the authoritative store in a `confluence:backgroundScript`: loads the stored document
 * through the resolver, serves every module on the page over bridge events, and commits changes.
 * When the page is hidden it saves at once; when it is shown again it checks for other tabs' changes.
 * @example
 * // background script
 * import { startHost } from '@bgstore/forge';
 * import { board } from './store';
 * startHost(board);
 */
export function startHost<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: StartHostOptions<TState> = {}): Host<TState, TActions> {
  const { transport, persistence, ...rest } = options;
  const host = createHost(definition, {
    ...rest,
    transport: transport ?? createBridgeTransport(),
    persistence: persistence === false ? undefined : (persistence ?? createInvokePersistence(definition)),
  });
  const doc = (globalThis as { document?: Doc }).document;
  if (doc?.addEventListener && persistence !== false) {
    const onVisibility = () => (doc.visibilityState === 'hidden' ? host.flush() : void host.checkRevision());
    doc.addEventListener('visibilitychange', onVisibility);
    const close = host.close;
    host.close = () => {
      doc.removeEventListener?.('visibilitychange', onVisibility);
      close();
    };
  }
  return host;
}
