// Type tests (checked by `npm run typecheck`, never run): #21 policies are typed per store.
import Resolver from '@forge/resolver';
import { defineStore } from '@bgstore/core';
import { registerStores, type StoreIntent } from '.';
import { poll } from '../../core/test/poll';

const board = defineStore({ name: 'board', initialState: { n: 0 }, actions: { add: (draft, by: number) => void (draft.n += by) } });
const resolver = new Resolver();

export function TypedPolicies() {
  registerStores(resolver, [poll, board], {
    policies: {
      poll: {
        authorize: (_ctx, intent) => {
          if (intent.name === 'vote') {
            const option: string = intent.args[0];
            // @ts-expect-error vote takes one argument
            void intent.args[1];
            return option.length > 0;
          }
          // @ts-expect-error poll has no action 'wipe'
          if (intent.name === 'wipe') return false;
          const none: [] = intent.args;
          return none.length === 0;
        },
      },
      board: { authorize: (_ctx, intent) => intent.args[0] < 10 || 'at most 9 at once' },
    },
  });
  registerStores(resolver, [poll], {
    policies: {
      // @ts-expect-error a policy for a store that is not registered
      pol: { scope: 'site' },
    },
  });
}

export function UntypedIntentStillWorks() {
  const any: StoreIntent = { clientId: 'c', seq: 1, name: 'anything', args: [1, 'x'] };
  const one: StoreIntent<typeof poll> = { clientId: 'c', seq: 1, name: 'vote', args: ['Tea'] };
  // @ts-expect-error vote's argument is a string
  const bad: StoreIntent<typeof poll> = { clientId: 'c', seq: 1, name: 'vote', args: [1] };
  return [any, one, bad];
}
