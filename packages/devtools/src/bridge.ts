// The Forge defaults, loaded on first use: importing @forge/bridge outside a Forge frame throws,
// and a panel or a test may run with its own transport where there is none.
import type { Transport } from '@bgstore/core';

/** `createBridgeTransport()` from `@bgstore/forge`. */
export const bridgeTransport = (): Transport => (require('@bgstore/forge') as typeof import('@bgstore/forge')).createBridgeTransport();

/** The module key from `view.getContext()`, or undefined. */
export async function moduleKeyFromContext(): Promise<string | undefined> {
  const { view } = require('@forge/bridge') as typeof import('@forge/bridge');
  const context = (await view.getContext()) as { moduleKey?: unknown } | undefined;
  return typeof context?.moduleKey === 'string' ? context.moduleKey : undefined;
}
