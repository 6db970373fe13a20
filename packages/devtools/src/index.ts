// @bgstore/devtools — a sync inspector for a live Forge site. Modules report on request over a
// diagnostic bridge event; panels (UI Kit: `@bgstore/devtools/ui-kit`, Custom UI:
// `@bgstore/devtools/custom-ui`) ask and show what every module's copy of the store is doing.
export { trackActions } from './actionLog';
export type { ActionLog, HasActions } from './actionLog';
export { createDevtoolsClient } from './createDevtoolsClient';
export type { DevtoolsClient, DevtoolsClientOptions, DevtoolsState } from './createDevtoolsClient';
export { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST, DIAGNOSTIC_VERSION, hashState } from './diagnostics';
export type { ActionRecord, DiagnosticRequest, ModuleReport } from './diagnostics';
export { panelModel } from './panelModel';
export type { PanelModel, PanelRow, Tone } from './panelModel';
export { connectReduxDevtools } from './reduxDevtools';
export { reportDiagnostics } from './reportDiagnostics';
export type { ReportDiagnosticsOptions, ReportedHost, ReportedReplica } from './reportDiagnostics';
export { usePanel } from './usePanel';
export type { DevtoolsPanelProps } from './usePanel';
