// Validates a Forge manifest offline with @forge/manifest (forge lint needs a login).
// Usage: node scripts/validate-manifest.js [manifest.yml]   exits 1 on errors.
const path = require('path');
const { validate } = require('@forge/manifest');

async function main() {
  const file = path.resolve(process.argv[2] || 'manifest.yml');
  process.chdir(path.dirname(file));
  const result = await validate(false, path.basename(file));
  for (const e of result.errors || []) console.log(`${e.level} ${e.reference || ''} L${e.line}:${e.column} ${e.message}`);
  console.log(result.success ? `manifest OK: ${file}` : `manifest INVALID: ${file}`);
  process.exit(result.success ? 0 : 1);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
