import { useEffect, useMemo, useState } from 'react';
import { useReplica } from '@bgstore/react';
import { createDevtoolsClient, type DevtoolsClient, type DevtoolsClientOptions } from './createDevtoolsClient';
import { panelModel, type PanelModel } from './panelModel';

/** Props of the devtools panels. */
export interface DevtoolsPanelProps {
  /** A client to read; by default the panel opens its own over the bridge while it is shown. */
  client?: DevtoolsClient;
  /** Options of the client the panel opens. */
  options?: DevtoolsClientOptions;
  /** @default 'bgstore devtools' */
  title?: string;
}

/**
 * The panel's rows, kept current: from `client` when given, else from a client this hook opens on
 * mount (over the bridge) and closes on unmount.
 */
export function usePanel(client?: DevtoolsClient, options?: DevtoolsClientOptions): { model: PanelModel; client: DevtoolsClient | undefined } {
  const [own, setOwn] = useState<DevtoolsClient | undefined>(undefined);
  useEffect(() => {
    if (client) return undefined;
    const c = createDevtoolsClient(options);
    setOwn(c);
    return () => c.close();
    // Options are read once, when the panel opens.
  }, [client]);
  const active = client ?? own ?? EMPTY;
  const state = useReplica(active);
  return { model: useMemo(() => panelModel(state), [state]), client: client ?? own };
}

const EMPTY: DevtoolsClient = {
  getState: () => EMPTY_STATE,
  getInitialState: () => EMPTY_STATE,
  subscribe: () => () => undefined,
  refresh: () => undefined,
  close: () => undefined,
};
const EMPTY_STATE = { modules: [], actions: [], updatedAt: null };
