"""The shared line chart (static/js/components/linechart.js) in Chromium: log axes
labelled in powers of ten, points a log axis cannot place dropped instead of drawn as
NaN, and the legend kept off the plotted area, also on a phone-width screen; on a phone
the chart draws at its real width (fewer x ticks, none running off the picture), also when
it was made in a hidden box."""

import re

from playwright.sync_api import expect

# Builds one chart in a fresh box on the guide's home page and draws it at once.
BUILD = """async ([options, data]) => {
    const { lineChart } = await import('/static/js/components/linechart.js');
    const box = document.createElement('div');
    box.id = 'chart-under-test';
    box.className = 'demo-picture';
    document.querySelector('main').prepend(box);
    const chart = lineChart(box, options);
    for (const [name, points] of Object.entries(data)) chart.set(name, points);
    chart.redraw();
}"""

POWER = re.compile(r"^10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+$")


def build(page, options, data):
    page.goto(page.base + "/")
    page.evaluate(BUILD, [options, data])
    return page.locator("#chart-under-test")


def labels(chart, axis):
    """The non-empty tick labels of the x (0) or y (1) axis, in order."""
    texts = chart.locator("g.axis").nth(axis).locator(".tick text").all_text_contents()
    return [t for t in texts if t]


def overlaps(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_log_log_axes_label_powers_of_ten_and_drop_what_they_cannot_place(page):
    # loss against compute over six decades; a zero and a negative point cannot go on log axes
    points = [[10.0**e, 10.0 ** (-e / 2)] for e in range(9, 16)] + [[0, 2.0], [1e12, -1.0], [1e13, 0.0]]
    chart = build(
        page,
        {
            "xScale": "log",
            "yScale": "log",
            "xLabel": "compute",
            "yLabel": "loss",
            "series": [{"name": "runs", "dots": True}],
        },
        {"runs": points},
    )
    xs = labels(chart, 0)
    assert xs == ["10⁹", "10¹⁰", "10¹¹", "10¹²", "10¹³", "10¹⁴", "10¹⁵"]
    ys = labels(chart, 1)
    assert ys == ["10⁻⁷", "10⁻⁶", "10⁻⁵"], ys  # 10^-7.5 .. 10^-4.5
    d = chart.locator("path.series").get_attribute("d")
    assert "NaN" not in d and d.count("L") == 6  # seven placeable points: one move and six lines
    expect(chart.locator("circle.dot")).to_have_count(7)


def test_long_and_short_log_spans(page):
    # eighteen decades: every third power labelled, the others unlabelled ticks
    chart = build(
        page, {"yScale": "log", "series": [{"name": "error"}]}, {"error": [[i, 10.0**-i] for i in range(0, 18)]}
    )
    assert labels(chart, 1) == ["10⁻¹⁵", "10⁻¹²", "10⁻⁹", "10⁻⁶", "10⁻³", "10⁰"]
    # under one decade: plain round numbers, not powers
    chart = build(page, {"xScale": "log", "series": [{"name": "loss"}]}, {"loss": [[2.1, 1], [2.6, 2]]})
    xs = labels(chart, 0)
    assert xs and all(re.fullmatch(r"2(\.\d)?", t) for t in xs), xs
    # two decades of big numbers: 1-2-5 steps in scientific form
    chart = build(page, {"xScale": "log", "series": [{"name": "loss"}]}, {"loss": [[2e7, 1], [9e8, 2]]})
    xs = labels(chart, 0)
    assert "10⁸" in xs and "2 × 10⁷" in xs and "5 × 10⁸" in xs, xs


def test_linear_axes_are_unchanged(page):
    chart = build(
        page, {"series": [{"name": "loss"}], "xDomain": [0, 100]}, {"loss": [[0, 3.0], [50, 2.0], [100, 1.5]]}
    )
    assert labels(chart, 0) == ["0", "20", "40", "60", "80", "100"]
    assert not any(POWER.match(t) for t in labels(chart, 1))


def test_legend_stays_off_the_plot_on_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.base = server
    names = [f"width {w} (about {w * w * 20} parameters)" for w in (4, 8, 16, 24, 32, 48)]
    # curves that start in the top-left corner, where the legend used to sit
    chart = build(
        page,
        {"series": [{"name": n} for n in names] + [{"name": "fit", "dashed": True}]},
        {n: [[0, 10 - i], [5, 1]] for i, n in enumerate(names + ["fit"])},
    )
    items = chart.locator(".chart-legend-item")
    expect(items).to_have_count(7)
    plot = chart.locator("rect.plot-area").bounding_box()
    for item in items.all():
        assert not overlaps(item.bounding_box(), plot)
    legend = chart.locator(".chart-legend").bounding_box()
    assert legend["width"] <= 360 and legend["height"] > 2 * items.first.bounding_box()["height"]  # it wrapped
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    context.close()


def test_narrow_chart_keeps_its_tick_labels_apart_and_inside(browser, server):
    # big round numbers on a phone: one viewBox unit per CSS pixel, so the x axis gets fewer
    # ticks instead of smaller letters, and no label runs into the next or off the picture
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.base = server
    chart = build(
        page,
        {"series": [{"name": "tokens"}], "xLabel": "tokens", "yLabel": "ms"},
        {"tokens": [[0, 1.0], [1_000_000, 2.0]]},
    )
    svg = chart.locator("svg").bounding_box()
    assert abs(float(chart.locator("svg").get_attribute("viewBox").split()[2]) - svg["width"]) <= 1
    ticks = [t.bounding_box() for t in chart.locator("g.axis").nth(0).locator(".tick text").all()]
    assert 3 <= len(ticks) <= 5, len(ticks)  # 6 or more "1,000,000"-wide labels would not fit in 250 px
    for a, b in zip(ticks, ticks[1:]):
        assert a["x"] + a["width"] < b["x"], (a, b)
    assert ticks[0]["x"] >= svg["x"] - 1 and ticks[-1]["x"] + ticks[-1]["width"] <= svg["x"] + svg["width"] + 1
    assert min(t["height"] for t in ticks) >= 10
    context.close()


def test_chart_made_in_a_hidden_box_fits_once_shown(browser, server):
    # a demo that builds a chart before showing it (a tab, a collapsed panel): drawn 640 wide
    # at first, it redraws at its real width when the box appears
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(server + "/")
    page.evaluate("""async () => {
        const { lineChart } = await import('/static/js/components/linechart.js');
        const box = document.createElement('div');
        box.id = 'chart-under-test';
        box.className = 'demo-picture';
        box.hidden = true;
        document.querySelector('main').prepend(box);
        lineChart(box, { series: [{ name: 'loss' }], xLabel: 'step', yLabel: 'loss' }).set('loss', [[0, 3], [10, 1]]);
    }""")
    svg = page.locator("#chart-under-test svg")
    assert svg.get_attribute("viewBox").startswith("0 0 640 ")
    page.evaluate("document.getElementById('chart-under-test').hidden = false")
    page.wait_for_function("() => document.querySelector('#chart-under-test svg').viewBox.baseVal.width < 400")
    width = svg.bounding_box()["width"]
    assert abs(svg.evaluate("s => s.viewBox.baseVal.width") - width) <= 1
    context.close()
