// The Forge defaults, loaded on first use: importing @forge/bridge outside a Forge frame throws,
// and a panel or a test may run with its own transport where there is none.
import type { Transport } from '@bgstore/core';

/** `createBridgeTransport()` from `@bgstore/forge`. */
export const bridgeTransport = (): Transport => (require('@bgstore/forge') as typeof import('@bgstore/forge')).createBridgeTransport();

/** The module key and Forge environment from `view.getContext()` (each undefined when unknown). */
export async function moduleContext(): Promise<{ moduleKey?: string; environmentType?: string }> {
  const { view } = require('@forge/bridge') as typeof import('@forge/bridge');
  const context = (await view.getContext()) as { moduleKey?: unknown; environmentType?: unknown } | undefined;
  return {
    moduleKey: typeof context?.moduleKey === 'string' ? context.moduleKey : undefined,
    environmentType: typeof context?.environmentType === 'string' ? context.environmentType : undefined,
  };
}
