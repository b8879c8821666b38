#!/bin/sh
# The request body is on stdin; write the answer to stdout. It is streamed as it is written.
cat
