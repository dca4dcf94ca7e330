"""The studio's routes (Starlette): JSON in, JSON or files out; the work is tfart.studio.app's.

No route takes a path from the client: genomes, tasks and uploads are named by ids the server
made and checks against their patterns, and a request whose path holds '..' is refused whole.
"""
import json
import os
import urllib.parse

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tfart.errors import UserError
from tfart.studio import LOOPBACK
from tfart.studio.app import MAX_UPLOAD, Studio
from tfart.studio.store import Stale

STATIC = os.path.join(os.path.dirname(__file__), "static")


MAX_JSON = 64 * 1024  # bytes of a JSON request


class Guard:
    """ASGI middleware that refuses, before any route runs:
    - any request whose path or query names '..' (raw or %-encoded): 400;
    - on a studio bound to a loopback address, a Host header naming another host (a web page
      that re-points its own domain at 127.0.0.1, DNS rebinding): 403;
    - a POST whose Origin is not the page's own (another web site's form or fetch): 403.
    """

    def __init__(self, app, loopback_only=True):
        self.app, self.loopback_only = app, loopback_only

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            problem = self.problem(scope)
            if problem:
                await JSONResponse({"error": problem[1]}, problem[0])(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def problem(self, scope):
        raw = scope.get("raw_path", b"").decode("latin-1") + "?" + scope.get("query_string", b"").decode("latin-1")
        if ".." in urllib.parse.unquote(urllib.parse.unquote(raw)) or ".." in scope.get("path", ""):
            return 400, "refused: '..' in a request"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.loopback_only and urllib.parse.urlsplit("//" + host).hostname not in LOOPBACK:
            return 403, f"refused: this studio answers as 127.0.0.1 or localhost, not {host[:60]!r}"
        origin = headers.get("origin")
        if scope["method"] == "POST" and origin is not None and urllib.parse.urlsplit(origin).netloc != host:
            return 403, "refused: a request from another site"
        return None


def _error(message, status=400):
    return JSONResponse({"error": message}, status)


def _guard(handler):
    """One-line errors as JSON: 400 for a user's mistake, 409 for a stale tab."""
    async def route(request):
        try:
            return await handler(request)
        except Stale as e:
            return _error(str(e), 409)
        except UserError as e:
            return _error(str(e))
    return route


async def _read(request, limit, too_big):
    """The request's body, refused with UserError(too_big) past `limit` bytes: from its declared
    length before reading, else as it streams in (a chunked body declares none)."""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > limit:
        raise UserError(too_big)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise UserError(too_big)
    return bytes(data)


async def _body(request):
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UserError("expected a JSON body (Content-Type: application/json)")
    raw = await _read(request, MAX_JSON, f"a request of over {MAX_JSON // 1024} KB")
    try:
        data = json.loads(raw)
    except ValueError:
        raise UserError("expected a JSON body") from None
    if not isinstance(data, dict):
        raise UserError("expected a JSON object")
    return data


def make_app(studio: Studio, loopback_only=True):
    """The Starlette app serving `studio` (its page, its API, its files). loopback_only: answer
    only requests addressed to 127.0.0.1 or localhost (the studio is bound there)."""
    from starlette.concurrency import run_in_threadpool

    def call(fn, *args, **kwargs):
        return run_in_threadpool(fn, *args, **kwargs)

    async def index(request):
        return FileResponse(os.path.join(STATIC, "index.html"))

    async def state(request):
        return JSONResponse(await call(studio.view))

    async def thumb(request):
        path = studio.session.thumb_path(request.path_params["genome"])
        if not os.path.isfile(path):
            return _error("no such thumbnail", 404)
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=31536000, immutable"})

    async def evolve(request):
        body = await _body(request)
        return JSONResponse(await call(studio.evolve, body.get("parents"), body.get("strength", 0.3),
                                       body.get("version")))

    async def branch(request):
        body = await _body(request)
        return JSONResponse(await call(studio.branch, body.get("id"), body.get("strength", 0.3), body.get("version")))

    async def back(request):
        body = await _body(request)
        return JSONResponse(await call(studio.back, body.get("version")))

    async def new(request):
        body = await _body(request)
        return JSONResponse(await call(studio.new, body.get("kind"), body.get("version")))

    async def upload(request):
        data = await _read(request, MAX_UPLOAD,
                           f"upload: the file is over the limit of {MAX_UPLOAD // 1024 // 1024} MB")
        return JSONResponse({"upload": await call(studio.upload, data)})

    async def steer(request):
        body = await _body(request)
        return JSONResponse(await call(studio.steer, body.get("id"), body.get("objective"), body.get("target"),
                                       body.get("steps", 50), body.get("size", 128), body.get("version")))

    def task_route(method, *names):
        async def route(request):
            body = await _body(request)
            return JSONResponse(await call(getattr(studio, method), body.get("id"), *(body[n] for n in names
                                                                                        if n in body)))
        return route

    async def task(request):
        return JSONResponse(studio.task(request.path_params["task"]).view())

    async def frame(request):
        picture = studio.task(request.path_params["task"]).frame
        if picture is None:
            return _error("no frame yet", 404)
        return Response(picture, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def download(request):
        done = studio.task(request.path_params["task"])
        if not done.file:
            return _error("nothing to download yet", 404)
        return FileResponse(done.file, filename=done.download)

    routes = [
        Route("/", index),
        Route("/api/state", _guard(state)),
        Route("/api/thumb/{genome}", _guard(thumb)),
        Route("/api/evolve", _guard(evolve), methods=["POST"]),
        Route("/api/branch", _guard(branch), methods=["POST"]),
        Route("/api/back", _guard(back), methods=["POST"]),
        Route("/api/new", _guard(new), methods=["POST"]),
        Route("/api/upload", _guard(upload), methods=["POST"]),
        Route("/api/steer", _guard(steer), methods=["POST"]),
        Route("/api/render", _guard(task_route("render", "size")), methods=["POST"]),
        Route("/api/export", _guard(task_route("export")), methods=["POST"]),
        Route("/api/gif", _guard(task_route("gif")), methods=["POST"]),
        Route("/api/svg", _guard(task_route("svg", "size")), methods=["POST"]),
        Route("/api/task/{task}", _guard(task)),
        Route("/api/task/{task}/frame", _guard(frame)),
        Route("/api/task/{task}/download", _guard(download)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, loopback_only=loopback_only)])
