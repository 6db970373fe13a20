// @bgstore/testing — test a Forge app in one call, from its manifest.yml, on the emulator.
export { cleanup, renderApp } from './renderApp';
export { forgeSqlUnavailable } from './forgeSql';
export type { OpenPageOptions, RenderAppOptions, RenderedApp } from './renderApp';
export type { AppModule, AppPage, TestReplicaOptions } from './appPage';
export { readManifest } from './manifest';
export type { AppManifest, ManifestModule } from './manifest';
