# $GENESIS_OUTPUT wins over stdout.
printf '{"y": 7, "z": -0.5}\n' > "$GENESIS_OUTPUT"
echo '{"y": 1}'
