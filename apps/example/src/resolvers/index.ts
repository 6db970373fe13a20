import Resolver from '@forge/resolver';
import { kvs } from '@forge/kvs';

const resolver = new Resolver();

/** Reads the shared counter. */
resolver.define('getCount', async () => ({ count: (await kvs.get<number>('example-count')) ?? 0 }));

/** Adds one to the shared counter and returns the new value. */
resolver.define('increment', async ({ context }) => {
  if (!context.accountId) return { error: { code: 'ANONYMOUS', message: 'Sign in to change the counter.' } };
  const count = ((await kvs.get<number>('example-count')) ?? 0) + 1;
  await kvs.set('example-count', count);
  return { count };
});

export const handler = resolver.getDefinitions();
