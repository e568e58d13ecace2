#!/usr/bin/env bash
# Seconds per dev document of two commits, measured one after the other in one session on the
# embedded model, every question asked (a fresh answers file per run, so nothing is replayed):
#
#   benchmarks/speed_old_new.sh OLD_COMMIT NEW_COMMIT OUT_DIR [GOLD] [PYTHON]
#
# Each commit is exported with `git archive` and runs its own benchmarks/eval_cached.py on the
# first 2 PolNeAR and the first 2 German documents of the dev gold. Then
# `python benchmarks/speed_old_new.py OUT_DIR OLD_COMMIT NEW_COMMIT --json F` writes the committed
# JSON (ids, counts, seconds). Commits are named as given (use short hashes).
# Run it alone: a second llama.cpp server, or any other load, slows both (see benchmarks/README.md).
set -euo pipefail
old=$1 new=$2 out=$(realpath -m "$3")
gold=$(realpath "${4:-../shared/eval/dev_gold.jsonl}")
python=${5:-python}
mkdir -p "$out"
for commit in "$old" "$new"; do
    tree="$out/tree-$commit"
    rm -rf "$tree" && mkdir -p "$tree" && git archive "$commit" | tar -x -C "$tree"
    for corpus in polnear de-wikinews-quotes; do
        rm -f "$out/$commit-$corpus.db"
        (cd "$tree" && PYTHONPATH="$tree" "$python" benchmarks/eval_cached.py "$gold" \
            --corpus "$corpus" --per-corpus 2 --answers "$out/$commit-$corpus.db" \
            --out "$out/$commit-$corpus.json" 2> "$out/$commit-$corpus.log")
    done
done
