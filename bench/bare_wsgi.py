"""The baseline of bench/portal.py: a WSGI app that does nothing but answer a POST like a booking
(a 302 with a small body), served by the same gunicorn settings. What the clients reach with it
is the ceiling of HTTP, gunicorn and the bench's own clients on this machine."""


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("302 Found", [("Location", "/mijn-boekingen/"), ("Content-Length", "0")])
    return [b""]
