#!/bin/sh
# Test runner: y = (x - 0.3)^2 + (z - 2)^2 for parameters x (real), z (int).
# Logs "start NUMBER ATTEMPT" / "end NUMBER ATTEMPT" to $RUNLOG when set.
# Optional: FAIL_FIRST=1 fails attempt 1 of every experiment;
# SLEEP=seconds sleeps before answering.
[ -n "$RUNLOG" ] && echo "start $GENESIS_EXPERIMENT $GENESIS_ATTEMPT" >> "$RUNLOG"
if [ "${FAIL_FIRST:-0}" = 1 ] && [ "$GENESIS_ATTEMPT" = 1 ]; then
  echo "failing on purpose" >&2
  exit 3
fi
[ -n "$SLEEP" ] && sleep "$SLEEP"
awk -v x="$1" -v z="$2" -v a="$GENESIS_ATTEMPT" 'BEGIN { printf "{\"y\": %.17g, \"attempt\": %d}\n", (x-0.3)^2 + (z-2)^2, a }'
[ -n "$RUNLOG" ] && echo "end $GENESIS_EXPERIMENT $GENESIS_ATTEMPT" >> "$RUNLOG"
exit 0
