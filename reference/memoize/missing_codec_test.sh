#!/usr/bin/env bash
# A function stored as bytes whose argument, result or object has no codec does not compile, and
# the compiler's message says what to add (memoize.h, CheckStoredAsBytes).
set -uo pipefail
compiler=${CXX:-g++}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check() {
  local name=$1 expected=$2 body=$3
  printf '#include "reference/memoize/memoize.h"\nstruct Point { int x; double y; };\nstruct Account { int id; };\n%s\n' \
    "$body" > "$work/$name.cc"
  if "$compiler" -std=c++20 -fsyntax-only -I. "$work/$name.cc" 2> "$work/$name.err"; then
    echo "FAIL $name: compiled"; exit 1
  fi
  if ! grep -qF "$expected" "$work/$name.err"; then
    echo "FAIL $name: the error does not say \"$expected\":"; head -20 "$work/$name.err"; exit 1
  fi
  echo "ok $name"
}
check argument "an argument type has no cachelab::Codec: specialize cachelab::Codec<T>" \
  'void f() { cachelab::CheckStoredAsBytes<int, Point>(); }'
check result "the result type has no cachelab::Codec" \
  'void f() { cachelab::CheckStoredAsBytes<Point, int>(); }'
check object "give its class a CacheKey() method" \
  'void f() { cachelab::CheckStoredAsBytes<int, Account*, int>(); }'
# And the checks let a well-formed signature through.
printf '#include "reference/memoize/memoize.h"\nvoid f() { cachelab::CheckStoredAsBytes<std::string, int, std::string>(); }\n' > "$work/good.cc"
"$compiler" -std=c++20 -fsyntax-only -I. "$work/good.cc" || { echo "FAIL good: did not compile"; exit 1; }
echo "ok good"
