// `npm start`: serves the playground on 127.0.0.1 — the example app in a browser on the emulator,
// with the resolver running here in Node against an on-disk store that survives restarts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createKvsFetch, createQuotaMeter, createRealClock, createRealtimeBackend, createRealtimeHub, createSite, meterForgeFetch, type Clock, type RealtimeHub } from '@bgstore/emulator';
import { createFileKvsBackend } from '@bgstore/emulator/node';
import { DOC_ENTITY_DECLARATION } from '@bgstore/resolver';
import { handler } from '../../example/src/resolvers';
import { EXAMPLE_FRONTEND, MODULES } from './modules';
import { pageHtml, PLAYGROUND_CSS, UIKIT_CSS } from './page';

export interface PlaygroundOptions {
  /** @default 4321; 0 picks a free port */
  port?: number;
  /** When `port` is taken, listen on a free one instead of failing. @default true */
  fallback?: boolean;
  /** @default <repo>/.bgstore-data/playground */
  dataDir?: string;
  /**
   * Forge's per-installation quotas on the storage and invocations served here (every tab is one
   * installation): 429 `RATE_LIMIT_EXCEEDED` past a limit; `false` only counts (`GET /quota`).
   * @default true
   */
  quotas?: boolean;
  /** The quota windows' clock (tests pass a manual one). @default the real clock */
  clock?: Clock;
}

async function bundle(entry: string, define: Record<string, string> = {}): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__bgstoreModule',
    platform: 'browser',
    jsx: 'automatic',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"', ...define },
    // The browser's devtools show module code and stack frames at their source files.
    sourcemap: 'inline',
    conditions: ['@bgstore/source'], // workspace packages from source (their exports' source condition)
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

const listen = (server: Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });

/** Starts the playground server; resolves with its address (and the port it found taken, if any). */
export async function startPlayground(options: PlaygroundOptions = {}): Promise<{ url: string; server: Server; busy?: number; close(): Promise<void> }> {
  const dataDir = options.dataDir ?? join(__dirname, '..', '..', '..', '.bgstore-data', 'playground');
  const kvs = createKvsFetch({ backend: createFileKvsBackend(join(dataDir, 'kvs.log')), entities: [DOC_ENTITY_DECLARATION as never] });
  const clock = options.clock ?? createRealClock();
  const quota = createQuotaMeter({ clock, enforce: options.quotas ?? true });
  // The resolver publishes each commit with @forge/realtime (#17.2): the server answers it (each
  // publish and signing one of the installation's Realtime operations) and relays what it publishes
  // to every tab, as Forge's Realtime service does. Tokens are signed here; each tab's own emulated
  // site never saw them, so tabs do not check them.
  const installationId = createSite().installationId;
  const metered = createRealtimeHub({ quota });
  const backendHub: RealtimeHub = { ...metered, publish: (scope, channel, payload) => (metered.publish(scope, channel, payload), relay({ from: 'resolver', scope, channel, payload })) };
  const realtime = createRealtimeBackend({ hub: backendHub, installation: installationId, clock, admitSign: () => quota.realtime('sign').ok });
  Object.assign(globalThis, { __forge_fetch__: realtime.route(meterForgeFetch(kvs, quota)), __forge_runtime__: { appContext: { installationId } } });
  const cache = new Map<string, Promise<string>>();
  const cached = (key: string, make: () => Promise<string>) => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key)!;
  };
  const clientInfo = JSON.stringify(MODULES.map(({ key, type, title, ...m }) => ({ key, type, title, extension: 'extension' in m ? m.extension : undefined })));

  // Forge Realtime between tabs: each tab POSTs what it publishes, and hears every tab's over SSE.
  const listeners = new Set<ServerResponse>();
  let relayed = 0;
  function relay(message: unknown) {
    const line = `data: ${JSON.stringify(message)}\n\n`;
    for (const listener of listeners) listener.write(line);
    return { eventId: `relay-${++relayed}`, eventTimestamp: new Date().toISOString() };
  }
  const server = createServer(async (req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'POST' && url.pathname === '/invoke') {
        const { event, runtime } = JSON.parse(await readBody(req)) as { event: unknown; runtime: { principal?: { accountId?: string } } };
        const admitted = quota.invocation(runtime.principal?.accountId);
        if (!admitted.ok) {
          const error = `There was an error invoking the function - 429 Too Many Requests: RATE_LIMIT_EXCEEDED (${admitted.quota}, ${admitted.limit}); retry after ${admitted.retryAfterMs} ms`;
          return send(429, 'application/json', JSON.stringify({ error, code: 'RATE_LIMIT_EXCEEDED', resetsAt: admitted.resetsAt }));
        }
        try {
          const result = await (handler as unknown as (e: unknown, r: unknown) => Promise<unknown>)(event, runtime);
          return send(200, 'application/json', JSON.stringify({ result: result ?? null }));
        } catch (error) {
          return send(500, 'application/json', JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
        }
      }
      if (url.pathname === '/realtime' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(': relay\n\n');
        listeners.add(res);
        req.on('close', () => listeners.delete(res));
        return;
      }
      if (url.pathname === '/realtime' && req.method === 'POST') {
        const body = await readBody(req);
        // Forge Realtime caps an event at 32 KB; the relay keeps to it.
        if (body.length > 32 * 1024) return send(413, 'text/plain', '[playground] a Realtime event is at most 32 KB');
        relay(JSON.parse(body));
        return send(204, 'text/plain', '');
      }
      if (url.pathname === '/quota') return send(200, 'application/json', JSON.stringify(quota.snapshot()));
      if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', pageHtml());
      if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
      if (url.pathname === '/playground.css') return send(200, 'text/css', PLAYGROUND_CSS);
      if (url.pathname === '/uikit.css') return send(200, 'text/css', UIKIT_CSS);
      if (url.pathname === '/client.js') return send(200, 'text/javascript', await cached('client', () => bundle(join(__dirname, 'client', 'main.ts'), { __MODULES__: clientInfo })));
      const module = /^\/module\/([a-z-]+)\.js$/.exec(url.pathname);
      const spec = module && MODULES.find((m) => m.key === module[1]);
      if (spec) return send(200, 'text/javascript', await cached(spec.key, () => bundle(join(EXAMPLE_FRONTEND, spec.file))));
      return send(404, 'text/plain', 'not found');
    } catch (error) {
      return send(500, 'text/plain', error instanceof Error ? error.stack ?? error.message : String(error));
    }
  });
  const wanted = options.port ?? 4321;
  let busy: number | undefined;
  try {
    await listen(server, wanted);
  } catch (error) {
    try {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.fallback === false || wanted === 0) throw error;
      busy = wanted;
      await listen(server, 0);
    } catch (failed) {
      (kvs.backend as { close?: () => void }).close?.();
      throw failed;
    }
  }
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : wanted}/`;
  return {
    url,
    busy,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          (kvs.backend as { close?: () => void }).close?.();
          resolve();
        });
      }),
  };
}

if (require.main === module) {
  const raw = process.env.PORT ?? process.argv.find((a) => a.startsWith('--port='))?.slice(7);
  const port = raw === undefined ? 4321 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`[playground] PORT must be a port number (0 for any free one), not ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  const quotas = !process.argv.includes('--no-quotas') && process.env.PLAYGROUND_QUOTAS !== 'off';
  startPlayground({ port, quotas }).then(
    ({ url, busy }) => {
      if (busy !== undefined) console.log(`port ${busy} is in use (another playground?), so this one took a free port.`);
      console.log(`bgstore playground: ${url}  (storage in .bgstore-data/playground; Ctrl-C to stop)`);
    },
    (error: NodeJS.ErrnoException) => {
      console.error(error.code === 'EACCES' ? `[playground] not allowed to listen on port ${port}; try PORT=0 npm start` : error);
      process.exit(1);
    },
  );
}
