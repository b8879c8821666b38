#!/bin/sh
# Entry point of the bash-streaming template: the watchdog (mode=streaming) runs it per request,
# body on stdin, and streams its stdout to the caller as it is written.
exec sh ./function/handler.sh
