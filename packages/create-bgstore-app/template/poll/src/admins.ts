// Who may reset the poll: an async check on the server. Here the account ids in the app's storage
// under 'poll-admins' (set it with @forge/kvs, e.g. from a web trigger or `forge storage`); a real app
// might ask the product instead (with @forge/api: Confluence's user groups, space permissions).
import { kvs } from '@forge/kvs';
import type { StoreContext } from '@bgstore/resolver';

const asked = new WeakMap<StoreContext, Promise<boolean>>();

/** Whether the caller is a poll admin; asked at most once per request (one context per request). */
export function isAdmin(context: StoreContext): Promise<boolean> {
  if (!context.accountId) return Promise.resolve(false);
  if (!asked.has(context)) {
    asked.set(
      context,
      kvs.get<string[]>('poll-admins').then((admins) => Array.isArray(admins) && admins.includes(context.accountId!)),
    );
  }
  return asked.get(context)!;
}
