import { libraryConfig } from '../../tsdown.base';

export default libraryConfig({ index: 'src/index.ts', uiKit: 'src/uiKit.tsx', customUi: 'src/customUi.tsx' });
