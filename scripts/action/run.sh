#!/usr/bin/env bash
# The perfgate GitHub Action's main step (see action.yml and docs/github-action.md): runs
# `perfgate compare` (or, with `record: true`, `perfgate record`: base and head traced side by
# side on this runner) with the action's inputs, lets perfgate write the job summary,
# annotations, step outputs and the JUnit file, then updates the sticky PR comment (or, on a
# fork PR whose token cannot write, leaves it as an artifact for a workflow_run workflow).
#
# Inputs arrive as environment variables (never through ${{ }} in this script):
#   INPUT_BEFORE, INPUT_AFTER (whitespace-separated), INPUT_BASE_REF, INPUT_BUDGETS,
#   INPUT_FAIL_ON, INPUT_COMMENT (true/false), INPUT_COMMENT_ID, INPUT_ARGS (extra arguments),
#   INPUT_RECORD (true/false), INPUT_RECORD_COMMAND, INPUT_RECORD_RUNS
#   INPUT_JUNIT (where the JUnit file goes), INPUT_SARIF (where a SARIF log goes; empty: none),
#   PR_NUMBER, PR_HEAD_REPO (empty outside pull requests), GITHUB_REPOSITORY, GH_TOKEN,
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_WORKSPACE, GITHUB_SERVER_URL and
#   GITHUB_RUN_ID (the link to the pictures).
# The HTML report and the flame graph go to the directory of the `pictures` output, which
# action.yml uploads as the artifact perfgate-pictures-COMMENT_ID; the comment and the job
# summary link to the run's artifacts.
# Exit status: perfgate's (0 pass, 1 the gate failed, 2 error).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/perfgate-${INPUT_COMMENT_ID:-perfgate}"
mkdir -p "$out_dir"
# The JUnit file goes inside the workspace: test-report actions that run in a Docker container
# (EnricoMi/publish-unit-test-result-action) see the workspace, not $RUNNER_TEMP.
junit="${INPUT_JUNIT:-${GITHUB_WORKSPACE:-$PWD}/.perfgate/junit-${INPUT_COMMENT_ID:-perfgate}.xml}"
mkdir -p "$(dirname "$junit")"
markdown="$out_dir/comment.md"
report="$out_dir/report.json"
pictures="$out_dir/pictures"
rm -rf "$junit" "$markdown" "$report" "$pictures"
mkdir -p "$pictures"
# The SARIF log only when asked (github/codeql-action/upload-sarif reads it from the workspace).
sarif="${INPUT_SARIF:-}"
if [ -n "$sarif" ]; then
    mkdir -p "$(dirname "$sarif")"
    rm -f "$sarif"
fi

output() { [ -z "${GITHUB_OUTPUT:-}" ] || printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }

comment_id="${INPUT_COMMENT_ID:-perfgate}"
command_words=()
if [ "${INPUT_RECORD:-false}" = "true" ]; then
    if [ -n "${INPUT_BEFORE:-}" ] || [ -n "${INPUT_AFTER:-}" ]; then
        echo "::error title=perfgate::with 'record: true' the action traces the base and the head itself: leave 'before' and 'after' empty"
        exit 2
    fi
    # base-ref is the revision to record against (default auto: the merge-base with the PR's
    # target branch); the traces stay in the workspace for upload.
    args=(record --base "${INPUT_BASE_REF:-auto}" -o "${GITHUB_WORKSPACE:-.}/.perfgate/record")
    [ -z "${INPUT_RECORD_RUNS:-}" ] || args+=(--runs "$INPUT_RECORD_RUNS")
    if [ -n "${INPUT_RECORD_COMMAND:-}" ]; then
        read -r -a command_words <<<"$INPUT_RECORD_COMMAND"
    fi
else
    if [ -z "${INPUT_BEFORE:-}" ] || [ -z "${INPUT_AFTER:-}" ]; then
        echo "::error title=perfgate::the 'before' and 'after' inputs are required (or 'record: true')"
        exit 2
    fi
    args=(compare --before "$INPUT_BEFORE")
    read -r -a after <<<"$(printf '%s' "$INPUT_AFTER" | tr '\n' ' ')"
    args+=(--after "${after[@]}")
    [ -z "${INPUT_BASE_REF:-}" ] || args+=(--base-ref "$INPUT_BASE_REF")
fi
[ -z "${INPUT_BUDGETS:-}" ] || args+=(--budgets "$INPUT_BUDGETS")
[ -z "${INPUT_FAIL_ON:-}" ] || args+=(--fail-on "$INPUT_FAIL_ON")
if [ -n "${INPUT_ARGS:-}" ]; then
    read -r -a extra <<<"$INPUT_ARGS"
    args+=("${extra[@]}")
fi
args+=(--github --junit "$junit" --markdown "$markdown" --json "$report" --comment-id "$comment_id")
[ -z "$sarif" ] || args+=(--sarif "$sarif")
args+=(--html "$pictures/report.html" --flamegraph "$pictures/flamegraph.svg")
# The command to record comes last, after `--` (else record reads [record] of budgets.toml).
[ "${#command_words[@]}" -eq 0 ] || args+=(-- "${command_words[@]}")

echo "perfgate ${args[*]}"
set +e
perfgate "${args[@]}"
code=$?
set -e

output exit-code "$code"
[ ! -f "$junit" ] || output junit "$junit"
[ ! -f "$markdown" ] || output markdown "$markdown"
[ ! -f "$report" ] || output report "$report"
[ -z "$sarif" ] || [ ! -f "$sarif" ] || output sarif "$sarif"

# Whether FILE with LINE appended stays within LIMIT characters (UTF-8 lead bytes, as
# comment.sh counts them) or, with `bytes`, LIMIT bytes: perfgate fills the comment and the
# summary up to GitHub's limits, so the link is added only when it fits.
fits() {
    local file=$1 line=$2 limit=$3 unit=${4:-chars} size
    if [ "$unit" = bytes ]; then
        size="$(wc -c <"$file")"
    else
        size="$(LC_ALL=C tr -d '\200-\277' <"$file" | wc -c)"
    fi
    [ $((size + ${#line} + 2)) -le "$limit" ]
}

# The pictures: uploaded by action.yml as an artifact of this run; the comment and the job
# summary say where.
if [ -f "$pictures/report.html" ]; then
    output pictures "$pictures"
    artifact="perfgate-pictures-${comment_id}"
    if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
        where="[${artifact}](${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}#artifacts)"
    else
        where="\`${artifact}\` of this workflow run"
    fi
    link="**Pictures:** the HTML report and the differential flame graph are in the artifact ${where}."
    if [ -f "$markdown" ] && fits "$markdown" "$link" 65536; then
        printf '\n%s\n' "$link" >>"$markdown"
    fi
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && fits "$GITHUB_STEP_SUMMARY" "$link" 1048576 bytes; then
        printf '\n%s\n' "$link" >>"$GITHUB_STEP_SUMMARY"
    fi
fi

# Leaves the comment for a workflow_run workflow with a write token to post (see
# .github/actions/post-comment and docs/github-action.md).
save_comment_artifact() {
    local artifact="$out_dir/comment"
    mkdir -p "$artifact"
    cp "$markdown" "$artifact/comment.md"
    printf '%s\n' "$PR_NUMBER" >"$artifact/pr-number"
    printf '%s\n' "$comment_id" >"$artifact/comment-id"
    output comment-artifact "$artifact"
}

# The comment: only for pull requests, only when asked, only when there is something to say.
if [ "${INPUT_COMMENT:-true}" = "true" ] && [ -n "${PR_NUMBER:-}" ] && [ -f "$markdown" ]; then
    if [ -n "${PR_HEAD_REPO:-}" ] && [ "$PR_HEAD_REPO" != "${GITHUB_REPOSITORY:-}" ]; then
        # A fork's pull request runs with a read-only token: no API call at all.
        save_comment_artifact
        echo "::notice title=perfgate::fork pull request: the PR comment is saved as the artifact perfgate-comment-${comment_id}; a workflow_run workflow posts it (docs/github-action.md)"
    elif ! PR_NUMBER="$PR_NUMBER" COMMENT_ID="$comment_id" BODY_FILE="$markdown" \
        bash "$here/comment.sh"; then
        # Read-only tokens happen on same-repository PRs too (Dependabot's, or a workflow
        # without 'pull-requests: write'): keep the comment for the workflow_run pattern.
        save_comment_artifact
        echo "::warning title=perfgate::could not write the PR comment (does the workflow grant 'pull-requests: write'? Dependabot PRs get a read-only token); it is saved as the artifact perfgate-comment-${comment_id} for a workflow_run workflow (docs/github-action.md)"
    fi
fi
exit "$code"
