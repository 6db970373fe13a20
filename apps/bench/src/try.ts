import './noBridge';
import { loneCycle } from './storage';
(async () => {
  console.log(await loneCycle(10_000, false, 150));
  process.exit(0);
})();
