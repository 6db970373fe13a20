import './noBridge';
import { mixedStored } from './storage';
(async () => { console.log(await mixedStored(10_000, 3000)); process.exit(0); })();
