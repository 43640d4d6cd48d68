"""Shared fixtures: the ASGI app in-process, and the real CLI in Chromium.

- `sse`: reads a background job's server-sent events through `client`.
- `client`: a TestClient of a fresh app (server errors become 500 answers,
  as a learner would see them, rather than exceptions in the test).
- `server`: the real `glasslm` CLI started on a free port, once per session;
  its output is printed if it fails to start.
- `smollm2`: the real SmolLM2 model, loaded once per session.
- `page`: a fresh Chromium page (with `page.base`, the server's URL, and
  `page.open_chapter(slug)`, which waits until the chapter's demos mounted) (Debian's /usr/bin/chromium, never a
  downloaded browser) that fails the test if the page logs a console error
  or throws. 4xx answers are expected in bad-input tests and are ignored.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy  # noqa: F401  (loads OpenBLAS, so the limit below has a library to limit)
import pytest
from threadpoolctl import threadpool_limits

# One BLAS thread for the tests, as the server uses on 2 cores: two threads
# can stall badly when another process (Chromium, the test server) is busy.
threadpool_limits(1, user_api="blas")

from tests.api.local import LOCAL  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GLASSLM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 60
WARM_UP_S = 300


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def client():
    from fastapi.testclient import TestClient

    from glasslm.web.app import create_app

    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def sse(client):
    """sse(job_id, until=None, via=None): the job's server-sent events, read
    through `client` (or another TestClient `via`) until `until(event)` is
    true or the job's "end" event (included)."""
    import json

    def read(job: str, until=None, via=None) -> list[dict]:
        out = []
        with (via or client).stream("GET", f"/api/jobs/{job}/events") as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                out.append(json.loads(line[5:]))
                if out[-1]["type"] == "end" or (until and until(out[-1])):
                    break
        return out

    return read


@pytest.fixture(scope="session")
def server():
    """Base URL of the real CLI serving the guide on a free port."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "glasslm", "serve", "--port", "0", "--no-browser"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url, lines = None, []
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline and url is None:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if m:
            url = m.group(1)
    ok = False
    while url and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as r:
                ok = r.status == 200
                break
        except OSError:
            time.sleep(0.2)
    if not ok:
        proc.kill()
        rest = proc.stdout.read() if proc.stdout else ""
        pytest.fail("glasslm did not start. Its output:\n" + "".join(lines) + rest)
    # Load SmolLM2 once before any page needs it (a first load converts and
    # caches its weights), so no browser test spends its timeout on that.
    try:
        urllib.request.urlopen(url + "api/weights/parameter-counts", timeout=WARM_UP_S).read()
    except OSError as e:
        proc.kill()
        pytest.fail(f"glasslm started but could not load its models: {e}\n" + "".join(lines))
    # Drain the server's output in the background so it never blocks on a full pipe.
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    yield url.rstrip("/")
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: run `make test`, which installs Debian's chromium.")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


_IGNORED = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on(
        "console",
        lambda m: (
            errors.append(f"console.{m.type}: {m.text}") if m.type == "error" and not _IGNORED.search(m.text) else None
        ),
    )
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.base = server
    pg.console_errors = errors

    def open_chapter(slug: str):
        """Go to a chapter and wait until all its demos have mounted."""
        pg.goto(f"{server}/chapters/{slug}")
        pg.wait_for_selector("body[data-demos-ready]")
        return pg

    pg.open_chapter = open_chapter
    yield pg
    context.close()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def smollm2():
    """The real SmolLM2-135M-Instruct (load_smollm2(): one shared instance, loaded once)."""
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    return load_smollm2()


@pytest.fixture(scope="session")
def hf_smollm2():
    """Hugging Face transformers' LlamaForCausalLM read from the same GGUF (its own reader,
    dequantizer and Llama code, eager attention so it can return attention weights): the
    independent truth several engine tests check SmolLM2 against, loaded once (about 15 s)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import AutoModelForCausalLM

    from glasslm.assets import smollm2_gguf_path

    path = smollm2_gguf_path()
    hf = AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32, attn_implementation="eager"
    )
    return hf.eval()


@pytest.fixture(scope="session")
def smollm2_pair():
    """Our SmolLM2 tokenizer and the Hugging Face reference built from the same GGUF
    (engine and API tests both check against it)."""
    gguf = pytest.importorskip("gguf")
    tokenizers = pytest.importorskip("tokenizers")
    from glasslm import assets
    from glasslm.engine.tokenizers.pretrained_tokenizers import tokenizer_from_gguf

    reader = gguf.GGUFReader(assets.smollm2_gguf_path())
    fields = reader.fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    types = fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(m.split(" ")) for m in fields["tokenizer.ggml.merges"].contents()]
    model = tokenizers.models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges)
    plain = tokenizers.Tokenizer(model)
    pre = tokenizers.pre_tokenizers
    plain.pre_tokenizer = pre.Sequence(
        [pre.Digits(individual_digits=True), pre.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    plain.decoder = tokenizers.decoders.ByteLevel()
    with_special = tokenizers.Tokenizer.from_str(plain.to_str())
    with_special.add_special_tokens([tokenizers.AddedToken(t, special=True) for t, k in zip(tokens, types) if k == 3])
    # Built fresh from the file (smollm2_tokenizer() may come from the disk cache).
    return tokenizer_from_gguf(reader, "SmolLM2"), plain, with_special
