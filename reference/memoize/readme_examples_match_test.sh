#!/usr/bin/env bash
# Every README:begin ... README:end block of the examples test appears verbatim (indentation
# aside) in README.md, so the README shows code that compiles and runs.
set -euo pipefail
examples="$1"
readme="$2"
normalized_readme=$(sed 's/^[[:space:]]*//' "$readme")
count=0
while IFS= read -r -d '' block; do
  name=$(head -1 <<<"$block")
  body=$(tail -n +2 <<<"$block" | sed 's/^[[:space:]]*//')
  if ! grep -qF -- "$(head -1 <<<"$body")" <<<"$normalized_readme" ||
     ! python3 -c 'import sys; sys.exit(0 if sys.argv[1] in sys.argv[2] else 1)' "$body" "$normalized_readme"; then
    echo "README.md lacks the example \"$name\" as written in $(basename "$examples"):"
    echo "$body"
    exit 1
  fi
  count=$((count + 1))
done < <(awk '/^[[:space:]]*\/\/ README:begin / {inside=1; sub(/.*README:begin /, ""); printf "%s\n", $0; next}
              /^[[:space:]]*\/\/ README:end/ {inside=0; printf "%c", 0; next}
              inside {print}' "$examples")
[ "$count" -gt 0 ] || { echo "no examples found in $examples"; exit 1; }
echo "$count README examples match"
