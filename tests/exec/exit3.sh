echo '{"y": 1}'
echo "error: bad input in stage 2" >&2
exit 3
