import { libraryConfig } from '../../tsdown.base';

export default libraryConfig({ index: 'src/index.ts', durable: 'src/durable.ts' });
