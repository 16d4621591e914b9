#!/usr/bin/env sh
# Before the API starts: wait for the database, migrate, load the contract files (all idempotent).
set -e
exec ehsj init --wait 60
