"""Opening a chapter in a browser window of a given size (a new context, so the size
holds from the first layout), for the tests that measure what a phone or a laptop shows."""


def open_at(browser, server, viewport, slug):
    """(context, page, errors): the chapter `slug` opened in a `viewport`-sized window, its
    demos mounted; `errors` collects the page's uncaught errors. Close the context after."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/chapters/{slug}")
    page.wait_for_selector("body[data-demos-ready]")
    return context, page, errors
