import { libraryConfig } from '../../tsdown.base';

export default libraryConfig({ index: 'src/index.ts', sql: 'src/sql/index.ts' });
