#!/usr/bin/env bash
# Creates or updates the one pull-request comment that carries the marker
# <!-- perfgate:COMMENT_ID -->, so a PR gets one perfgate comment edited on every push
# instead of a new comment per push. Used by action.yml (same-repository PRs) and by
# .github/actions/post-comment (the workflow_run pattern for fork PRs).
#
# Environment (inputs arrive here, never through ${{ }} in the script):
#   GITHUB_REPOSITORY  owner/name
#   PR_NUMBER          the pull request (digits only)
#   COMMENT_ID         the marker id (letters, digits, . _ -)
#   BODY_FILE          the Markdown body
#   GH_TOKEN           a token allowed to write pull-request comments (read by gh)
#   GITHUB_OUTPUT      optional: receives comment-url=...
set -euo pipefail

fail() { echo "::error title=perfgate comment::$1"; exit 2; }

[[ "${PR_NUMBER:-}" =~ ^[0-9]+$ ]] || fail "PR number '${PR_NUMBER:-}' is not a number"
[[ "${COMMENT_ID:-}" =~ ^[A-Za-z0-9._-]+$ ]] || fail "comment id must be letters, digits, '.', '_' or '-'"
[[ "${GITHUB_REPOSITORY:-}" =~ ^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$ ]] || fail "GITHUB_REPOSITORY is not owner/name"
[ -f "${BODY_FILE:-}" ] || fail "no comment body at '${BODY_FILE:-}'"

marker="<!-- perfgate:${COMMENT_ID} -->"
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
if grep -qF -- "$marker" "$BODY_FILE"; then
    cat "$BODY_FILE" >"$body"
else
    { printf '%s\n' "$marker"; cat "$BODY_FILE"; } >"$body"
fi
# GitHub refuses bodies over 65,536 characters; characters are never more than bytes.
limit=65000
if [ "$(wc -c <"$body")" -gt "$limit" ]; then
    cut="$(mktemp)"
    # Whole lines only (no UTF-8 character cut in two), then close what the cut left open,
    # so the note below is not swallowed by a code block or a collapsed <details>.
    head -c "$limit" "$body" | sed '$d' >"$cut"
    fences="$(grep -c '^```' "$cut" || true)"
    [ $((fences % 2)) -eq 0 ] || printf '```\n' >>"$cut"
    opened="$(grep -o '<details' "$cut" | wc -l || true)"
    closed="$(grep -o '</details>' "$cut" | wc -l || true)"
    for ((i = closed; i < opened; i++)); do printf '</details>\n' >>"$cut"; done
    printf '\n\n_(truncated: the full report is in the job summary and the JUnit artifact)_\n' >>"$cut"
    mv "$cut" "$body"
fi

repo="repos/${GITHUB_REPOSITORY}"
# "TYPE ID" of every comment carrying the marker, all pages read (no early exit that would
# kill gh mid-pagination). Ours is the first one written by a bot (the workflow token
# comments as github-actions[bot]), so a marker pasted into someone else's comment never
# diverts the report there; with a personal token (no bot), the first one.
found="$(gh api --paginate "${repo}/issues/${PR_NUMBER}/comments" \
    --jq ".[] | select(.body | contains(\"${marker}\")) | \"\\(.user.type) \\(.id)\"")"
existing="$(printf '%s\n' "$found" | awk '$1 == "Bot" { print $2; exit }')"
[ -n "$existing" ] || existing="$(printf '%s\n' "$found" | awk 'NF == 2 { print $2; exit }')"
if [ -n "$existing" ]; then
    [[ "$existing" =~ ^[0-9]+$ ]] || fail "unexpected comment id '$existing'"
    url="$(gh api --method PATCH "${repo}/issues/comments/${existing}" -F "body=@${body}" --jq .html_url)"
    echo "perfgate: updated the PR comment ${url}"
else
    url="$(gh api --method POST "${repo}/issues/${PR_NUMBER}/comments" -F "body=@${body}" --jq .html_url)"
    echo "perfgate: commented on the PR ${url}"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "comment-url=${url}" >>"$GITHUB_OUTPUT"
fi
