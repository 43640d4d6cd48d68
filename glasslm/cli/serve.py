"""`glasslm serve`: start the guide's web server and open it in a browser.

The same server answers OpenAI-compatible requests under /v1 (glasslm/web/openai_api.py)."""

from __future__ import annotations

import os
import socket
import sys
import threading
import webbrowser

from glasslm.web.limits import MAX_JOBS_GLOBAL, MAX_JOBS_PER_SESSION

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_JOBS_SETTING = 64  # each run may hold a core: more than this is a mistake on any machine
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the guide (the default command)",
        description="Serve the guide on HOST:PORT and open it in the browser.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; a free one is chosen if it is taken; 0 = any free port)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser, only print the address")
    p.add_argument(
        "--blas-threads",
        type=int,
        default=default_blas_threads(),
        help="threads for numpy's matrix products (default: half the cores, at least 1; "
        "on 2 cores one thread stays steady while two can stall under load)",
    )
    p.add_argument(
        "--jobs-per-learner",
        type=int,
        default=MAX_JOBS_PER_SESSION,
        metavar="N",
        help=f"background runs (training, sweeps) one browser may have going at once (default {MAX_JOBS_PER_SESSION})",
    )
    p.add_argument(
        "--max-jobs",
        type=int,
        default=MAX_JOBS_GLOBAL,
        metavar="N",
        help=f"background runs on the whole server at once (default {MAX_JOBS_GLOBAL}, for 2 cores; "
        "a bigger machine serving a class can allow more)",
    )
    p.add_argument(
        "--model",
        metavar="FILE",
        default=None,
        help="a tiny GPT checkpoint (from `glasslm train --out` or `glasslm train-torch`) every learner "
        'may pick as "your model" in the chapters that run a tiny GPT',
    )
    p.set_defaults(func=run)


def load_server_model(path: str):
    """The --model checkpoint as the model every session sees; CheckpointError says what is wrong."""
    from pathlib import Path

    from glasslm.engine.models.tiny.gpt import CheckpointError, TinyGPT
    from glasslm.web.my_models import MyModel

    model = TinyGPT.from_checkpoint(path)
    if model.tokenizer is None:
        raise CheckpointError(f"{Path(path).name} stores no characters beside its weights, so it cannot write text")
    if not model.config.microgpt_layout:
        raise CheckpointError(
            f"{Path(path).name} uses the architecture lab's switches; the demos that open your model run "
            "microgpt's layout only"
        )
    return MyModel(name=Path(path).stem, model=model, origin="server")


def default_blas_threads() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


def _bind(host: str, port: int) -> socket.socket:
    """Bind the port asked for, or any free one if it is taken."""
    for candidate in (port, 0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, candidate))
            return s
        except OSError:
            s.close()
            if candidate == 0:
                raise
            print(f"Port {port} is taken; choosing a free one.", file=sys.stderr)
    raise AssertionError("unreachable")


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args) -> int:
    import uvicorn

    from glasslm.web.app import create_app

    if not 0 <= args.port <= 65535:
        print(f"--port must be between 0 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    if not 1 <= args.blas_threads <= 256:
        print(f"--blas-threads must be between 1 and 256, not {args.blas_threads}.", file=sys.stderr)
        return 2
    for name, value in (("--jobs-per-learner", args.jobs_per_learner), ("--max-jobs", args.max_jobs)):
        if not 1 <= value <= MAX_JOBS_SETTING:
            print(f"{name} must be between 1 and {MAX_JOBS_SETTING}, not {value}.", file=sys.stderr)
            return 2
    server_model = None
    if args.model:
        from glasslm.engine.models.tiny.gpt import CheckpointError

        try:
            server_model = load_server_model(args.model)
        except CheckpointError as err:
            print(f"--model: {err}.", file=sys.stderr)
            return 2
    from threadpoolctl import threadpool_limits

    from glasslm import assets
    from glasslm.web.jobs import JobManager

    threadpool_limits(args.blas_threads, user_api="blas")  # for the whole process
    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    url = f"http://{args.host}:{port}/"
    print(f"glasslm is serving the guide at {url}  (Ctrl+C to stop)", flush=True)
    if args.host not in LOOPBACK:
        print(
            f"Warning: listening on {args.host}, so anyone on your network who can reach this machine can "
            "use the guide and start runs on it. Serve a class like this only on a network you trust "
            "(see README, 'Serving a class').",
            file=sys.stderr,
            flush=True,
        )
    try:
        assets.cache_dir()
    except assets.UnusableCache as err:
        print(f"Warning: {err} Until then the SmolLM2 demos cannot run.", file=sys.stderr, flush=True)
    print(f"OpenAI-compatible API: point any OpenAI client at {url}v1", flush=True)
    if not args.no_browser and _has_display():
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    jobs = JobManager(per_session=args.jobs_per_learner, global_limit=args.max_jobs)
    app = create_app(jobs=jobs, hosts=(args.host,), preload=True, model=server_model)
    if server_model:
        m = server_model.model
        print(f"Your model for every learner: {server_model.name} ({m.n_params:,} parameters)", flush=True)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    server = _quiet_server(uvicorn.Server)(config)
    server.jobs = jobs
    server.run(sockets=[sock])
    return 0


def _quiet_server(base):
    """uvicorn's Server, ending open event streams as soon as Ctrl+C arrives: they then
    close on their own instead of being cancelled mid-wait (a CancelledError traceback)."""

    class QuietServer(base):
        jobs = None

        def handle_exit(self, sig, frame):
            if self.jobs is not None:
                self.jobs.closing = True
            super().handle_exit(sig, frame)

    return QuietServer
