"""``custseg serve``: a published run's segments over HTTP (FastAPI), for a CRM that asks for a segment.

* ``GET /segments`` — the segments: id, name, customers, share;
* ``GET /model`` — the model card (features and their kinds, snapshot rule, versions);
* ``POST /assign`` — ``{"customers": [{"customer_id": "C1", "<feature>": value, …}, …]}`` →
  ``{"assignments": [{"customer_id", "segment_id", "segment_name"}, …]}``.

A request with a missing feature, a value that is not a number, a label the run never saw or too many
customers gets a 422 that names the customer and the problem; a body over the size limit gets a 413. With
an API key every request needs ``Authorization: Bearer <key>`` (401 otherwise). It binds to 127.0.0.1
unless told otherwise.
"""

import os
import secrets

import pandas as pd

from custseg import scoring
from custseg.errors import ConfigError, SourceError

MAX_BODY_BYTES = 2_000_000  # a request body above this is refused (413) before it is parsed


class _TooLarge(Exception):
    pass


class LimitBody:
    """ASGI middleware: refuse request bodies over ``max_bytes`` (by Content-Length, and while reading)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and int(length) > self.max_bytes:
            return await self._refuse(send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send):
        body = f'{{"detail": "request body over {self.max_bytes:,} bytes: send fewer customers per request"}}'
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body.encode()})


def create_app(saved: scoring.SavedRun, api_key: str | None = None, max_customers: int = 1000,
               max_body_bytes: int = MAX_BODY_BYTES):
    """The FastAPI app serving ``saved`` (see the module docstring)."""
    from typing import Any

    from fastapi import Depends, FastAPI, HTTPException, Request
    from pydantic import BaseModel, Field

    class Customers(BaseModel):
        customers: list[dict[str, Any]] = Field(min_length=1, max_length=max_customers)

    def authorised(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), api_key.encode()):
            raise HTTPException(401, "send the API key as 'Authorization: Bearer <key>'",
                                headers={"WWW-Authenticate": "Bearer"})

    app = FastAPI(title=f"custseg · {saved.card['run']}", dependencies=[Depends(authorised)],
                  description="Assign customers to the segments of a published custseg run.")

    @app.get("/segments")
    def segments() -> list[dict]:
        return saved.card["segments"]

    @app.get("/model")
    def model() -> dict:
        return saved.card

    @app.post("/assign")
    def assign(body: Customers) -> dict:
        table = pd.DataFrame(body.customers)
        try:
            result = scoring.assign(saved, table)
        except SourceError as err:
            raise HTTPException(422, str(err)) from None
        bad = result[result["problem"].notna()]
        if not bad.empty:
            raise HTTPException(422, [{"customer": int(i), "customer_id": row.customer_id, "problem": row.problem}
                                      for i, row in bad.iterrows()])
        return {"assignments": [{"customer_id": r.customer_id, "segment_id": int(r.segment_id),
                                 "segment_name": r.segment_name} for r in result.itertuples()]}

    app.add_middleware(LimitBody, max_bytes=max_body_bytes)
    return app


def main(saved: scoring.SavedRun, host: str = "127.0.0.1", port: int = 8000, api_key_env: str | None = None,
         max_customers: int = 1000) -> None:
    """Run the app with uvicorn until stopped (Ctrl-C)."""
    try:
        import fastapi  # noqa: F401 - create_app needs it
        import uvicorn
    except ImportError:
        raise ConfigError("custseg serve needs FastAPI and uvicorn: pip install 'custseg[serve]'") from None
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ConfigError(f"--api-key-env {api_key_env}: the environment variable {api_key_env} is not set")
    print(f"serving run {saved.card['run']} on http://{host}:{port} (POST /assign, GET /segments, GET /model"
          f"{'; every request needs the API key' if api_key else ''})", flush=True)
    uvicorn.run(create_app(saved, api_key, max_customers), host=host, port=port, log_level="warning")
