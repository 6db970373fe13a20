import { writers, printWriters } from '/work/wt/writers/apps/bench/src/writers';
setTimeout(() => { console.log('STOPPED'); process.exit(0); }, Number(process.env.STOP_MS ?? 1e9)).unref();
(async () => {
  const ns = (process.env.NS ?? '10').split(',').map(Number);
  const secs = Number(process.env.SECS ?? 20);
  const rows = [];
  for (const n of ns) { const t = Date.now(); rows.push(await writers(n, secs, { batching: process.env.BEFORE !== '1', ...(process.env.READS ? { limits: { kvsReadUnitsPerMinute: Number(process.env.READS) } } : {}) })); console.log(`N=${n} took ${Date.now() - t} ms`); printWriters(rows.slice(-1)); }
  process.exit(0);
})();
