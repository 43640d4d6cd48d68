"""Cross-references and engine numbers as a learner meets them on the page."""

from playwright.sync_api import expect

from glasslm.chapters import facts
from glasslm.chapters.registry import Registry


def test_a_reference_names_the_chapter_and_takes_the_learner_to_its_section(page):
    page.open_chapter("next-token")
    tokens = Registry().get("tokens")
    link = page.locator("main a[href='/chapters/tokens']").first
    expect(link).to_have_text(f"chapter {tokens.number}, {tokens.title}")
    page.get_by_role("link", name="the fine-tuning chapter's section on quantization").click()
    expect(page).to_have_url(f"{page.base}/chapters/fine-tuning#quantization-fewer-bits-per-weight")
    expect(page.locator("h2#quantization-fewer-bits-per-weight")).to_be_in_viewport()


def test_numbers_in_the_prose_are_the_models_own(page):
    page.open_chapter("attention")
    expect(page.locator("main")).to_contain_text(
        f"SmolLM2 has {facts.value('smollm2_layers')} layers, and each layer has {facts.value('smollm2_heads')} heads"
    )
