import { libraryConfig } from '../../tsdown.base';

export default libraryConfig({ index: 'src/index.ts', node: 'src/node/index.ts' });
