#!/usr/bin/env bash
# Regenerates the journal and snapshot seeds of the fuzz corpus (corpus/batch_decoder/,
# corpus/snapshot_loader/) from tests/data/close.jsonl and rules.jsonl, with the built ordo.
# Usage: tests/fuzz/make_corpus.sh [BUILD_DIR]   (default: build). Needs python3.
# The seeds are small (a few blocks each): the fuzzer mutates them, and every execution
# copies and checks every byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
ordo="${1:-build}/tools/ordo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# close.jsonl (every op and every record type, expiries and closes included) in eight runs
# on one directory: each run continues the history and ends with its own batch, so the
# journal holds several small batches. Snapshots every 8 commands: states with
# conferences open and closed and reservations of every status.
mkdir -p "$work/close"
awk -v dir="$work/close" 'NR > 1 { print > (dir "/part-" int((NR - 2) / 4)) }' \
  tests/data/close.jsonl
for part in "$work"/close/part-*; do
  "$ordo" run --data "$work/d" --workload "$part" --flush-delay-us 0 --segment-mib 1 \
    --snapshot-every 8 --no-direct-io
done
# rules.jsonl in one run: one batch of many records.
"$ordo" run --data "$work/rules" --workload tests/data/rules.jsonl --segment-mib 1 \
  --snapshot-every 20 --no-direct-io

python3 - "$work" tests/fuzz/corpus <<'PY'
import glob, os, struct, sys
work, corpus = sys.argv[1], sys.argv[2]
block = 4096
header = struct.Struct('<QHHIQQIIQ16s16s16s')  # journal/FORMAT.md, batch header (96 bytes)
assert header.size == 96

def used_blocks(data):
    segment = open(sorted(glob.glob(data + '/journal/segment-*.journal'))[0], 'rb').read()
    used = len(segment.rstrip(b'\0'))
    return segment[:(used + block - 1) // block * block]

def batches(segment):
    """(offset, on-disk bytes) of each batch, in order."""
    out, at = [], 0
    while at + header.size <= len(segment):
        fields = header.unpack_from(segment, at)
        if fields[0] != 0x314c4e4a4f44524f:
            break
        size = (header.size + fields[7] + block - 1) // block * block
        out.append((at, size))
        at += size
    return out

def with_segment_index(batch, index):
    b = bytearray(batch)
    struct.pack_into('<I', b, 12, index)
    return bytes(b)

def seed(target, name, mode, payload):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), 'wb') as f:
        f.write(bytes([mode]) + payload)

for old in glob.glob(os.path.join(corpus, 'batch_decoder', '*')) + \
        glob.glob(os.path.join(corpus, 'snapshot_loader', '*')):
    os.remove(old)

# Batch decoder modes (batch_decoder_fuzz.cpp): 1 reseal, 2 two segments split in the
# middle block, 4 chain the resealed headers.
close = used_blocks(work + '/d')
spans = batches(close)
assert len(spans) >= 6, f'expected several batches, got {len(spans)}'
parts = [close[at:at + size] for at, size in spans]
last_at, last_size = spans[-1]
seed('batch_decoder', 'close-batches', 0, close)
# Rollover: the first batches in segment 0 and the rest, renumbered, in segment 1, the
# checksums and the chain resealed by the target. With a zero gap at the end of segment 0
# (the writer leaves one when the next batch does not fit) and without one.
half = len(parts) // 2 - 1  # fewer batches in segment 0: a gap of zeros ends it
first, rest = b''.join(parts[:half]), b''.join(with_segment_index(p, 1) for p in parts[half:])
gap = bytes(max(0, len(rest) - len(first)))
seed('batch_decoder', 'close-rollover-gap', 7, first + gap + rest)
first, rest = b''.join(parts[:3]), b''.join(with_segment_index(p, 1) for p in parts[3:6])
assert len(first) == len(rest), 'the target splits in the middle block'
seed('batch_decoder', 'close-rollover-full', 7, first + rest)
# Torn tails: the last batch cut inside its body, inside its header, and its body changed
# (an unfinished write of it; in-flight batches may be cut).
last_body_bytes = header.unpack_from(close, last_at)[7]
seed('batch_decoder', 'close-torn-body', 0, close[:last_at + header.size + last_body_bytes // 2])
seed('batch_decoder', 'close-torn-header', 0, close[:last_at + 50])
flipped = bytearray(close)
flipped[last_at + header.size + 8] ^= 0x01
seed('batch_decoder', 'close-last-flipped', 0, bytes(flipped))
# Damage: a bit flipped in the first batch's body with more batches after it than can be
# in flight together; a stale copy of batch 1 written after the end (its number and chain
# disagree); a first batch whose record framing is wrong but whose checksums hold; a
# header of another format version with checksums that hold.
flipped = bytearray(close)
flipped[spans[0][0] + header.size + 8] ^= 0x01
seed('batch_decoder', 'close-first-flipped', 0, bytes(flipped))
seed('batch_decoder', 'close-stale-copy', 0, close + parts[1])
framing = bytearray(close)
struct.pack_into('<H', framing, spans[2][0] + header.size, 12)  # a record size not of 8
seed('batch_decoder', 'close-bad-framing-resealed', 5, bytes(framing))
version = bytearray(close)
struct.pack_into('<H', version, spans[1][0] + 8, 2)
seed('batch_decoder', 'close-version-2-resealed', 5, bytes(version))
# One batch of many records (rules.jsonl), whole and cut to its first block.
rules = used_blocks(work + '/rules')
seed('batch_decoder', 'rules-one-batch', 0, rules)
seed('batch_decoder', 'rules-first-block-resealed', 1, rules[:block])

# Snapshot loader modes (snapshot_loader_fuzz.cpp): 1 bare payload, 2 reseal, 4 misnamed.
snaps = sorted(glob.glob(work + '/d/snapshots/snapshot-*.snap'))
assert len(snaps) >= 2, f'expected several snapshots, got {len(snaps)}'
early, late = open(snaps[0], 'rb').read(), open(snaps[-1], 'rb').read()
seed('snapshot_loader', 'close-early-file', 0, early)
seed('snapshot_loader', 'close-late-file', 0, late)
seed('snapshot_loader', 'close-late-resealed', 2, late)
seed('snapshot_loader', 'close-late-misnamed', 4, late)
seed('snapshot_loader', 'close-late-payload', 1, late[96:])
rules_snap = sorted(glob.glob(work + '/rules/snapshots/snapshot-*.snap'))[-1]
seed('snapshot_loader', 'rules-payload', 1, open(rules_snap, 'rb').read()[96:])
PY
ls -l tests/fuzz/corpus/batch_decoder tests/fuzz/corpus/snapshot_loader
