import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { renderApp } from './index';

// bgstore on every Forge background-script host that @forge/manifest knows, each with a consumer
// module of its product: the same counter app (test/fixtures/counter/src), one manifest per host.
const dir = path.join(__dirname, '..', 'test', 'fixtures', 'counter');
const issueView = { issue: { id: '10001', key: 'EMU-1', type: 'Task', typeId: '10002' }, project: { id: '10000', key: 'EMU', type: 'software' } };
const HOSTS = [
  { manifest: 'manifest.yml', host: 'confluence:backgroundScript', consumer: 'confluence:homepageFeed', context: {}, install: 'confluence' },
  { manifest: 'manifest.jira-issue-view.yml', host: 'jira:issueViewBackgroundScript', consumer: 'jira:issuePanel', context: issueView, install: 'jira' },
  { manifest: 'manifest.jira-global.yml', host: 'jira:globalBackgroundScript', consumer: 'jira:issuePanel', context: {}, install: 'jira' },
  { manifest: 'manifest.jira-dashboard.yml', host: 'jira:dashboardBackgroundScript', consumer: 'jira:dashboardGadget', context: { dashboard: { id: '10100' } }, install: 'jira' },
  { manifest: 'manifest.dashboards.yml', host: 'dashboards:backgroundScript', consumer: 'dashboards:widget', context: {}, install: 'confluence' },
];

describe.each(HOSTS)('$host with $consumer', ({ manifest, host, consumer, context, install }) => {
  it('has a manifest that @forge/manifest validates', () => {
    const out = execFileSync(process.execPath, [path.join(__dirname, '..', '..', '..', 'scripts', 'validate-manifest.js'), path.join(dir, manifest)], { encoding: 'utf8' });
    expect(out).toContain('manifest OK');
  });

  it('syncs the consumer through the background script and saves, each module seeing its extension context', async () => {
    const app = await renderApp({ manifest: path.join(dir, manifest), modules: ['feed', 'background'] });
    await app.module('feed').click('Add one');
    await app.module('feed').waitForText('Count: 1');
    await app.waitFor(() => expect(Object.keys(app.kvs.dump()['entity:bgstore-doc'] ?? {})).toHaveLength(1));
    expect(app.page.module('background').context.extension).toEqual({ type: host, ...context });
    expect(app.page.module('feed').context.extension).toMatchObject({ type: consumer, ...context });
    expect(app.site.installContext).toMatch(new RegExp(`^ari:cloud:${install}::site/`));
    const second = await app.openPage({ accountId: 'bob' });
    await second.module('feed').waitForText('Count: 1');
  });
});
