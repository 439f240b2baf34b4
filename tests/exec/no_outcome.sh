echo "I forgot to report"
echo "[1, 2, 3]"
