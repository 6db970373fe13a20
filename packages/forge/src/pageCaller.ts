import { view } from '@forge/bridge';
import { ANONYMOUS_CALLER, type Caller } from '@bgstore/core';

/**
 * The page's user, from the module's Forge context, as the caller its actions run with on the page
 * (the resolver runs them again with the account Forge's `context` names, which it trusts).
 * Anonymous when nobody is signed in or the context cannot be read.
 */
export function pageCaller(getContext: () => Promise<unknown> = () => view.getContext()): Promise<Caller> {
  return Promise.resolve()
    .then(getContext)
    .then(
      (context) => {
        const accountId = (context as { accountId?: unknown } | null)?.accountId;
        return typeof accountId === 'string' && accountId ? Object.freeze({ accountId }) : ANONYMOUS_CALLER;
      },
      () => ANONYMOUS_CALLER,
    );
}
