# Reports when it started and ended (epoch seconds) as its outcome.
start=$(date +%s.%N)
sleep 0.5
end=$(date +%s.%N)
echo "{\"start\": $start, \"end\": $end}"
