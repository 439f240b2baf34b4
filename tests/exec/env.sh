#!/bin/sh
# Echoes the runner contract back into files in its working directory.
printf '%s' "$GENESIS_CAMPAIGN" > campaign.txt
printf '%s' "$GENESIS_EXPERIMENT" > experiment.txt
printf '%s' "$GENESIS_ATTEMPT" > attempt.txt
printf '%s' "$GENESIS_PARAMS" > params.txt
printf '%s' "$GENESIS_OUTPUT" > output.txt
printf '%s' "$GENESIS_WORKDIR" > workdir.txt
pwd -P > cwd.txt
cat > stdin.txt
i=0
for a in "$@"; do
  i=$((i + 1))
  printf '%s' "$a" > "arg$i.txt"
done
printf '%s' "$#" > argc.txt
echo '{"ok": 1}'
