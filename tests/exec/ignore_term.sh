# Ignores SIGTERM (and so does its child): only SIGKILL ends it.
trap '' TERM
sleep 1000 &
echo $! > "$GENESIS_WORKDIR/kids"
sleep 1000
