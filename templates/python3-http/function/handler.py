def handle(event, context):
    """Answers a request. event has method, path, query, headers and body (bytes).

    Return the body, or a dict with statusCode, headers and body.
    """
    return {"statusCode": 200, "body": event.body}
