"""The guide as a learner meets it: contents, chapters, theme, keyboard, phone size."""

import pytest
from playwright.sync_api import expect

from glasslm.chapters.registry import Registry


def test_index_shows_parts_and_chapter_cards(page):
    page.goto(page.base + "/")
    expect(page.locator("h1")).to_contain_text("How large language models work")
    chapters = Registry().chapters
    expect(page.locator(".card")).to_have_count(len(chapters))
    expect(page.locator(".card").first).to_contain_text(chapters[0].title)


def test_every_chapter_loads_without_console_errors(page):
    for c in Registry().chapters:
        page.open_chapter(c.slug)
        expect(page.locator("h1")).to_have_text(c.title)
        # every demo slot got built (a frame with its "Under the hood")
        for demo in page.locator(".demo[data-demo]").all():
            expect(demo.locator(".hood")).to_have_count(1)
    # the fixture fails this test if any page logged an error


def test_progress_is_remembered(page):
    first = Registry().chapters[0]
    page.open_chapter(first.slug)
    page.goto(page.base + "/")
    expect(page.locator(f'.card[data-slug="{first.slug}"]')).to_have_class("card visited")
    expect(page.locator("#progress-line")).to_contain_text("visited 1 of")


def test_theme_toggle_cycles_and_persists(page):
    page.goto(page.base + "/")
    html = page.locator("html")
    bg_before = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.click("#theme-toggle")  # system -> light
    expect(html).to_have_attribute("data-theme", "light")
    page.click("#theme-toggle")  # light -> dark
    expect(html).to_have_attribute("data-theme", "dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(251, 251, 249)"
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    page.click("#theme-toggle")  # dark -> system (headless Chromium's system setting is light)
    expect(html).to_have_attribute("data-theme", "light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == bg_before


def test_system_dark_setting_is_followed_until_the_learner_chooses(browser, server):
    context = browser.new_context(color_scheme="dark")
    pg = context.new_page()
    pg.goto(server + "/")
    expect(pg.locator("html")).to_have_attribute("data-theme", "dark")
    expect(pg.locator(".theme-label")).to_have_text("System")
    context.close()


def test_arrow_keys_move_between_chapters_but_not_inside_controls(page):
    chapters = Registry().chapters
    if len(chapters) < 2:
        return
    page.open_chapter(chapters[0].slug)
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{page.base}/chapters/{chapters[1].slug}")
    page.wait_for_selector("body[data-demos-ready]")
    slider = page.locator("input[type=range]").first
    if slider.count():
        slider.focus()
        page.keyboard.press("ArrowLeft")  # moves the slider, not the page
        expect(page).to_have_url(f"{page.base}/chapters/{chapters[1].slug}")
        page.locator("h1").click()
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(f"{page.base}/chapters/{chapters[0].slug}")


@pytest.mark.parametrize("mobile", [True, False], ids=["phone", "narrow-window"])
def test_phone_sized_screen_has_no_sideways_scroll(browser, server, mobile):
    # A phone (is_mobile) may zoom out to fit a wide page, so a plain 390 px desktop
    # window is checked too: there a too-wide table makes the page itself scroll.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=mobile, has_touch=mobile)
    pg = context.new_page()
    for c in Registry().chapters:
        pg.goto(f"{server}/chapters/{c.slug}")
        pg.wait_for_selector("body[data-demos-ready]")
        overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (
            f"{c.slug} scrolls sideways by {overflow}px in a 390 px wide {'phone' if mobile else 'window'}"
        )
    context.close()


def test_shared_number_formats_never_use_exponents(page):
    page.goto(page.base + "/")
    got = page.evaluate("""async () => {
        const f = await import('/static/js/components/format.js');
        return [f.bytes(1010 * 1024 ** 3), f.bytes(512), f.compact(1.5e15, ''), f.compact(134515008),
                f.pct(0.5), f.pct(0.00001234), f.count(1234567)];
    }""")
    assert got == ["1010 GiB", "512 B", "1500 T", "135 M", "50.0%", "0.0012%", "1,234,567"]
