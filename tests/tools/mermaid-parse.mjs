// Parses every ```mermaid block of Markdown files with Mermaid's own parser (mermaid.parse,
// the API GitHub's renderer calls before drawing), in Node with jsdom standing in for the
// browser (Mermaid's sanitizer needs a window; the parse itself draws nothing).
//
// Usage: node mermaid-parse.mjs NODE_MODULES FILE.md...
// Prints one line per block: `FILE block N: ok DIAGRAM-TYPE` or `FILE block N: error MESSAGE`;
// exits 1 when a block does not parse. NODE_MODULES is where `npm install mermaid jsdom` put
// them (.ci/node/node_modules).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const require = createRequire(join(modules, "noop.js"));
const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve("mermaid")).href);
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

let failed = false;
for (const file of files) {
  const blocks = [...readFileSync(file, "utf8").matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)];
  for (const [i, block] of blocks.entries()) {
    try {
      const result = await mermaid.parse(block[1]);
      console.log(`${file} block ${i + 1}: ok ${result.diagramType}`);
    } catch (e) {
      failed = true;
      console.log(`${file} block ${i + 1}: error ${String(e.message ?? e).replace(/\n/g, " | ")}`);
    }
  }
}
process.exit(failed ? 1 : 0);
