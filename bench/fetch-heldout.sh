#!/usr/bin/env bash
# Fetches a held-out set of real bounces: the test data of flufl.bounce
# 6.0.0 (Mailman's bounce detector, Apache-2.0) from PyPI, into
# target/heldout/. Nothing is committed; tests/heldout_flufl.rs reads it
# there, and says SKIPPED when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/heldout
[ -d "$dest/flufl_bounce-6.0.0/tests/data" ] && exit 0
mkdir -p "$dest"
python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$dest" flufl.bounce==6.0.0
tar -xzf "$dest/flufl_bounce-6.0.0.tar.gz" -C "$dest"
echo "held-out bounces in $dest/flufl_bounce-6.0.0/tests/data"
