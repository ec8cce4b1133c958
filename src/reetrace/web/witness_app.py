"""The C2SP tlog-witness HTTP endpoint of a witness node: ``POST /add-checkpoint``."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from reetrace.errors import Error
from reetrace.log.errors import WitnessError
from reetrace.witnessing import WitnessNode


def create_witness_app(node: WitnessNode) -> FastAPI:
    app = FastAPI(title="reetrace witness", openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > 64 * 1024:
            return Response("request too large\n", status_code=400, media_type="text/plain")
        try:
            lines = node.witness().add_checkpoint(body)
        except WitnessError as exc:
            if exc.http_status == 409:
                return Response(f"{exc.current_size}\n", status_code=409, media_type="text/x.tlog.size")
            return Response(exc.message + "\n", status_code=exc.http_status, media_type="text/plain")
        except Error as exc:
            return Response(exc.message + "\n", status_code=400, media_type="text/plain")
        return Response(lines, status_code=200, media_type="text/plain; charset=utf-8")

    @app.get("/")
    async def about() -> Response:
        return Response(f"reetrace witness {node.vkey}\n", media_type="text/plain")

    return app
