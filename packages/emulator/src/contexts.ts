// The extension context each module type sees (`view.getContext().extension`, and `context.extension`
// in its resolver calls), filled with one emulated page's subject. Fields follow Forge's module
// reference and `FullContext` in @forge/bridge; values are made up.

/** The issue an emulated Jira issue view shows. */
export const EMULATED_ISSUE = { id: '10001', key: 'EMU-1', type: 'Task', typeId: '10002' } as const;
/** The project of {@link EMULATED_ISSUE}. */
export const EMULATED_PROJECT = { id: '10000', key: 'EMU', type: 'software' } as const;
/** The page an emulated Confluence content view shows, and its space. */
export const EMULATED_CONTENT = { id: '65537', type: 'page' } as const;
export const EMULATED_SPACE = { id: '98305', key: 'EMU' } as const;
/** The dashboard an emulated Jira dashboard shows. */
export const EMULATED_DASHBOARD = { id: '10100' } as const;

const ISSUE_VIEW = ['jira:issueViewBackgroundScript', 'jira:issuePanel', 'jira:issueContext', 'jira:issueGlance', 'jira:issueActivity', 'jira:issueAction'];
const CONTENT_VIEW = ['confluence:contentBylineItem', 'confluence:pageBanner', 'confluence:contentAction', 'macro'];
const DASHBOARD = ['jira:dashboardBackgroundScript', 'jira:dashboardGadget'];

/**
 * The extension context of a module of `type` on its usual page, without `type` itself (the page
 * adds it): the issue and project on Jira's issue view, the content and space on a Confluence
 * content view, the dashboard for Jira dashboard modules; only `type` for the rest (the
 * Confluence home page, `jira:globalBackgroundScript`, `dashboards:*`).
 */
export function defaultExtensionContext(type: string): Record<string, unknown> {
  if (ISSUE_VIEW.includes(type)) {
    return { issue: { ...EMULATED_ISSUE }, project: { ...EMULATED_PROJECT }, ...(type === 'jira:issuePanel' ? { isNewToIssue: false } : {}) };
  }
  if (CONTENT_VIEW.includes(type)) return { content: { ...EMULATED_CONTENT }, space: { ...EMULATED_SPACE } };
  if (DASHBOARD.includes(type)) return { dashboard: { ...EMULATED_DASHBOARD } };
  return {};
}

/** The product a module type belongs to, from its prefix (`jira:issuePanel` → `jira`). */
export function productOf(type: string): 'confluence' | 'jira' | 'dashboards' | undefined {
  const prefix = type.split(':')[0];
  return prefix === 'confluence' || prefix === 'jira' || prefix === 'dashboards' ? prefix : type === 'macro' ? 'confluence' : undefined;
}
