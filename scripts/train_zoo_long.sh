#!/usr/bin/env bash
# Trains the zoo's flagship models at the long budget (issue 20), one at a time, in the background:
#   nohup bash scripts/train_zoo_long.sh > ~/ganzoo-runs/queue.log 2>&1 &
# Each model gets a wall-clock budget (--max-minutes) on top of a step cap; the steps it reached
# are recorded in its checkpoints and card, and `--max-steps THAT` reproduces it. Run folders live
# outside the repository (RUNS, default ~/ganzoo-runs), so a new work tree never loses them.
# The queue is resumable: a model whose run folder already holds a checkpoint continues with
# --resume (each leg gets its --max-minutes afresh: set the minutes still wanted), and a finished one is skipped.
# Every run scores its EMA generator every 1,000 steps (FID[fmnist-cnn] on 2,000 samples, in its
# metrics.jsonl), which shows whether FID was still falling when the budget ran out.
# Export, the 10,000-sample metrics and FID[inception] follow in scripts/export_zoo_long.sh.
# The bundled models of this recipe (2-core AMD EPYC, shared with other work, so read the steps, not the
# minutes): sngan-fashion stopped by hand at step 13,027 (833,728 images) once its FID[fmnist-cnn] on
# 2,000 samples had been flat for 5,000 steps (between 41.8 and 43.0 at steps 8,000-13,000); wgan-gp-fashion
# ran 15 minutes to step 3,204, then was resumed and stopped by hand at step 14,743 (still improving);
# sngan-projection-fashion was stopped by hand at step 24,418 once flat. `--max-steps N` in place of
# `--max-minutes` reproduces each (their cards show the command).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/ganzoo-runs}
mkdir -p "$RUNS"
# name | family | minutes | arguments (recipe and widths)
QUEUE=(
  "sngan-fashion|sngan|${SNGAN_MINUTES:-45}|--set image_size=28 --set g_channels=64 --set d_channels=64 --loss non-saturating --lr-g 2e-4 --lr-d 2e-4 --betas 0.5,0.999"
  "sngan-projection-fashion|sngan-projection|${PROJECTION_MINUTES:-35}|--set image_size=28 --set g_channels=64 --set d_channels=64 --loss non-saturating --lr-g 2e-4 --lr-d 2e-4 --betas 0.5,0.999"
  "wgan-gp-fashion|wgan-gp|${WGAN_MINUTES:-20}|--set base_channels=64 --set d_channels=64 --lr-g 1e-4 --lr-d 3e-4 --betas 0,0.9"
)
COMMON=(--dataset fashion-mnist --ema-decay 0.999 --seed 0 --checkpoint-every 500 --log-every 50
        --eval-every 1000 --eval-samples 2000 --max-steps 100000 --quiet)
for entry in "${QUEUE[@]}"; do
  IFS='|' read -r name family minutes args <<<"$entry"
  [ -n "${ONLY:-}" ] && [[ ",$ONLY," != *",$name,"* ]] && continue
  out="$RUNS/$name"
  if [ -f "$out/.done" ]; then echo "$(date -Is) $name: done already"; continue; fi
  echo "$(date -Is) $name: training for $minutes minutes"
  # shellcheck disable=SC2086
  if [ -d "$out/checkpoints" ]; then
    ganzoo train --resume --out "$out" --max-minutes "$minutes" --max-steps 100000 --quiet
  else
    ganzoo train "$family" $args "${COMMON[@]}" --max-minutes "$minutes" --out "$out"
  fi
  touch "$out/.done"
  echo "$(date -Is) $name: finished"
done
