import { trackActions, type HasActions } from './actionLog';

interface ReduxDevtoolsConnection {
  init(state: unknown): void;
  send(action: { type: string; payload?: unknown }, state: unknown): void;
  unsubscribe?(): void;
}
interface ReduxDevtoolsExtension {
  connect(options: { name: string }): ReduxDevtoolsConnection;
}

/**
 * In a Custom UI module, shows a replica (or host) in the Redux DevTools browser extension, as
 * zustand's `devtools` middleware does: each action call as an action (name and arguments'
 * size, then its outcome), and each state the store reaches as a snapshot. Does nothing when the
 * extension is absent; returns a function that disconnects.
 * @example
 * connectReduxDevtools(replica, { name: 'team board (board feed)' });
 */
export function connectReduxDevtools(target: HasActions & { getState(): unknown; subscribe(listener: (state: unknown) => void): () => void }, options: { name?: string; extension?: ReduxDevtoolsExtension } = {}): () => void {
  const extension = options.extension ?? (globalThis as { __REDUX_DEVTOOLS_EXTENSION__?: ReduxDevtoolsExtension }).__REDUX_DEVTOOLS_EXTENSION__;
  if (!extension) return () => undefined;
  const connection = extension.connect({ name: options.name ?? 'bgstore' });
  connection.init(target.getState());
  const log = trackActions(target);
  const stopActions = log.subscribe((record) => connection.send({ type: `${record.name} (${record.outcome})`, payload: { bytes: record.bytes, ms: record.ms, code: record.code } }, target.getState()));
  const stopState = target.subscribe((state) => connection.send({ type: 'sync' }, state));
  return () => {
    stopActions();
    stopState();
    connection.unsubscribe?.();
  };
}
