"""The bundler that turns a widget's entry and the guide's components into one ES module, and the widgets' CSS.

Whether the bundle runs is checked in Chromium (tests/browser/test_widgets.py);
here: what it contains, that each module keeps its own scope, and that an
import form it cannot rewrite fails loudly.
"""

import re

import pytest

from glasslm.widgets.bundle import STATIC, WIDGET_JS, BundleError, bundle
from glasslm.widgets.style import widget_css

ENTRIES = sorted(p.name for p in WIDGET_JS.glob("*.js") if p.name != "common.js")


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_widget_bundles_into_one_module_of_the_guides_own_components(entry):
    js = bundle(entry)
    assert not re.search(r"^\s*import\b", js, re.M), "an import was left for the blob URL to fail on"
    assert len(re.findall(r"^export default ", js, re.M)) == 1
    assert not re.search(r"^export (function|const|class|let|\{)", js, re.M)
    modules = re.findall(r'^__glasslm\["([^"]+)"\] = ', js, re.M)
    assert len(modules) == len(set(modules)), "a module was inlined twice"
    assert "widgets/js/common.js" in modules
    for name in modules:
        if name.startswith("web/static/"):  # the real file's text is in the bundle, not a copy kept elsewhere
            body = (STATIC.parent.parent / name).read_text(encoding="utf-8").splitlines()
            assert all(line in js for line in body if not line.startswith(("import", "export")))
    assert js.index("globalThis.d3") < js.index("__glasslm = {}")  # D3 is there before any component runs


def test_modules_keep_their_own_scope_and_imports_become_reads(tmp_path):
    (tmp_path / "a.js").write_text("const W = 1;\nexport function a() { return W; }\nexport const b = 2;\n")
    (tmp_path / "c.js").write_text("const W = 3;\nfunction h() {}\nfunction g() {}\nexport { h, g as gee };\n")
    (tmp_path / "entry.js").write_text(
        'import { a, b as bee } from "./a.js";\nimport { h } from "./c.js";\nexport default { render() { a(); } };\n'
    )
    js = bundle(tmp_path / "entry.js")
    a_key, c_key = (tmp_path / "a.js").as_posix(), (tmp_path / "c.js").as_posix()
    assert f'__glasslm["{a_key}"] = (() => {{\nconst W = 1;' in js and "return { a, b };\n})();" in js
    assert "return { h, gee: g };" in js  # g is exported under the name gee
    assert f'const {{ a, b: bee }} = __glasslm["{a_key}"];' in js
    assert js.index(a_key) < js.index(c_key) < js.index("export default")


def test_what_the_bundler_cannot_rewrite_is_an_error(tmp_path):
    (tmp_path / "star.js").write_text('import * as d3 from "./d3.js";\n')
    with pytest.raises(BundleError, match="star.js:1: the bundler does not know"):
        bundle(tmp_path / "star.js")
    (tmp_path / "bare.js").write_text('import { x } from "lodash";\n')
    with pytest.raises(BundleError, match="cannot bundle the import 'lodash'"):
        bundle(tmp_path / "bare.js")
    (tmp_path / "one.js").write_text('import { b } from "./two.js";\nexport const a = 1;\n')
    (tmp_path / "two.js").write_text('import { a } from "./one.js";\nexport const b = 1;\n')
    with pytest.raises(BundleError, match="cycle"):
        bundle(tmp_path / "one.js")
    with pytest.raises(BundleError, match="no widget front end called 'nope.js'"):
        bundle("nope.js")


def test_the_css_brings_the_theme_and_scopes_the_component_rules():
    css = widget_css()
    assert re.search(r":root \{ color-scheme: light;.*--seq-1: #1f5fbf", css, re.S)
    assert ':root:has(body[data-jp-theme-light="false"])' in css  # JupyterLab's dark theme gets the dark set
    rules = [line for line in css.splitlines() if line.startswith(".")]
    assert rules and all(r.startswith((".glasslm-widget ", ".glasslm-widget,")) for r in rules)
    assert ".glasslm-widget .bars rect.bar {" in css and ".glasslm-widget .token-3 {" in css
    assert not re.search(r"^(body|main|html|\.topbar)\b", css, re.M)  # nothing for the notebook's own page
