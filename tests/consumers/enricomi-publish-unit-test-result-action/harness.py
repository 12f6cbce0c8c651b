"""Runs EnricoMi/publish-unit-test-result-action's own JUnit reading on one file and prints
the annotations it would put on the check run, one JSON object per line (path, line, title).

The calls are those of its `publish_test_results.py` (`parse_files`, then `main`) and of
`Publisher.publish_check` in `publish/publisher.py`, with the action's defaults
(`time_unit: seconds`, no `test_file_prefix`, `report_individual_runs: false`,
`deduplicate_classes_by_file_name: false`); only GitHub (PyGithub), the glob expansion and the
progress logging are left out. Run from the repository root, as a workflow step runs in the
checkout.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from publish import get_case_annotations  # noqa: E402
from publish.junit import parse_junit_xml_files, process_junit_xml_elems  # noqa: E402
from publish.unittestresults import get_test_results  # noqa: E402


def main(junit_file: str) -> None:
    elems = parse_junit_xml_files([junit_file], large_files=False, drop_testcases=False)
    parsed = process_junit_xml_elems(
        elems, time_factor=1.0, test_file_prefix=None, add_suite_details=False
    ).with_commit("0" * 40)
    if parsed.errors:
        for error in parsed.errors:
            print(f"parse error: {error.file}: {error.message}", file=sys.stderr)
        sys.exit(1)
    results = get_test_results(parsed, False)
    for annotation in get_case_annotations(results.case_results, False):
        a = annotation.to_dict()
        print(json.dumps({"path": a["path"], "line": a["start_line"], "title": a.get("title", "")}))


if __name__ == "__main__":
    main(sys.argv[1])
