#!/bin/sh
# Runs three programs on its standard input: sort, uniq and tr, from PATH.
set -e
PATH=/usr/bin:/bin
sort | uniq -c | tr a-z A-Z
