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
# perfgate fits its comment to GitHub's 65,536 characters (one size budget, applied once:
# docs/reports.md); this script never cuts it again. A body over the limit did not come from
# perfgate, and GitHub would refuse it: say so rather than post half of it. Characters are
# counted as UTF-8 lead bytes (continuation bytes 0x80-0xBF are not characters of their own).
chars="$(LC_ALL=C tr -d '\200-\277' <"$body" | wc -c)"
[ "$chars" -le 65536 ] || fail "the comment body is ${chars} characters, over GitHub's 65,536; perfgate writes its comment within the limit (was the body written by something else?)"

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
