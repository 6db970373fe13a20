import { writers, printWriters } from '/work/wt/writers/apps/bench/src/writers';
(async () => {
  const ns = (process.env.NS ?? '10').split(',').map(Number);
  const secs = Number(process.env.SECS ?? 20);
  const rows = [];
  for (const n of ns) { const t = Date.now(); rows.push(await writers(n, secs)); console.log(`N=${n} took ${Date.now() - t} ms`); printWriters(rows.slice(-1)); }
  process.exit(0);
})();
