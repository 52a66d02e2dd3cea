#!/usr/bin/env bash
# Regenerates the journal and snapshot seeds of the fuzz corpus (corpus/batch_decoder/,
# corpus/snapshot_loader/) from tests/data/rules.jsonl, with the built ordo.
# Usage: tests/fuzz/make_corpus.sh [BUILD_DIR]   (default: build). Needs python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
ordo="${1:-build}/tools/ordo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Small batches and snapshots every 20 commands: several batches in the first blocks, and
# snapshots of a state with conferences and reservations of every status.
"$ordo" run --data "$work/d" --workload tests/data/rules.jsonl --flush-delay-us 0 \
  --segment-mib 1 --snapshot-every 20 --no-direct-io
python3 - "$work/d" tests/fuzz/corpus <<'PY'
import glob, os, sys
data, corpus = sys.argv[1], sys.argv[2]
block = 4096
segment = open(sorted(glob.glob(data + '/journal/segment-*.journal'))[0], 'rb').read()
used = len(segment.rstrip(b'\0'))
written = segment[:(used + block - 1) // block * block]
def seed(target, name, mode, payload):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), 'wb') as f:
        f.write(bytes([mode]) + payload)
seed('batch_decoder', 'rules-whole', 0, written)
seed('batch_decoder', 'rules-resealed-chained', 5, written)
seed('batch_decoder', 'rules-two-segments', 2, written + bytes(block))
seed('batch_decoder', 'rules-torn', 0, written[:used - 100])
flipped = bytearray(written)
flipped[200] ^= 0x10
seed('batch_decoder', 'rules-bit-flipped', 0, bytes(flipped))
seed('batch_decoder', 'rules-first-block', 1, written[:block])
snap = open(sorted(glob.glob(data + '/snapshots/snapshot-*.snap'))[-1], 'rb').read()
seed('snapshot_loader', 'rules-file', 0, snap)
seed('snapshot_loader', 'rules-file-resealed', 2, snap)
seed('snapshot_loader', 'rules-payload', 1, snap[96:])
seed('snapshot_loader', 'rules-misnamed', 4, snap)
PY
ls -l tests/fuzz/corpus/batch_decoder tests/fuzz/corpus/snapshot_loader
