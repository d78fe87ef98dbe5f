"""Hello world under Python's wsgiref CGIHandler: the PEP 3333 reference gateway."""
from wsgiref.handlers import CGIHandler


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!\n"]


CGIHandler().run(app)
