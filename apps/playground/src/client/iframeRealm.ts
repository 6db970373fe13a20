// A realm per module, as Forge does it: a same-origin iframe whose window gets `__bridge` before
// the module's bundle (with the real @forge/bridge and @forge/react) runs in it.
import type { RealmFactory } from '@bgstore/emulator';

type FrameWindow = Window & { __bridge?: unknown; __bgstoreModule?: unknown; JSON: JSON; ResizeObserver: typeof ResizeObserver };

/** Keeps the frame as tall as its content, as Confluence sizes a module's frame. */
function fitToContent(iframe: HTMLIFrameElement, win: FrameWindow): void {
  const root = win.document.documentElement;
  const fit = () => {
    const height = Math.ceil(root.getBoundingClientRect().height);
    if (iframe.style.height !== `${height}px`) iframe.style.height = `${height}px`;
  };
  new win.ResizeObserver(fit).observe(win.document.body);
  fit();
}

/** Makes realms as iframes inside the element `slot(moduleKey)` returns. */
export function createIframeRealms(slot: (moduleKey: string) => HTMLElement): RealmFactory {
  return async ({ name, entry, callBridge, onError, globals }) => {
    const moduleKey = name.split('/')[1]?.split('#')[0] ?? name;
    const iframe = document.createElement('iframe');
    iframe.title = moduleKey;
    iframe.dataset.module = moduleKey;
    await new Promise<void>((resolve) => {
      iframe.onload = () => resolve();
      iframe.srcdoc = '<!doctype html><html><head><link rel="stylesheet" href="/uikit.css"></head><body></body></html>';
      slot(moduleKey).replaceChildren(iframe);
    });
    const win = iframe.contentWindow as FrameWindow;
    fitToContent(iframe, win);
    win.__bridge = { callBridge };
    Object.assign(win, globals ?? {});
    win.addEventListener('error', (e) => onError(e.error ?? e.message));
    win.addEventListener('unhandledrejection', (e) => onError(e.reason));
    await new Promise<void>((resolve, reject) => {
      const script = win.document.createElement('script');
      script.src = entry;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`[playground] could not load ${entry}`));
      win.document.head.appendChild(script);
    });
    return {
      exports: win.__bgstoreModule,
      parseJson: (text) => win.JSON.parse(text),
      dispose: () => iframe.remove(),
    };
  };
}
