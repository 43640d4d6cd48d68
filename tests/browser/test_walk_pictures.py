"""Pictures a walk of the later chapters found hard to read, checked as a learner sees them.

Each test opens a chapter at phone (390 px) or laptop (1200 px) width in Chromium and
measures the rendered boxes (getBoundingClientRect) of what used to be cut, piled up or
unreadable: sampling's token rows on a phone, kv-cache's model table and long bar
labels, serving's roofline axis title and its batch timeline before a run, and the
evaluation chips' text after a switch to the dark theme.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SMOLLM2_MS
from tests.browser.viewports import open_at

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1200, "height": 900}
MIN_CONTRAST = 4.5  # WCAG AA for body text


def test_sampling_rows_on_a_phone_keep_whole_names_on_the_line_of_their_numbers(browser, server):
    context, page, errors = open_at(browser, server, PHONE, "sampling")
    demo = page.locator('.demo[data-demo="filters"]')
    expect(demo.locator(".sp-row").first).to_be_visible(timeout=SMOLLM2_MS)
    rows = demo.locator(".sp-row").evaluate_all("""(rows) => rows.map((r) => {
        const name = r.querySelector('.sp-name'), n = name.getBoundingClientRect(),
              c = r.querySelector('.sp-count').getBoundingClientRect(), b = r.querySelector('.sp-bars').getBoundingClientRect();
        return {text: name.textContent, cut: name.scrollWidth > name.clientWidth + 1,
                sameLine: Math.abs(n.top - c.top) < n.height, barsBelow: b.top >= n.bottom - 1};
    })""")
    context.close()
    assert not errors, errors
    assert len(rows) >= 5, rows
    assert not [r for r in rows if r["cut"]], rows  # "·something" was "·somethi…"
    assert all(r["sameLine"] and r["barsBelow"] for r in rows), rows


def test_kv_cache_model_table_fits_a_laptop_with_short_rows_and_visible_sources(browser, server):
    context, page, errors = open_at(browser, server, LAPTOP, "kv-cache")
    demo = page.locator('.demo[data-demo="memory"]')
    expect(demo.locator("tr.kv-model").first).to_be_visible()
    got = demo.evaluate("""(d) => {
        const box = d.querySelector('.scroll-x'), table = box.querySelector('table');
        return {table: table.getBoundingClientRect().width, box: box.clientWidth,
                rows: [...d.querySelectorAll('tr.kv-model')].map((r) => r.getBoundingClientRect().height),
                line: parseFloat(getComputedStyle(table).fontSize) * 1.6,
                sources: [...d.querySelectorAll('.kv-source')].map((s) => s.textContent)};
    }""")
    context.close()
    assert not errors, errors
    assert got["table"] <= got["box"] + 1, got  # no sideways scroll on a laptop
    assert max(got["rows"]) <= 2 * got["line"], got  # each model's numbers on about one line (they took ~8)
    assert len(got["sources"]) == len(got["rows"]) and all(s.startswith("source: ") for s in got["sources"]), got


def test_kv_cache_sources_stay_on_screen_on_a_phone(browser, server):
    context, page, errors = open_at(browser, server, PHONE, "kv-cache")
    source = page.locator('.demo[data-demo="memory"] .kv-source div').nth(1)
    expect(source).to_be_visible()
    source.scroll_into_view_if_needed()
    right = source.evaluate("(s) => s.getBoundingClientRect().right")
    width = page.evaluate("document.documentElement.clientWidth")
    context.close()
    assert not errors, errors
    assert right <= width, (right, width)


def test_long_bar_labels_are_whole_on_a_laptop(browser, server):
    context, page, errors = open_at(browser, server, LAPTOP, "kv-cache")
    labels = page.locator('.demo[data-demo="gqa"] .bar-label')
    expect(labels).to_have_count(3)
    texts = labels.all_text_contents()
    context.close()
    assert not errors, errors
    assert "3 kv heads (grouped-query)" in texts, texts  # was "3 kv heads (grouped-qu…"
    assert not [t for t in texts if t.endswith("…")], texts


def test_roofline_axis_titles_stay_inside_the_picture_on_a_phone(browser, server):
    context, page, errors = open_at(browser, server, PHONE, "serving")
    chart = page.locator('.demo[data-demo="roofline"] svg.chart')
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "(s) => Math.abs(s.viewBox.baseVal.width - s.getBoundingClientRect().width) <= 1", arg=chart.element_handle()
    )
    got = chart.evaluate("""(s) => { const r = s.getBoundingClientRect();
        return [...s.querySelectorAll('.axis-label')].map((t) => { const b = t.getBoundingClientRect();
            return {text: t.textContent, inside: b.left >= r.left - 1 && b.right <= r.right + 1 && b.bottom <= r.bottom + 1}; }); }""")
    context.close()
    assert not errors, errors
    assert got and all(t["inside"] for t in got), got  # the 60-character x title ran out on both sides


def test_batch_timeline_is_not_an_empty_box_before_a_run(page):
    page.open_chapter("serving")
    demo = page.locator('.demo[data-demo="batch"]')
    expect(demo.get_by_text("Fire the requests")).to_be_visible()
    expect(demo.locator("svg.sv-batch-chart")).to_be_hidden()


def _contrast(a, b):
    def lum(rgb):
        def lin(v):
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b_ = (lin(x) for x in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_evaluation_chips_stay_readable_after_switching_to_dark(browser, server):
    context = browser.new_context(viewport=LAPTOP, color_scheme="light")
    page = context.new_page()
    page.goto(f"{server}/chapters/evaluation")
    page.wait_for_selector("body[data-demos-ready]")
    chips = page.locator('.demo[data-demo="choice"] .ev-tok')
    expect(chips.first).to_be_visible(timeout=SMOLLM2_MS)
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    pairs = chips.evaluate_all("""(cs) => cs.map((c) => { const s = getComputedStyle(c);
        const rgb = (v) => v.match(/[\\d.]+/g).slice(0, 3).map(Number);
        return [c.textContent, rgb(s.color), rgb(s.backgroundColor)]; })""")
    context.close()
    low = [(t, round(_contrast(fg, bg), 2)) for t, fg, bg in pairs if _contrast(fg, bg) < MIN_CONTRAST]
    assert pairs and not low, low  # light text on chips coloured while the page was light


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_pages_of_the_walk_do_not_scroll_sideways(browser, server, viewport):
    for slug in ("sampling", "kv-cache", "serving"):
        context, page, errors = open_at(browser, server, viewport, slug)
        page.wait_for_timeout(500)
        over = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        context.close()
        assert not errors, errors
        assert over <= 1, (slug, over)


def test_a_reference_lines_label_has_a_halo_so_a_crossing_curve_does_not_hide_it(page):
    # hallucination's abstain chart: its curve ran through "answer everything: 62.5%"
    page.goto(page.base + "/")
    got = page.evaluate("""async () => {
        const { lineChart } = await import('/static/js/components/linechart.js');
        const box = document.createElement('div');
        box.className = 'demo-picture';
        document.querySelector('main').prepend(box);
        const chart = lineChart(box, { xLabel: 'x', yLabel: 'y', series: [{ name: 'a' }] });
        chart.set('a', [[0, 0], [1, 1]]);
        chart.hline('base', 0.5, 'answer everything: 50%');
        chart.redraw();
        const s = getComputedStyle(box.querySelector('.ref-label'));
        const surface = getComputedStyle(document.documentElement).getPropertyValue('--surface').trim();
        const probe = document.createElement('div');
        probe.style.color = surface;
        document.body.append(probe);
        return { paintOrder: s.paintOrder, stroke: s.stroke, surface: getComputedStyle(probe).color,
                 width: parseFloat(s.strokeWidth) };
    }""")
    assert got["paintOrder"].startswith("stroke"), got
    assert got["stroke"] == got["surface"] and got["width"] >= 2, got


def test_long_turned_column_labels_of_a_heatmap_are_whole_inside_it_on_a_phone(browser, server):
    # post-training's reward weights: "share of vowels" was cut at the top, "a real name" at the right
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(server + "/")
    got = page.evaluate("""async () => {
        const { heatmap } = await import('/static/js/components/heatmap.js');
        const box = document.createElement('div');
        box.className = 'demo-picture';
        document.querySelector('main').prepend(box);
        const names = ['length / 10', 'share of vowels', 'ends in a vowel', 'a doubled letter', 'a rare letter', 'a real name'];
        heatmap(box, { scale: 'diverging', cell: 58 }).update([[-3.4, -0.2, 0.1, -1.8, 1.7, 0.8]], ['weight'], names);
        const s = box.querySelector('svg').getBoundingClientRect();
        return { svg: [s.left, s.top, s.right], labels: [...box.querySelectorAll('.col-label')].map((t) => {
            const b = t.getBoundingClientRect(); return [t.textContent, b.left, b.top, b.right]; }) };
    }""")
    context.close()
    left, top, right = got["svg"]
    assert len(got["labels"]) == 6 and all(text for text, *_ in got["labels"]), got
    out = [label for label in got["labels"] if label[2] < top - 1 or label[3] > right + 1 or label[1] < left - 1]
    assert not out, (got["svg"], out)


def test_rag_quality_table_says_what_its_numbers_are(page):
    page.open_chapter("rag")
    demo = page.locator('.demo[data-demo="quality"]')
    demo.get_by_role("button", name="Measure all three").click()
    expect(demo.locator(".rag-quality caption")).to_contain_text("ranked the document that answers", timeout=60_000)
