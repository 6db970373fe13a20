#!/usr/bin/env node
// Packages a Forge app offline with the Forge CLI's own packaging code, as `forge deploy` does up to
// the upload: @forge/cli's AppPackager with @forge/bundler's runtime bundler (the function: webpack +
// ts-loader with <app root>/tsconfig.json) and NativeUIBundler (each UI Kit resource: webpack +
// ts-loader with the tsconfig.json nearest the resource), wired as the CLI's dependency-injection
// file wires them, then the CLI's ResourcePackagingService zips each resource. Type errors fail it.
//
// First it runs `forge lint`'s client-side linters (@forge/lint through the CLI's LintService).
//
// Stand-ins, because nothing here may reach Atlassian:
// - the product REST API specs that @forge/lint's permission linter downloads are empty stand-ins
//   (USE_LOCAL_SWAGGER, LOCAL_*_SWAGGER), so it cannot flag a product API call without its scope;
//   the server-side linter (which needs a login) is not run;
// - the Node runtime wrapper (`__forge__.cjs`), which the CLI downloads, is a stand-in file unless
//   FORGE_RUNTIME_PATH points at a real one (folder with dist/wrapper.js and dist/loader.js);
// - analytics are not reported and feature flags are not fetched (the default bundler is used).
//
// Usage: node check-forge.js [app dir]   (default: the current directory)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const appDir = path.resolve(process.argv[2] || '.');
process.chdir(appDir);
process.env.FORGE_DISABLE_ANALYTICS = '1';

const scratch = [];
process.on('exit', () => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

function standInRuntime() {
  const dir = tempDir('forge-runtime-stand-in-');
  fs.mkdirSync(path.join(dir, 'dist'));
  const note = '// Stand-in for the Forge Node runtime wrapper (the real one is downloaded by the CLI at deploy time).\n';
  fs.writeFileSync(path.join(dir, 'dist', 'wrapper.js'), `${note}module.exports = require('./index.cjs');\n`);
  fs.writeFileSync(path.join(dir, 'dist', 'loader.js'), note);
  return dir;
}

const SWAGGERS = ['LOCAL_CONF_SWAGGER', 'LOCAL_CONF_V2_SWAGGER', 'LOCAL_JIRA_SWAGGER', 'LOCAL_JSM_SWAGGER', 'LOCAL_JSW_SWAGGER', 'LOCAL_BB_SWAGGER'];
function standInSwaggers() {
  const dir = tempDir('forge-swagger-stand-in-');
  const file = path.join(dir, 'empty-swagger.json');
  fs.writeFileSync(file, JSON.stringify({ paths: {} }));
  process.env.USE_LOCAL_SWAGGER = '1';
  for (const name of SWAGGERS) process.env[name] = file;
  return dir;
}

const standIn = !process.env.FORGE_RUNTIME_PATH;
if (standIn) process.env.FORGE_RUNTIME_PATH = standInRuntime();
const swaggerStandIn = !process.env.USE_LOCAL_SWAGGER;
if (swaggerStandIn) standInSwaggers();
// The CLI caches downloaded specs and settings under XDG_CONFIG_HOME; keep this run's apart.
process.env.XDG_CONFIG_HOME = tempDir('forge-check-config-');

// Required after FORGE_RUNTIME_PATH is set, as the CLI's process would see it.
const cliShared = require('@forge/cli-shared');
const bundler = require('@forge/bundler');
const cliDir = path.dirname(require.resolve('@forge/cli/package.json'));
const { AppPackager, makeArchiver } = require(path.join(cliDir, 'out/deploy'));
const { RuntimeBundler } = require(path.join(cliDir, 'out/deploy/packager/runtime-bundler'));
const { ResourcePackagingService } = require(path.join(cliDir, 'out/service/resource-packaging-service'));
const { LintService } = require(path.join(cliDir, 'out/service/lint-service'));
const lint = require('@forge/lint');

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const gzipSize = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

async function main() {
  const started = Date.now();
  const cliVersion = require(path.join(cliDir, 'package.json')).version;
  console.log(`check:forge — Forge CLI ${cliVersion} packaging code (AppPackager, RuntimeBundler, NativeUIBundler), offline, in ${appDir}`);
  console.log(standIn
    ? '  runtime wrapper: a STAND-IN (FORGE_RUNTIME_PATH → a placeholder __forge__.cjs); `forge deploy` downloads the real one'
    : `  runtime wrapper: FORGE_RUNTIME_PATH=${process.env.FORGE_RUNTIME_PATH}`);

  // As in @forge/cli/out/command-line/dependency-injection.js.
  const ui = new cliShared.CommandLineUI(() => Boolean(process.env.VERBOSE));
  const fileReader = new cliShared.FileSystemReader();
  const fileWriter = new cliShared.FileSystemWriter();
  const configFile = new cliShared.ConfigFile(fileReader, fileWriter);
  // Stand-in for the CLI's StatsigService (feature flags over the network): only the default
  // (webpack) and manual bundlers are available, not the early-access `typescript` bundler.
  const statsigService = { isTypescriptBundlerEnabled: async () => false, getDeprecatedRuntimes: async () => [] };
  const archiverFactory = () => makeArchiver(ui);
  const wrapperProvider = bundler.getWrapperProvider({ fileSystemReader: fileReader, statsigService });
  const nodeBundle = bundler.getNodeBundler(ui, wrapperProvider, configFile, statsigService);
  let functionOutput;
  const recordingNodeBundle = {
    bundle: async (args) => (functionOutput = await nodeBundle.bundle(args)),
    watch: (args, w) => nodeBundle.watch(args, w),
  };
  const runtimeBundler = new RuntimeBundler(archiverFactory, ui, recordingNodeBundle, fileReader, configFile);
  const nativeUiBundler = new bundler.NativeUIBundler(ui);
  const noAnalytics = { reportAppPackaged: async () => undefined };
  const appPackager = new AppPackager(runtimeBundler, nativeUiBundler, ui, noAnalytics);
  const resourcePackaging = new ResourcePackagingService(archiverFactory, fileReader, process.cwd(), new cliShared.BridgeScriptService(), new cliShared.IframeResizerScriptService());

  // `forge lint`, client-side linters only (the server-side one needs a login).
  console.log(`\n@forge/lint (client-side linters${swaggerStandIn ? '; product API specs are empty stand-ins' : ''}):`);
  const lintService = new LintService(configFile, fileReader, statsigService, undefined);
  const parsed = [];
  // @forge/lint parses only the .ts/.tsx files that <app root>/tsconfig.json's `include` lists.
  const countingLint = (files, manifest, env, logger, statsig, options) =>
    lint.lint(files, manifest, env, logger, statsig, { ...options, parseFunction: (file, parser) => (parsed.push(file), lint.parseSourceFile(file, parser)) });
  const { lintResults } = await lintService.run('development', { linterMode: 'client-side' }, ui, undefined, countingLint);
  lint.reportLintResults(ui, lintResults);
  const problems = lint.problemCount(lintResults);
  if (problems.errors + problems.warnings > 0) throw new Error(`@forge/lint found ${problems.errors} error(s) and ${problems.warnings} warning(s)`);
  console.log(`  manifest and ${parsed.length} source file(s) linted (${parsed.join(', ')}), ${problems.errors} error(s), ${problems.warnings} warning(s)\n`);

  // As in @forge/cli's deploy controller and PackageUploadDeployCommand.packageUpload.
  const config = await configFile.readConfig();
  const handlers = await configFile.getAppHandlers();
  const resources = await configFile.getResources();
  const toBundle = resources.filter(cliShared.shouldBundleResource);
  const preBundled = resources.filter((r) => !cliShared.shouldBundleResource(r));
  const i18nResourceBundle = await new cliShared.I18nResourceBundlingService().bundle(config.modules, config.translations);
  const packaged = await appPackager.package({
    handlers,
    resources: toBundle,
    allResources: resources,
    packageConfig: config.app?.package,
    i18nResourceBundle,
    i18nConfig: config.translations,
  });
  // Custom UI resources are uploaded as they are: each script index.html loads must be built.
  for (const resource of preBundled.filter((r) => r.resourceType === 'customUI')) {
    const html = path.join(resource.path, 'index.html');
    const scripts = fs.existsSync(html) ? [...fs.readFileSync(html, 'utf8').matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]) : [];
    const missing = scripts.filter((src) => !/^[a-z]+:|^\/\//i.test(src) && !fs.existsSync(path.join(resource.path, src)));
    if (missing.length) throw new Error(`Custom UI resource '${resource.key}': index.html loads ${missing.join(', ')}, which ${resource.path} lacks; build it first`);
  }
  const archives = await resourcePackaging.zipResources([...preBundled, ...packaged.nativeUiBundlesDetails], i18nResourceBundle);

  console.log('\nfunction bundle (webpack, not minified — as Forge packages it):');
  if (functionOutput?.outputDir) {
    for (const file of filesUnder(functionOutput.outputDir).filter((f) => /\.c?js$/.test(f))) {
      console.log(`  ${path.relative(functionOutput.outputDir, file).padEnd(28)} ${kb(fs.statSync(file).size).padStart(10)}  (gzip ${kb(gzipSize(file))})`);
    }
  }
  console.log(`  runtime archive              ${kb(fs.statSync(packaged.runtimeArchivePath).size).padStart(10)}  (zip, with the runtime wrapper and manifest)`);
  console.log('\nUI resources (UI Kit: webpack production build, as Forge packages it; Custom UI: as uploaded):');
  for (const resource of [...preBundled, ...packaged.nativeUiBundlesDetails].sort((a, b) => a.key.localeCompare(b.key))) {
    const js = filesUnder(resource.path).filter((f) => f.endsWith('.js'));
    const bytes = js.reduce((n, f) => n + fs.statSync(f).size, 0);
    const gz = js.reduce((n, f) => n + gzipSize(f), 0);
    const zip = fs.statSync(archives[resource.key].zipPath).size;
    console.log(`  ${resource.key.padEnd(14)} ${resource.resourceType.padEnd(9)} js ${kb(bytes).padStart(10)}  gzip ${kb(gz).padStart(9)}  zip ${kb(zip).padStart(9)}`);
  }
  console.log(`\ncheck:forge OK: ${handlers.length} function handler(s), ${resources.length} resource(s) packaged in ${((Date.now() - started) / 1000).toFixed(1)} s; nothing uploaded`);
}

main().catch((error) => {
  console.error(`\ncheck:forge FAILED: ${error && error.message ? error.message : error}`);
  process.exit(1);
});
