// The playground page: a Confluence-like home page with the example app's modules, each in its
// own iframe, on the emulator's page (routing, invoke, faults) — storage on the server's disk.
import { createPage, createSite, type ModuleSpec, type Page, type ResolverEvent, type ResolverRuntime } from '@bgstore/emulator';
import { createIframeRealms } from './iframeRealm';
import { createRelayedHub } from './realtimeRelay';
import { startInspector } from './inspector';
import { renderUiKit } from './renderUiKit';

interface ModuleInfo {
  key: string;
  type: string;
  title: string;
  extension?: Record<string, unknown>;
}

declare const __MODULES__: ModuleInfo[];

// The resolver runs on the server (Node), with storage on disk: invoke is an HTTP call.
const resolver = async (event: ResolverEvent, runtime: ResolverRuntime) => {
  const response = await fetch('/invoke', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event, runtime }) });
  const body = (await response.json()) as { result?: unknown; error?: string; code?: string };
  if (!response.ok) throw Object.assign(new Error(body.error ?? `invoke failed with ${response.status}`), body.code ? { code: body.code, status: response.status } : {});
  return body.result;
};

const slot = (key: string) => document.querySelector<HTMLElement>(`[data-slot="${key}"]`)!;
const params = new URLSearchParams(location.search);
const accountId = params.get('user') ?? 'alice';

const modules: ModuleSpec[] = __MODULES__.map((m) => ({ key: m.key, type: m.type, entry: `/module/${m.key}.js`, resolver, extension: m.extension }));
// Quotas are on, as on Forge (`?quotas=off` to only count them); the server meters storage and
// invocations for every tab, this site the tab's own invocations and Realtime operations. The site's
// Realtime hub is relayed through the server, so tabs (users) hear each other's hints.
const base = createSite({ seed: Number(params.get('seed') ?? Date.now() % 100_000), quotas: params.get('quotas') !== 'off' });
const site = { ...base, realtime: createRelayedHub(crypto.randomUUID(), base.quota) };
const page: Page = createPage({
  site,
  modules,
  accountId,
  realm: createIframeRealms(slot),
  onReconcile: (key, tree) => {
    const frame = slot(key).querySelector('iframe');
    if (frame) renderUiKit(frame, tree);
  },
});

document.querySelector('#user')!.textContent = accountId;
(window as unknown as { playground: Page }).playground = page;
void page.start(['board', 'summary', 'byline', 'quick-add', 'background']).then(() => startInspector(page, document.querySelector('#inspector')!));
