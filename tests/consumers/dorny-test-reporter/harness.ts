// Feeds a JUnit file to dorny/test-reporter's own parser (the `java-junit` reporter, which
// `python-xunit` extends) and its own annotation builder, as its main.ts does, and prints
// one JSON line per annotation: {path, line, title, level}.
// Usage: node harness.cjs REPORT.xml (from the repository root: tracked files from git).
import {execFileSync} from 'child_process'
import * as fs from 'fs'
import {PythonXunitParser} from './src/parsers/python-xunit/python-xunit-parser.js'
import {getAnnotations} from './src/report/get-annotations.js'

async function main(): Promise<void> {
  const report = process.argv[2]
  // As dorny's main.ts: the tracked files from `git ls-files`, the parser told to read errors.
  const trackedFiles = execFileSync('git', ['ls-files', '-z'], {encoding: 'utf8'})
    .split('\0')
    .filter(f => f.length > 0)
  const parser = new PythonXunitParser({parseErrors: true, workDir: process.cwd(), trackedFiles})
  const result = await parser.parse(report, fs.readFileSync(report, 'utf8'))
  for (const a of getAnnotations([result], 50)) {
    console.log(JSON.stringify({path: a.path, line: a.start_line, title: a.title, level: a.annotation_level}))
  }
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
