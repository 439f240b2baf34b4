# Starts grandchildren (one of them a shell with its own child), then sleeps.
cd "$GENESIS_WORKDIR"
sleep 1000 &
echo $! > kids
sleep 1000 &
echo $! >> kids
sh -c 'sleep 1000; :' &
echo $! >> kids
echo ready > ready
sleep 1000
