"""The shared charts (lineChart, barChart, scatterPlot, heatmap) keep readable text on a phone.

They draw one viewBox unit per CSS pixel of their box, so on a 360 px wide screen their
tick labels and axis titles keep the 11 px the stylesheet gives them instead of shrinking
with the picture (they were about 6 px tall), while still filling their box without
sideways overflow; on a laptop a wide box does not blow the letters up either. Sizes are
the rendered boxes (getBoundingClientRect) of real chapters' charts in Chromium.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.viewports import open_at

PHONE = {"width": 360, "height": 800}
LAPTOP = {"width": 1200, "height": 900}
READABLE_PX = 10  # a tick label at least this tall (11 px text is about 12-13 px tall)
NOT_BLOWN_UP_PX = 16  # and at most this tall on a laptop (the old 963 px wide bars: 19 px)

# The shared components, told apart from a chapter's private SVG pictures.
SELECTORS = {
    "lineChart": ".chart-legend + svg.chart",
    "barChart": "svg.chart.bars",
    "scatterPlot": "svg.chart.scatter",
    "heatmap": "svg.chart.heatmap",
}
TEXT = ".tick text, .axis-label, .bar-label, .bar-value, .row-label"  # (a turned column label has no simple height)

# For every shown chart of one component: its box against its parent's, and the heights of its
# labels. It waits until the chart has redrawn at its shown width (viewBox width = CSS width).
MEASURE = (
    """(sel) => [...document.querySelectorAll(sel)].filter((s) => s.getBoundingClientRect().width > 0).map((s) => {
    const r = s.getBoundingClientRect(), p = s.parentElement.getBoundingClientRect();
    const texts = [...s.querySelectorAll(%r)].filter((t) => t.textContent.trim());
    return {left: r.left, right: r.right, width: r.width, parentLeft: p.left, parentRight: p.right,
            viewBoxWidth: s.viewBox.baseVal.width,
            // how tall the letters are: a rotated (y axis) title's box is as wide as its letters are tall
            heights: texts.map((t) => { const b = t.getBoundingClientRect();
                                        return /rotate/.test(t.getAttribute('transform') || '') ? b.width : b.height; }),
            top: r.top, bottom: r.bottom,
            textTop: Math.min(...texts.map((t) => t.getBoundingClientRect().top)),
            textBottom: Math.max(...texts.map((t) => t.getBoundingClientRect().bottom)),
            textLeft: Math.min(...texts.map((t) => t.getBoundingClientRect().left)),
            textRight: Math.max(...texts.map((t) => t.getBoundingClientRect().right))};
})"""
    % TEXT
)

# (a heatmap narrower than its box is scaled up, so its viewBox may be narrower than it is shown)
SETTLED = """(sel) => [...document.querySelectorAll(sel)].every((s) => {
    const w = s.getBoundingClientRect().width;
    return w === 0 || Math.abs(s.viewBox.baseVal.width - w) <= 1 || (s.classList.contains('heatmap') && s.viewBox.baseVal.width < w);
})"""


def charts(page, component):
    sel = SELECTORS[component]
    page.wait_for_function(SETTLED, arg=sel, timeout=5_000)
    found = page.evaluate(MEASURE, sel)
    assert found, f"no {component} shown on {page.url}"
    return found


# chapter, component; the tokens' bars in next-token are filled by the demo on load; reasoning
# has a 200 px tall chart whose y title ("loss (nats per written character)") is longer than that
CASES = [
    ("train-a-gpt", "lineChart"),
    ("learning-loop", "lineChart"),
    ("learning-loop", "scatterPlot"),
    ("reasoning", "lineChart"),
    ("next-token", "barChart"),
    ("embeddings", "barChart"),
    ("embeddings", "heatmap"),
    # the roofline's x title ("arithmetic intensity (FLOPs per byte of weights read, log scale)") is wider
    # than a phone's chart: it goes on two lines inside the chart instead of being cut at both ends
    ("serving", "lineChart"),
]


@pytest.mark.parametrize("slug,component", CASES)
def test_chart_text_is_readable_on_a_phone_and_the_chart_fits(browser, server, slug, component):
    context, page, errors = open_at(browser, server, PHONE, slug)
    if component == "barChart":
        expect(page.locator(".bar-row").first).to_be_visible()
    if component == "heatmap":
        expect(page.locator(".row-label").first).to_be_visible()
    for c in charts(page, component):
        if not c["heights"]:
            continue  # a heatmap a demo has not filled yet
        assert min(c["heights"]) >= READABLE_PX, (
            f"{slug} {component}: labels {min(c['heights']):.1f} px tall on a phone"
        )
        assert c["right"] <= c["parentRight"] + 1 and c["left"] >= c["parentLeft"] - 1, c
        assert c["width"] >= c["parentRight"] - c["parentLeft"] - 1, f"{slug} {component} does not fill its box: {c}"
        assert c["left"] - 1 <= c["textLeft"] and c["textRight"] <= c["right"] + 1, (
            f"{slug} {component}: text outside the chart {c}"
        )
        assert c["top"] - 1 <= c["textTop"] and c["textBottom"] <= c["bottom"] + 1, (
            f"{slug} {component}: text cut off {c}"
        )
        assert c["right"] <= PHONE["width"], c
    context.close()
    assert not errors, errors


@pytest.mark.parametrize(
    "slug,component", [("next-token", "barChart"), ("embeddings", "lineChart"), ("weights", "scatterPlot")]
)
def test_chart_text_is_not_blown_up_on_a_laptop(browser, server, slug, component):
    # next-token's bars and embeddings' layer chart span the whole 963 px wide demo
    context, page, errors = open_at(browser, server, LAPTOP, slug)
    if component == "barChart":
        expect(page.locator(".bar-row").first).to_be_visible()
    for c in charts(page, component):
        assert READABLE_PX <= max(c["heights"]) <= NOT_BLOWN_UP_PX, (
            f"{slug} {component}: labels {max(c['heights']):.1f} px on a laptop"
        )
        assert c["width"] >= c["parentRight"] - c["parentLeft"] - 1, c
    context.close()
    assert not errors, errors


def test_a_chart_redraws_at_its_new_width_when_the_window_narrows(page):
    page.open_chapter("train-a-gpt")
    before = charts(page, "lineChart")
    page.set_viewport_size(PHONE)
    page.wait_for_function(
        """(sel) => [...document.querySelectorAll(sel)].every((s) => s.viewBox.baseVal.width < 400)""",
        arg=SELECTORS["lineChart"],
    )
    after = charts(page, "lineChart")
    assert [c["viewBoxWidth"] for c in before] != [c["viewBoxWidth"] for c in after]
    assert min(min(c["heights"]) for c in after) >= READABLE_PX


def test_long_bar_labels_and_notes_stay_inside_a_narrow_chart(browser, server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(server + "/")
    got = page.evaluate("""async () => {
        const { barChart } = await import('/static/js/components/barchart.js');
        const box = document.createElement('div');
        box.className = 'demo-picture';
        document.querySelector('main').prepend(box);
        const long = 'documents removed because they repeat another one';
        barChart(box, { label: 'test' }).update([{ label: long, value: 0.9, note: '← chosen by the sampler' },
                                                 { label: 'short', value: 0.1 }]);
        const svg = box.querySelector('svg').getBoundingClientRect();
        const labels = [...box.querySelectorAll('.bar-label')];
        return { texts: labels.map((t) => t.textContent), svgLeft: svg.left,
                 left: Math.min(...labels.map((t) => t.getBoundingClientRect().left)), svgRight: svg.right,
                 right: Math.max(...[...box.querySelectorAll('.bar-value')].map((t) => t.getBoundingClientRect().right)),
                 title: box.querySelector('.bar-row title').textContent };
    }""")
    assert got["texts"][0].endswith("…") and "documents".startswith(got["texts"][0][:3]), got
    assert got["texts"][1] == "short"
    assert got["left"] >= got["svgLeft"] - 1, got
    assert got["right"] <= got["svgRight"] + 1, got  # the top bar shortened to leave room for its note
    assert got["title"].startswith("documents removed because they repeat another one")
    context.close()


def test_a_small_heatmap_in_a_wide_box_grows_its_cells_but_not_its_labels(page):
    # 3 x 3 cells of 16 px with labels: a 142 px drawing in a 963 px box (the old heatmap scaled
    # everything by 6.8, labels to 87 px tall); a heatmap too wide for a phone is test_chart_text_is_readable...
    page.goto(page.base + "/")
    build = """async (width) => {
        const { heatmap } = await import('/static/js/components/heatmap.js');
        const box = document.createElement('div');
        box.className = 'demo-picture';
        box.style.width = width + 'px';
        document.querySelector('main').prepend(box);
        heatmap(box, { cell: 16, showValues: false }).update([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]],
                                                             ['one', 'two', 'three'], ['a', 'b', 'c']);
        const svg = box.querySelector('svg').getBoundingClientRect();
        const cell = box.querySelector('g.cell rect').getBoundingClientRect();
        return { width: svg.width, cell: cell.width,
                 label: Math.max(...[...box.querySelectorAll('.row-label')].map((t) => t.getBoundingClientRect().height)) };
    }"""
    got = page.evaluate(build, 963)
    assert abs(got["width"] - 963) <= 1 and got["cell"] > 100, got  # the picture still fills its box
    assert READABLE_PX <= got["label"] <= NOT_BLOWN_UP_PX + 2, got  # labels held at about 14 px
