# Entry point of the fork-per-request Python 2.7 template: the watchdog starts this once per
# request, with the request body on stdin; what the handler prints or returns is the answer.
import sys

from function import handler


def main():
    request = sys.stdin.read()
    answer = handler.handle(request)
    if answer is not None:
        if isinstance(answer, unicode):  # noqa: F821 (Python 2)
            answer = answer.encode("utf-8")
        sys.stdout.write("%s\n" % (answer,))


if __name__ == "__main__":
    main()
