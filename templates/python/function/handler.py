def handle(req):
    """Answers a request: req is the request body as text.

    Print the answer, or return it.
    """
    return req
