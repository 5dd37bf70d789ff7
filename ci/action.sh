#!/usr/bin/env bash
# The body of the squadsim GitHub Action (action.yml): runs the scenario corpus,
# one shard of a seed sweep, or the merge of a sweep's shards; then the
# delivery-language lint and the wire-alias check. Annotations go to stdout as
# workflow commands; the step summary to $GITHUB_STEP_SUMMARY; what it found to
# $GITHUB_OUTPUT. It exits 0 only when every check that ran passed; a check
# that was asked for and could not run fails it, and one that was not asked for
# is said to be "not run", never called clean.
#
# Inputs (action.yml maps each `with:` input onto one of these):
#   SQUADSIM_SCENARIOS   scenario files or directories, space-separated (default: scenarios)
#   SQUADSIM_SEEDS       N: a seed sweep of seeds 1..=N; empty: the corpus against its snapshots and declared invariants
#   SQUADSIM_SHARD       I/N: only this shard of the sweep (needs SQUADSIM_SEEDS)
#   SQUADSIM_JITTER      the sweep's largest message latency (empty: squadsim's default)
#   SQUADSIM_MERGE       shards' results files or globs: merge them instead of running scenarios
#   SQUADSIM_LINT        paths for `squadsim lint`, space-separated; empty: not run
#   SQUADSIM_WIRE        payload files or globs for `squadsim wire`; empty: not run
#   SQUADSIM_REPORT_DIR  where reports and results are written (default: squadsim-reports)
# Outside GitHub Actions, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT may be unset:
# the summary then goes to stderr and the outputs nowhere.
set -uo pipefail
shopt -s globstar

scenarios=${SQUADSIM_SCENARIOS:-scenarios}
seeds=${SQUADSIM_SEEDS:-}
shard=${SQUADSIM_SHARD:-}
jitter=${SQUADSIM_JITTER:-}
merge=${SQUADSIM_MERGE:-}
lint=${SQUADSIM_LINT:-}
wire=${SQUADSIM_WIRE:-}
dir=${SQUADSIM_REPORT_DIR:-squadsim-reports}
summary=${GITHUB_STEP_SUMMARY:-/dev/stderr}
outputs=${GITHUB_OUTPUT:-/dev/null}

# One workflow command; `%`, CR and LF escaped as the runner expects
# (properties also escape `:` and `,`).
annotate() { # level file line title message
  local message=${5//'%'/'%25'}
  message=${message//$'\r'/'%0D'}
  message=${message//$'\n'/'%0A'}
  local props=""
  if [ -n "$2" ]; then
    local file=${2//'%'/'%25'}
    file=${file//':'/'%3A'}
    props="file=${file//','/'%2C'},"
  fi
  [ -n "$3" ] && props="${props}line=$3,"
  local title=${4//'%'/'%25'}
  title=${title//':'/'%3A'}
  echo "::$1 ${props}title=${title//','/'%2C'}::$message"
}

# Splits a space-separated input into words, expanding the globs among them;
# a glob that matches nothing is a warning (and stays as written, so the tool
# given it refuses the missing file rather than the input vanishing).
expand() { # name words
  local word words matches
  expanded=()
  read -ra words <<<"$2"
  for word in "${words[@]}"; do
    if [[ $word == *[*?[]* ]]; then
      mapfile -t matches < <(compgen -G "$word" | sort)
      if [ ${#matches[@]} -eq 0 ]; then
        annotate warning "" "" "squadsim: $1" "\`$word\` matches no file"
        expanded+=("$word")
      else
        expanded+=("${matches[@]}")
      fi
    else
      expanded+=("$word")
    fi
  done
}

if ! command -v squadsim >/dev/null 2>&1; then
  annotate error "" "" "squadsim" "squadsim is not on PATH (the action installs it unless \`install: false\`)"
  echo "exit-code=2" >>"$outputs"
  exit 2
fi
# Inputs that the chosen mode would ignore are refused: a job whose `shard` is
# set but whose `seeds` is not would otherwise run the whole corpus and pass as
# if it were its shard of a sweep.
refuse() { # message
  annotate error "" "" "squadsim" "$1"
  echo "## squadsim: refused: $1" >>"$summary"
  echo "exit-code=2" >>"$outputs"
  exit 2
}
if [ -n "$merge" ]; then
  for given in seeds shard jitter; do
    [ -n "${!given}" ] && refuse "\`$given\` is not used by \`merge\` (a merge takes the sweep from its results files): leave it empty"
  done
elif [ -z "$seeds" ]; then
  for given in shard jitter; do
    [ -n "${!given}" ] && refuse "\`$given\` belongs to a seed sweep: set \`seeds\` too, or leave \`$given\` empty"
  done
fi

mkdir -p "$dir"
# A summary left by an earlier use of the action in this job is not this run's.
rm -f "$dir/summary.md"
worst=0
note() { [ "$1" -gt "$worst" ] && worst=$1; return 0; }

# 1. The scenarios: the corpus, a shard of a sweep, or the merge of a sweep.
if [ -n "$merge" ]; then
  expand merge "$merge"
  echo "squadsim merge-reports ${expanded[*]}"
  squadsim merge-reports --out "$dir/merged-results.json" --report "$dir" --format github "${expanded[@]}"
  run_code=$?
  what="merge of ${#expanded[@]} shard results"
elif [ -n "$seeds" ]; then
  expand scenarios "$scenarios"
  args=(run "${expanded[@]}" --seeds "$seeds" --report "$dir" --format github)
  results="$dir/sweep-results.json"
  if [ -n "$shard" ]; then
    args+=(--shard "$shard")
    results="$dir/sweep-results-shard-${shard//\//-of-}.json"
  fi
  [ -n "$jitter" ] && args+=(--jitter "$jitter")
  args+=(--results "$results")
  echo "squadsim ${args[*]}"
  squadsim "${args[@]}"
  run_code=$?
  what="sweep of seeds 1..=$seeds${shard:+, shard $shard}"
else
  expand scenarios "$scenarios"
  echo "squadsim run ${expanded[*]}"
  squadsim run "${expanded[@]}" --report "$dir" --format github
  run_code=$?
  what="corpus against its snapshots and declared invariants"
fi
note "$run_code"
{
  if [ -f "$dir/summary.md" ]; then
    cat "$dir/summary.md"
    echo
  else
    echo "## squadsim: the $what wrote no summary (exit $run_code)"
    echo
  fi
} >>"$summary"
echo "run-exit-code=$run_code" >>"$outputs"

# 2. The delivery-language lint: its github format is annotations already.
if [ -n "$lint" ]; then
  read -ra paths <<<"$lint"
  lint_out=$(squadsim lint "${paths[@]}" --format github)
  lint_code=$?
  [ -n "$lint_out" ] && echo "$lint_out"
  errors=$(grep -c '^::error' <<<"$lint_out")
  warnings=$(grep -c '^::warning' <<<"$lint_out")
  case $lint_code in
    0) verdict="no violations" ;;
    1) verdict="violations" ;;
    *) verdict="could not run (exit $lint_code: see the log)" ;;
  esac
  echo "**squadsim lint** (${paths[*]}): $verdict; $errors errors, $warnings warnings (files not checked are warnings, never clean)" >>"$summary"
  note "$lint_code"
else
  lint_code=""
  echo "**squadsim lint**: not run (no \`lint\` paths given)" >>"$summary"
fi
echo >>"$summary"
echo "lint-exit-code=$lint_code" >>"$outputs"

# 3. The wire-alias check: its findings (`<source>: <pointer>: <level>: <message>`)
# become annotations on the payload file (and line, for JSON Lines).
if [ -n "$wire" ]; then
  expand wire "$wire"
  wire_out=$(squadsim wire "${expanded[@]}" 2>&1)
  wire_code=$?
  echo "$wire_out"
  while IFS= read -r line; do
    if [[ $line =~ ^(.+):\ (/[^ ]*):\ (error|warning|note):\ (.*)$ ]]; then
      source=${BASH_REMATCH[1]} level=${BASH_REMATCH[3]}
      [ "$level" = note ] && level=notice
      message="${BASH_REMATCH[2]}: ${BASH_REMATCH[4]}"
      if [[ $source =~ ^(.+):([0-9]+)$ ]]; then
        annotate "$level" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "squadsim wire" "$message"
      else
        annotate "$level" "$source" "" "squadsim wire" "$message"
      fi
    fi
  done <<<"$wire_out"
  case $wire_code in
    0) verdict="no payload has an error" ;;
    1) verdict="payloads with errors" ;;
    *) verdict="could not run (exit $wire_code: see the log)" ;;
  esac
  echo "**squadsim wire** (${#expanded[@]} files): $verdict; $(tail -n 1 <<<"$wire_out")" >>"$summary"
  note "$wire_code"
else
  wire_code=""
  echo "**squadsim wire**: not run (no \`wire\` payload files given)" >>"$summary"
fi
echo >>"$summary"
echo "wire-exit-code=$wire_code" >>"$outputs"

echo "exit-code=$worst" >>"$outputs"
exit "$worst"
