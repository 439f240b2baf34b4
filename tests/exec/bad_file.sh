# An outcome file that is not JSON fails the attempt, even with a good stdout.
printf '{"y": ' > "$GENESIS_OUTPUT"
echo '{"y": 1}'
