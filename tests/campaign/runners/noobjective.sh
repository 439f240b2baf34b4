#!/bin/sh
# Test runner that reports an outcome without the objective.
echo '{"something_else": 1}'
