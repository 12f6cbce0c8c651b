// Feeds a JUnit file to mikepenz/action-junit-report's own parser (`parseFile`, as its
// `parseTestReports` calls it with the action's defaults) and prints one JSON line per
// annotation: {path, line, title, level}.
// Usage: GITHUB_WORKSPACE=$PWD node harness.cjs REPORT.xml (from the repository root).
import {parseFile} from './src/testParser.js'

async function main(): Promise<void> {
  const report = process.argv[2]
  const result = await parseFile(report)
  if (result === undefined) {
    throw new Error(`the parser read nothing from ${report}`)
  }
  const all = [...result.annotations, ...result.testResults.flatMap(collect)]
  for (const a of all) {
    console.log(JSON.stringify({path: a.path, line: a.start_line, title: a.title, level: a.annotation_level}))
  }
}

// The annotations of nested suites, depth first.
function collect(r: {annotations: {path: string; start_line: number; title: string; annotation_level: string}[]; testResults: any[]}): any[] {
  return [...r.annotations, ...r.testResults.flatMap(collect)]
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
