import { MODULES } from './modules';

const slot = (m: (typeof MODULES)[number]) => `
  <section class="module ${m.key === 'background' ? 'hidden-module' : ''}">
    <header>${m.title}<small>${m.type}</small></header>
    <div class="slot" data-slot="${m.key}"></div>
  </section>`;

/** The playground's HTML: a Confluence-like home page, the modules' slots, the inspector. */
export function pageHtml(): string {
  const [bg, board, summary, byline, quickAdd] = MODULES;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>bgstore playground</title><link rel="stylesheet" href="/playground.css"></head>
<body>
  <nav><b>Confluence</b> <span>Home</span> <span>Spaces</span> <span class="who">Signed in as <b id="user"></b></span></nav>
  <main>
    <div class="home">
      <h1>Home</h1>
      <p class="hint">Each box is a Forge module in its own iframe, running the example app's real bundle with the real <code>@forge/bridge</code> and <code>@forge/react</code>. Open this page in a second tab (<a href="?user=bob" target="_blank">as bob</a>) to see two pages converge through storage.</p>
      <div class="content-page"><h2>Release notes</h2>${slot(byline!)}</div>
      ${slot(bg!)}
    </div>
    <aside class="feeds">${slot(board!)}${slot(summary!)}${slot(quickAdd!)}</aside>
    <aside id="inspector"></aside>
  </main>
  <script src="/client.js"></script>
</body></html>`;
}

export const PLAYGROUND_CSS = `
body { margin: 0; font: 14px/1.4 -apple-system, system-ui, sans-serif; color: #172b4d; background: #f7f8f9; }
nav { background: #1d2125; color: #fff; padding: 10px 16px; display: flex; gap: 18px; } nav .who { margin-left: auto; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(300px, 400px) minmax(300px, 420px); gap: 16px; padding: 16px; align-items: start; }
@media (max-width: 1180px) { main { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); } #inspector { grid-column: 1 / -1; } }
@media (max-width: 640px) { main { grid-template-columns: minmax(0, 1fr); } }
h1 { margin: 0 0 8px; } .hint { color: #44546f; }
.content-page { background: #fff; border: 1px solid #dcdfe4; border-radius: 6px; padding: 12px; }
.module { background: #fff; border: 1px solid #dcdfe4; border-radius: 6px; margin-bottom: 12px; overflow: hidden; }
.module header { background: #f1f2f4; padding: 6px 10px; font-weight: 600; display: flex; justify-content: space-between; }
.module header small { font-weight: 400; color: #626f86; }
/* Frames are sized to their content by the client (as Confluence does); this is the height before the first render. */
.module iframe { border: 0; width: 100%; height: 40px; display: block; }
.hidden-module { opacity: .6; } .hidden-module iframe { height: 0 !important; }
#inspector { background: #fff; border: 1px solid #dcdfe4; border-radius: 6px; padding: 10px; font-size: 12px; align-self: start; }
#inspector h2 { margin: 0 0 8px; font-size: 15px; }
.row { border-top: 1px solid #eee; padding: 6px 0; } .row .name { display: block; font-weight: 600; }
.cell { display: inline-block; margin-right: 8px; } .cell b { color: #626f86; font-weight: 500; }
.faults button { display: block; width: 100%; margin: 6px 0; padding: 6px; cursor: pointer; }
.log { padding-left: 16px; color: #44546f; }`;

export const UIKIT_CSS = `
body { margin: 0; padding: 8px; font: 14px/1.4 -apple-system, system-ui, sans-serif; color: #172b4d; }
.uikit-stack { display: flex; flex-direction: column; gap: 8px; } .uikit-stack > .button { align-self: flex-start; } .uikit-inline { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
p, h3 { margin: 0; } h3 { font-size: 16px; }
.button { border: 0; border-radius: 3px; padding: 4px 10px; background: #f1f2f4; cursor: pointer; } .button.primary { background: #0c66e4; color: #fff; } .button.subtle { background: none; color: #44546f; } .button:disabled { opacity: .5; cursor: default; }
.uikit-lozenge { font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 0 4px; border-radius: 3px; background: #dcdfe4; }
.uikit-lozenge[data-appearance=success] { background: #baf3db; color: #216e4e; } .uikit-lozenge[data-appearance=inprogress] { background: #cce0ff; color: #0055cc; } .uikit-lozenge[data-appearance=removed] { background: #ffd5d2; color: #ae2e24; } .uikit-lozenge[data-appearance=moved] { background: #f8e6a0; color: #7f5f01; }
.uikit-badge { background: #dcdfe4; border-radius: 8px; padding: 0 6px; }`;
