"""One ES module from the guide's own front-end files, for anywidget.

anywidget loads a widget's `_esm` as a single module from a blob URL, so the
`import { heatmap } from "/static/js/components/heatmap.js"` lines the guide's
pages use cannot resolve there. Rather than keep copies of the components (or a
build step with node), `bundle(entry)` reads the widget's entry file and every
module it imports, transitively, from the installed package, and writes them
into one module string:

    const __glasslm = {};
    __glasslm["web/static/js/components/format.js"] = (() => { ...format.js...; return { pct, fixed }; })();
    __glasslm["web/static/js/components/heatmap.js"] = (() => {
      const { fixed } = __glasslm["web/static/js/components/format.js"];   // was: import { fixed } from "./format.js"
      ...heatmap.js...; return { heatmap };
    })();
    ...the entry's own code, with its imports rewritten the same way, and its `export default`...

Each module keeps its own scope (two files may both define `W`), modules run
in dependency order, each once. D3, which the components read as `window.d3`,
is the guide's vendored copy, run first if the page has none (its UMD wrapper is
given no `define`, so Jupyter's RequireJS cannot capture it).

The rewrite understands the import and export forms the guide's modules use,
`import { a, b as c } from "..."`, `export function|async function|class|const|let name`
and `export { a, b }`; any other form raises BundleError naming the file and line,
so a new kind of import fails loudly here instead of silently in a notebook.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # glasslm/
STATIC = PACKAGE / "web" / "static"  # the guide's /static/ folder
WIDGET_JS = Path(__file__).resolve().parent / "js"  # the widgets' own entry modules
D3 = STATIC / "vendor" / "d3" / "d3.min.js"

IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";?\s*$')
EXPORT_DECL = re.compile(r"^export\s+((?:async\s+)?function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)")
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\};?\s*$")
EXPORT_DEFAULT = re.compile(r"^export\s+default\s+")
ANY_MODULE_SYNTAX = re.compile(r"^(import|export)\b")


class BundleError(ValueError):
    """A front-end file the bundler cannot rewrite (an import form it does not know, a cycle)."""


def resolve(spec: str, importer: Path) -> Path:
    """The file an import specifier names: "/static/..." in the guide's static folder, "./x.js" beside the importer."""
    if spec.startswith("/static/"):
        path = STATIC / spec.removeprefix("/static/")
    elif spec.startswith(("./", "../")):
        path = (importer.parent / spec).resolve()
    else:
        raise BundleError(f"{importer.name}: cannot bundle the import {spec!r}: use /static/... or a relative path")
    if not path.is_file():
        raise BundleError(f"{importer.name}: the import {spec!r} names no file ({path})")
    return path


def _key(path: Path) -> str:
    """A module's name inside the bundle: its path in the glasslm package (web/static/js/..., widgets/js/...)."""
    return path.relative_to(PACKAGE).as_posix() if path.is_relative_to(PACKAGE) else path.as_posix()


def _names(listing: str) -> list[tuple[str, str]]:
    """`a, b as c` -> [("a", "a"), ("b", "c")]: (exported name, local name)."""
    out = []
    for part in listing.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) == 1:
            out.append((words[0], words[0]))
        elif len(words) == 3 and words[1] == "as":
            out.append((words[0], words[2]))
        else:
            raise BundleError(f"cannot read the import/export list {listing!r}")
    return out


def rewrite(path: Path, entry: bool = False) -> tuple[str, list[Path]]:
    """One module's body with imports turned into reads of `__glasslm`, and the files it imports.

    A module ends by returning its exports; the entry keeps `export default` (anywidget's contract).
    """
    lines, deps, exports = [], [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if m := IMPORT.match(line):
            dep = resolve(m.group(2), path)
            deps.append(dep)
            binds = ", ".join(a if a == b else f"{a}: {b}" for a, b in _names(m.group(1)))
            lines.append(f'const {{ {binds} }} = __glasslm["{_key(dep)}"];')
        elif m := EXPORT_DECL.match(line):
            exports.append(m.group(2))
            lines.append(line.removeprefix("export").lstrip())
        elif m := EXPORT_LIST.match(line):
            # `export { a as b }`: the local a is exported as b (import lists read the other way round)
            exports.extend(local if local == name else f"{name}: {local}" for local, name in _names(m.group(1)))
            lines.append("")
        elif entry and EXPORT_DEFAULT.match(line):
            lines.append(line)
        elif ANY_MODULE_SYNTAX.match(line):
            raise BundleError(f"{path.name}:{number}: the bundler does not know this import/export: {line.strip()}")
        else:
            lines.append(line)
    if not entry:
        lines.append(f"return {{ {', '.join(exports)} }};")
    return "\n".join(lines), deps


def _order(entry: Path) -> list[Path]:
    """The entry's imports, transitively, each after the modules it imports (a cycle is an error)."""
    done: list[Path] = []
    visiting: set[Path] = set()

    def visit(path: Path):
        if path in done:
            return
        if path in visiting:
            raise BundleError(f"{path.name} imports itself through a cycle: the bundle cannot order it")
        visiting.add(path)
        for dep in rewrite(path, entry=path == entry)[1]:
            visit(dep)
        visiting.discard(path)
        done.append(path)

    visit(entry)
    return done


def _d3_prelude() -> str:
    """Run the vendored D3 once, as a global, with its UMD wrapper's module loaders hidden."""
    return (
        "if (!globalThis.d3) {\n"
        "  (function (exports, module, define) {\n"
        f"{D3.read_text(encoding='utf-8')}\n"
        "  }).call(globalThis, undefined, undefined, undefined);\n"
        "}\n"
    )


@lru_cache(maxsize=None)
def bundle(entry: str | Path) -> str:
    """The ES module string for the widget entry file `entry` (a name in glasslm/widgets/js/, or a path)."""
    path = WIDGET_JS / entry
    if not path.is_file():
        raise BundleError(f"no widget front end called {str(entry)!r} in {WIDGET_JS}")
    parts = [f"// glasslm widget {entry}, bundled by glasslm.widgets.bundle from the guide's modules", _d3_prelude()]
    parts.append("const __glasslm = {};")
    for module in _order(path):
        body, _ = rewrite(module, entry=module == path)
        if module == path:
            parts.append(f"// ---- {_key(module)}\n{body}")
        else:
            parts.append(f'// ---- {_key(module)}\n__glasslm["{_key(module)}"] = (() => {{\n{body}\n}})();')
    return "\n".join(parts) + "\n"
