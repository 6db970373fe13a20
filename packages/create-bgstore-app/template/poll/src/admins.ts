// Who may reset the poll: an async check on the server. Here the account ids in the app's storage
// under 'poll-admins' (set it with @forge/kvs, e.g. from a web trigger or `forge storage`); a real app
// might ask the product instead (with @forge/api: Confluence's user groups, space permissions).
import { kvs } from '@forge/kvs';
import type { StoreContext } from '@bgstore/resolver';

/** Whether the caller is a poll admin (the policy asks it through `once`: one read per commit). */
export async function isAdmin(context: StoreContext): Promise<boolean> {
  if (!context.accountId) return false;
  const admins = await kvs.get<string[]>('poll-admins');
  return Array.isArray(admins) && admins.includes(context.accountId);
}
