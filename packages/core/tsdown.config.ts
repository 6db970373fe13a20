import { libraryConfig } from '../../tsdown.base';

export default {
  ...libraryConfig({ index: 'src/index.ts', durable: 'src/durable.ts' }),
  // One dist file per source file, as the sources are: an app's bundler then leaves out whole files
  // a module does not use. Bundled into a few chunks, the host's code and a replica's shared a file,
  // and the host's static import of the digest code kept a replica's lazily loaded digest chunk
  // (`replica/digestEngine`) in a feed's first load with esbuild, which splits by file (#20).
  unbundle: true,
};
