#!/usr/bin/env bash
# Runs the shared Opacus side-by-side kit (../shared/bench/opacus-side-by-side, README there: protocol, Opacus
# bundled) against this checkout, with the two edits today's trainer API needs, made on a scratch copy:
# - dpl_step.mjs passed `seed: 1`; DPTrainer refuses seeds under 128 bits since the secure-randomness work
#   (packages/trainer/src/training/seed.ts), so the seeded rows use a 128-bit hex seed;
# - its dp-inline mode wrote `trainer.internals.noise`, which no longer exists (snapshot()/restore());
# - both step scripts slice 7 batches from the 2,000-image sample, which is too few at B = 1024: they now cycle
#   through min(7, floor(2000 / B)) batches (at least 1).
#   npm ci && npx tsc -b && bash packages/trainer/bench/opacus-side-by-side.sh --rounds 2 --bs 256 --gate 0.15
# Every flag goes to the kit's run.sh (`--help` there). Needs Debian's python3-torch.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
KIT=${OPACUS_KIT:-$ROOT/../shared/bench/opacus-side-by-side}
[ -f "$KIT/run.sh" ] || { echo "no Opacus kit at $KIT (set OPACUS_KIT)" >&2; exit 2; }
COPY=$(mktemp -d /tmp/opacus-kit.XXXXXX)
trap 'rm -rf "$COPY"' EXIT
cp -r "$KIT"/. "$COPY"/ && chmod -R u+w "$COPY"
sed -i "s/datasetSize: 60000, seed: 1, secureMode: MODE === 'dp-secure',/datasetSize: 60000, \
...(MODE === 'dp-secure' ? {} : { seed: '000102030405060708090a0b0c0d0e0f' }),/" "$COPY/dpl_step.mjs"
sed -i "/trainer.internals.noise.failed = true/d" "$COPY/dpl_step.mjs"
sed -i "s|const NB = Number(arg('batches', 7));|const NB = Number(arg('batches', \
Math.max(1, Math.min(7, Math.floor(2000 / Number(arg('bs', 256)))))));|" "$COPY/dpl_step.mjs"
sed -i 's|p.add_argument("--batches", type=int, default=7,|p.add_argument("--batches", type=int, default=None,|' \
  "$COPY/opacus_step.py"
PY_BATCHES='args.batches = args.batches or max(1, min(7, 2000 // args.bs))'
sed -i "s|^n = args.bs \\* args.batches|$PY_BATCHES\\nn = args.bs * args.batches|" "$COPY/opacus_step.py"
for want in "seed: '000102030405060708090a0b0c0d0e0f'" "Math.floor(2000 / Number"; do
  grep -q "$want" "$COPY/dpl_step.mjs" || { echo "the kit's dpl_step.mjs changed: '$want' not applied" >&2; exit 2; }
done
grep -q "$PY_BATCHES" "$COPY/opacus_step.py" || { echo "the kit's opacus_step.py changed" >&2; exit 2; }
cd "$ROOT" && PROJECT="$ROOT" bash "$COPY/run.sh" "$@"
