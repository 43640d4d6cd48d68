"""The ASGI app: pages, static files, every chapter's API, jobs and sources.

`create_app()` assembles the guide. Each existing chapter (see
glasslm/chapters/registry.py) contributes its prose (chapter.md), its demo
module (demo.js) and, if it has one, its API router (api.py, mounted at
/api/<slug>). Every page has a JSON twin under /api/. /v1 is the OpenAI-compatible
API (openai_api.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import threading
from collections import deque
from pathlib import Path

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from glasslm import __version__
from glasslm.chapters.registry import Registry
from glasslm.engine.models.llama import smollm2
from glasslm.web import errors, markdown, my_models_api, openai_api, worker
from glasslm.web.errors import DemoError
from glasslm.web.guard import GuardMiddleware
from glasslm.web.jobs import JobManager
from glasslm.web.my_models import MyModel, MyModels
from glasslm.web.session import SessionMiddleware, session_id

WEB_DIR = Path(__file__).resolve().parent
REAP_EVERY_S = 2.0

# The "Under the hood" panel may show the source of engine code only.
SOURCE_PREFIX = "glasslm.engine."


def create_app(
    registry: Registry | None = None,
    jobs: JobManager | None = None,
    hosts: tuple[str, ...] = (),
    preload: bool = False,
    model: MyModel | None = None,
) -> FastAPI:
    """The guide's app. `hosts`: Host names answered besides the loopback ones (`--host`);
    preload: load SmolLM2 in a background thread at start (the server does; tests need not);
    model: a tiny GPT every learner may pick as theirs (`glasslm serve --model FILE`)."""
    registry = registry or Registry()
    jobs = jobs or JobManager()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        async def reaper():
            while True:
                await asyncio.sleep(REAP_EVERY_S)
                jobs.reap()

        task = asyncio.create_task(reaper())
        if preload:
            threading.Thread(target=smollm2.preload, name="smollm2-preload", daemon=True).start()
        threading.Thread(target=worker.warm_up, name="forkserver-warm-up", daemon=True).start()
        yield
        task.cancel()
        jobs.stop_all()

    app = FastAPI(
        title="glasslm",
        version=__version__,
        lifespan=lifespan,
        description="Every number in the guide comes from these endpoints.",
    )
    app.state.registry, app.state.jobs = registry, jobs
    app.state.caches, app.state.caches_lock = {}, threading.Lock()  # web/cache.py: app_cache
    app.state.shared_models, app.state.shared_models_lock = {}, threading.Lock()  # web/shared_models.py
    app.add_middleware(SessionMiddleware)
    app.state.my_models = MyModels(server=model)  # web/my_models.py: each learner's tiny GPTs
    app.add_middleware(  # added last: it runs first
        GuardMiddleware, hosts=hosts, body_limits={my_models_api.UPLOAD_PATH: my_models_api.MAX_UPLOAD_BYTES}
    )
    errors.install(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    templates = Jinja2Templates(directory=WEB_DIR / "templates")

    app.state.v1_log = deque(maxlen=openai_api.RECENT_REQUESTS)  # recent /v1 requests, for the serving chapter
    app.include_router(openai_api.router, prefix="/v1", tags=["openai"])
    app.include_router(my_models_api.router, prefix="/api/my-models", tags=["my-models"])
    for chapter in registry.chapters:
        if (chapter.folder / "api.py").exists():
            module = importlib.import_module(f"glasslm.chapters.{chapter.package}.api")
            app.include_router(module.router, prefix=f"/api/{chapter.slug}", tags=[chapter.slug])

    # ---------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        return templates.TemplateResponse(request, "index.html", {"parts": registry.by_part(), "version": __version__})

    @app.get("/chapters/{slug}", response_class=HTMLResponse, include_in_schema=False)
    def chapter_page(request: Request, slug: str):
        chapter = _chapter(registry, slug)
        prev, nxt = registry.neighbours(chapter)
        body = markdown.render_file(chapter.folder / "chapter.md")
        return templates.TemplateResponse(
            request,
            "chapter.html",
            {
                "chapter": chapter,
                "body": body,
                "prev": prev,
                "next": nxt,
                "version": __version__,
                "has_demos": (chapter.folder / "demo.js").exists(),
                "has_style": (chapter.folder / "style.css").exists(),
            },
        )

    @app.get("/chapters/{slug}/{name}.{ext}", include_in_schema=False)
    def chapter_file(slug: str, name: str, ext: str):
        """A chapter's own front-end files: its .js modules and its style.css."""
        chapter = _chapter(registry, slug)
        media = {"js": "text/javascript", "css": "text/css"}.get(ext)
        path = chapter.folder / f"{name}.{ext}"
        if media is None or not name.replace("_", "").replace("-", "").isalnum() or not path.exists():
            raise DemoError(f"The chapter '{slug}' has no file {name}.{ext}.", None, 404)
        return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})

    # ------------------------------------------------------- JSON twins

    @app.get("/api/chapters", tags=["guide"])
    def list_chapters():
        return {
            "parts": [
                {"number": n, "title": title, "chapters": [_meta(c) for c in chapters]}
                for n, title, chapters in registry.by_part()
            ]
        }

    @app.get("/api/chapters/{slug}", tags=["guide"])
    def chapter_json(slug: str):
        chapter = _chapter(registry, slug)
        prev, nxt = registry.neighbours(chapter)
        text = (chapter.folder / "chapter.md").read_text(encoding="utf-8")
        return {
            **_meta(chapter),
            "markdown": markdown.resolve(text),
            "demos": markdown.demo_names(text),
            "prev": prev.slug if prev else None,
            "next": nxt.slug if nxt else None,
        }

    @app.get("/api/source", tags=["guide"])
    def source(name: str = Query(..., max_length=200, description="module:qualname in glasslm.engine")):
        """The source of the engine function that computed a demo ("Under the hood")."""
        return engine_source(name)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return FileResponse(WEB_DIR / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True, "version": __version__}

    # ---------------------------------------------------------------- jobs

    @app.get("/api/models/smollm2", tags=["guide"])
    def smollm2_status():
        """Whether SmolLM2 is loaded yet (a page waiting on it shows this)."""
        return smollm2.load_status()

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def job_summary(job_id: str, session: str = Depends(session_id)):
        return jobs.get(session, job_id).summary()

    @app.post("/api/jobs/{job_id}/stop", tags=["jobs"])
    def job_stop(job_id: str, session: str = Depends(session_id)):
        return jobs.stop(session, job_id).summary()

    @app.get("/api/jobs/{job_id}/events", tags=["jobs"])
    def job_events(request: Request, job_id: str, after: int = Query(0, ge=0), session: str = Depends(session_id)):
        """Server-sent events of a run, from event number `after` to its end."""
        job = jobs.get(session, job_id)
        last = request.headers.get("last-event-id")
        start = int(last) if last and last.isdigit() else after
        return StreamingResponse(
            jobs.stream(job, request.is_disconnected, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return app


def _chapter(registry: Registry, slug: str):
    chapter = registry.get(slug)
    if chapter is None:
        raise DemoError(f"There is no chapter called '{slug}'. The guide's contents are at /.", None, 404)
    return chapter


def _meta(c) -> dict:
    return {
        "number": c.number,
        "slug": c.slug,
        "title": c.title,
        "part": c.part,
        "promise": c.promise,
        "minutes": c.minutes,
        "url": f"/chapters/{c.slug}",
    }


def engine_source(name: str) -> dict:
    """Source code of `module:qualname` inside glasslm.engine, as installed."""
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(SOURCE_PREFIX) or not module_name.replace(".", "").replace("_", "").isalnum():
        raise DemoError("Only the source of glasslm.engine code can be shown.", "name", 400)
    try:
        obj = importlib.import_module(module_name)
        for part in filter(None, qualname.split(".")):
            obj = getattr(obj, part)
        # A name may lead out of the engine (`module:np`, `module:json.loads`): only code
        # defined in glasslm.engine itself is shown.
        defined_in = getattr(inspect.getmodule(obj), "__name__", "")
        if not defined_in.startswith(SOURCE_PREFIX):
            raise LookupError(defined_in)
        lines, start = inspect.getsourcelines(obj)
        path = Path(inspect.getsourcefile(obj)).resolve()
        path.relative_to(WEB_DIR.parent)
    except (ImportError, AttributeError, TypeError, OSError, LookupError, ValueError):
        raise DemoError(f"There is no engine code called {name}.", "name", 404) from None
    return {
        "name": name,
        "file": f"glasslm/{path.relative_to(WEB_DIR.parent).as_posix()}",
        "line": start,
        "source": "".join(lines),
    }
