#!/bin/sh
# The example "application": predeploy execs it after migrating, in the same
# process (so this pid is predeploy's pid), with the environment untouched.
echo "example app started (pid $$, args: $*)"
