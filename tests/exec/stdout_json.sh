# Outcome on stdout: the last line that is a JSON object wins.
echo "starting the simulation"
echo '{"y": 1}'
echo 'noise {not json} here'
echo '  {"y": 2.5, "cost": 3}  '
echo '{"y": broken'
echo "done"
