// The resolver function (manifest: function `resolver`, handler `index.handler`): bgstore's load and
// commit functions, which keep the poll in Forge storage, with the poll's server policy.
import Resolver from '@forge/resolver';
import { registerStores } from '@bgstore/resolver';
import { isAdmin } from './admins';
import { poll } from './store';

const resolver = new Resolver();
registerStores(resolver, [poll], {
  policies: {
    // Typed per store: `intent.name` is 'vote' | 'reset' (a misspelt store or action fails to compile).
    // `once`: the admin check runs at most once per commit, however many resets it carries.
    poll: { authorize: async (context, intent, { once }) => intent.name !== 'reset' || (await once('admin', () => isAdmin(context))) || 'only poll admins reset the poll' },
  },
});

export const handler = resolver.getDefinitions();
