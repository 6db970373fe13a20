import type { ForgeFetch } from '../site';

/**
 * One `__forge_fetch__` for both storage services: `@forge/sql` calls it with a context of
 * `type: 'sql'`, `@forge/kvs` with `type: 'kvs'`. Pass the result as `createSite({ forgeFetch })`.
 * @example
 * createSite({ forgeFetch: routeForgeFetch({ kvs: createKvsFetch(), sql: createSqlFetch({ executor }) }) });
 */
export function routeForgeFetch(services: { kvs?: ForgeFetch; sql?: ForgeFetch }): ForgeFetch {
  return async (context, path, init) => {
    const type = (context as { type?: unknown } | null)?.type;
    const service = type === 'sql' ? services.sql : services.kvs;
    if (!service) {
      const body = JSON.stringify({ code: 'APP_NOT_ENABLED', message: `[emulator] this site has no ${type === 'sql' ? 'Forge SQL' : 'KVS'} service` });
      return new Response(body, { status: 403, statusText: 'Forbidden', headers: { 'content-type': 'application/json' } });
    }
    return service(context, path, init);
  };
}
