"""The Content-Security-Policy fits the guide: formulas (KaTeX) and charts (D3)
still render, the theme still applies before the first paint, and a script
injected into the page the way an attacker would is refused."""

from playwright.sync_api import expect


def test_math_and_charts_render_under_the_policy(page):
    page.open_chapter("attention")  # formulas in its prose, D3 charts in its demos
    expect(page.locator(".katex").first).to_be_visible()
    assert page.evaluate("typeof window.d3 === 'object' && typeof window.katex === 'object'")
    assert page.evaluate("document.documentElement.dataset.theme") in ("light", "dark")
    assert not page.console_errors  # nothing of the guide's own was refused
    # An inline script added to the page (as injected HTML would be) never runs.
    ran = page.evaluate("""() => new Promise(done => {
        document.addEventListener('securitypolicyviolation', () => done(window.__injected === true), {once: true});
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.appendChild(s);
    })""")
    assert ran is False
    page.wait_for_timeout(200)
    refused = [e for e in page.console_errors if "Content Security Policy" in e]
    assert refused  # the browser said why it refused the script
    page.console_errors[:] = [e for e in page.console_errors if e not in refused]
