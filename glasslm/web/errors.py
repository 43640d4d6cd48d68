"""Errors a learner can read.

Every failed request answers with JSON `{"error": sentence, "field": name}`:
one plain sentence saying what was wrong and what to do, and the name of the
control that caused it (so the page can show the sentence right beside it).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from glasslm.assets import MissingAsset
from glasslm.engine.models.llama.batching import QueueFull

log = logging.getLogger("glasslm")


PARSE_ERROR = "There was an error parsing the body"  # FastAPI's words for a body json.loads refused
UNREADABLE_BODY = (
    "The request's body could not be read as JSON: send UTF-8 text with ordinary numbers "
    "(at most 4,300 digits) nested no deeper than a few hundred levels."
)


class DemoError(Exception):
    """A request the engine cannot honour, with a sentence for the learner.

    status: 400 bad input, 404 unknown thing, 409 wrong state, 413 too large,
    429 too many running jobs.
    """

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _field_path(err: dict) -> list[str]:
    """The field's path without where it came from ("body", "query", ...),
    so a field that happens to be called "query" keeps its name."""
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    return loc


def validation_sentence(err: dict) -> str:
    """One readable sentence from one pydantic error."""
    loc = _field_path(err)
    name = ".".join(loc) or "the request"
    kind, ctx, given = err.get("type", ""), err.get("ctx") or {}, err.get("input")
    you_gave = f" (you gave {_shown(given)})" if given is not None and kind != "missing" else ""
    sentences = {
        "missing": f"“{name}” is missing: please give a value.",
        "finite_number": f"“{name}” must be an ordinary finite number, not NaN or infinity.",
        "greater_than_equal": f"“{name}” must be at least {ctx.get('ge')}{you_gave}.",
        "greater_than": f"“{name}” must be more than {ctx.get('gt')}{you_gave}.",
        "less_than_equal": f"“{name}” must be at most {ctx.get('le')}{you_gave}.",
        "less_than": f"“{name}” must be less than {ctx.get('lt')}{you_gave}.",
        "string_too_short": f"“{name}” is empty: please type something.",
        "string_too_long": f"“{name}” is too long: at most {ctx.get('max_length')} characters, please.",
        "too_long": f"“{name}” has too many items: at most {ctx.get('max_length')}.",
        "too_short": f"“{name}” needs at least {ctx.get('min_length')} items.",
        "literal_error": f"“{name}” must be one of {ctx.get('expected')}{you_gave}.",
        "enum": f"“{name}” must be one of {ctx.get('expected')}{you_gave}.",
        "int_parsing": f"“{name}” must be a whole number{you_gave}.",
        "int_from_float": f"“{name}” must be a whole number{you_gave}.",
        "float_parsing": f"“{name}” must be a number{you_gave}.",
        "float_type": f"“{name}” must be a number{you_gave}.",
        "int_type": f"“{name}” must be a whole number{you_gave}.",
        "string_type": f"“{name}” must be text{you_gave}.",
        "int_parsing_size": f"“{name}” is far too large a whole number{you_gave}.",
        "bool_type": f"“{name}” must be true or false{you_gave}.",
        "bool_parsing": f"“{name}” must be true or false{you_gave}.",
        "list_type": f"“{name}” must be a list{you_gave}.",
        "dict_type": f"“{name}” must be an object of named values{you_gave}.",
        "model_type": f"“{name}” must be an object of named values{you_gave}.",
        "model_attributes_type": f"“{name}” must be an object of named values{you_gave}.",
        "string_pattern_mismatch": f"“{name}” does not have the expected form{you_gave}.",
        "extra_forbidden": f"“{name}” is not a setting this demo knows; please leave it out.",
        "json_invalid": "The request was not valid JSON: send the settings as a JSON object.",
        "json_type": "The request was not valid JSON: send the settings as a JSON object.",
    }
    if kind in sentences:
        return sentences[kind]
    if kind == "value_error":  # our own validators' sentences, without pydantic's prefix
        return f"“{name}”: {str(err.get('msg', '')).removeprefix('Value error, ').rstrip('.')}."
    # Anything else: the guide's own words, never pydantic's.
    return f"“{name}” is not a value this demo can use{you_gave}."


def error_response(message: str, field: str | None, status: int) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [p for p in _field_path(first) if not p.isdigit()]  # weights.2 -> the "weights" control
        return error_response(validation_sentence(first), loc[-1] if loc else None, 422)

    @app.exception_handler(DemoError)
    async def _demo(request: Request, exc: DemoError):
        return error_response(exc.message, exc.field, exc.status)

    @app.exception_handler(QueueFull)
    async def _busy(request: Request, exc: QueueFull):
        return error_response(str(exc), None, 429)

    @app.exception_handler(MissingAsset)
    async def _missing(request: Request, exc: MissingAsset):
        return error_response(str(exc), None, 503)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "That request could not be served."
        if exc.status_code == 400 and message == PARSE_ERROR:
            message = UNREADABLE_BODY
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is nothing at {request.url.path}."
        if exc.status_code == 405:
            message = f"{request.url.path} does not answer {request.method} requests."
        return error_response(message, None, exc.status_code)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error_response(
            f"Something went wrong inside glasslm ({type(exc).__name__}). This is a bug: "
            "the server is still running; please try again or report it.",
            None,
            500,
        )
