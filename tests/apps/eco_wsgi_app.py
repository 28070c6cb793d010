"""a2wsgi, unmodified: a WSGI application mounted with `app.mount` through `a2wsgi.WSGIMiddleware`
(environ from the scope, the request body, a streamed iterable answer). tests/ecosystem/."""

from a2wsgi import WSGIMiddleware

from astraapi import FastAPI


def wsgi_app(environ, start_response):
    body = environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one,", b"two,", b"three"])
    text = (f"{environ['REQUEST_METHOD']} script={environ['SCRIPT_NAME']} path={environ['PATH_INFO']} "
            f"query={environ['QUERY_STRING']} body={body.decode()} "
            f"host={environ.get('HTTP_HOST')} type={environ.get('CONTENT_TYPE', '')}")
    start_response("201 Created", [("Content-Type", "text/plain; charset=utf-8"), ("X-Wsgi", "yes")])
    return [text.encode()]


app = FastAPI()
app.mount("/wsgi", WSGIMiddleware(wsgi_app))


@app.get("/native")
async def native():
    return {"native": True}
