echo "about to crash"
kill -SEGV $$
sleep 5
