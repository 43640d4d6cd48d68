"""Chapter 28 in Chromium: drag t and watch the points spread and the numbers
follow the formula; train a model, watch the loss fall; generate with guidance
and step through the frames."""

import math
import re

from playwright.sync_api import expect

from glasslm.engine.models.vision.diffusion import NoiseSchedule
from tests.browser.helpers import readout


def test_noising_follows_the_slider(page):
    page.open_chapter("diffusion")
    demo = page.locator('.demo[data-demo="noising"]')
    expect(demo.locator(".pointcloud circle")).to_have_count(500)
    demo.get_by_role("slider", name="Step t").fill("60")
    abar = NoiseSchedule(100).alpha_bar[59]
    expect(readout(demo, "noise std √(1−ᾱ_t)")).to_have_text(f"{math.sqrt(1 - abar):.3f}")
    expect(readout(demo, "step t")).to_have_text("60 of 100")
    demo.get_by_role("button", name="cosine (Nichol & Dhariwal)").click()
    abar = NoiseSchedule(100, "cosine").alpha_bar[59]
    expect(readout(demo, "x₀ scaled by √ᾱ_t")).to_have_text(f"{math.sqrt(abar):.3f}")


def test_train_then_denoise_with_guidance(page):
    page.open_chapter("diffusion")
    train = page.locator('.demo[data-demo="training"]')
    train.get_by_label("Steps", exact=True).fill("400")
    train.get_by_role("button", name="Train").click()
    expect(train.locator(".demo-status")).to_contain_text("Done", timeout=60_000)
    expect(readout(train, "step")).to_have_text("400 / 400")
    expect(train.locator(".pointcloud circle")).to_have_count(300)
    den = page.locator('.demo[data-demo="denoise"]')
    den.get_by_label("Guide towards").select_option(label="outer ring")
    den.get_by_role("slider", name="Guidance scale w").fill("2")
    den.get_by_role("button", name="Generate").click()
    expect(den.locator(".demo-status")).to_contain_text("guided towards outer ring, w = 2")
    expect(readout(den, "step t")).to_have_text("0 of 100", timeout=20_000)  # the animation reached the end
    share = readout(den, "on the outer ring")
    expect(share).to_have_text(re.compile(r"^([6-9]\d|100)(\.\d+)?%$"))  # most points on the asked-for ring
    frame = den.get_by_role("slider", name="Frame")
    frame.fill("0")
    expect(readout(den, "step t")).to_have_text("100 of 100")


def test_guidance_without_a_class_is_explained(page):
    page.open_chapter("diffusion")
    train = page.locator('.demo[data-demo="training"]')
    train.get_by_label("Steps", exact=True).fill("5")
    train.get_by_role("button", name="Train").click()
    expect(train.locator(".demo-status")).to_contain_text("Done", timeout=30_000)
    den = page.locator('.demo[data-demo="denoise"]')
    den.get_by_role("slider", name="Guidance scale w").fill("3")
    den.get_by_role("button", name="Generate").click()
    expect(den.locator('[data-field="guidance"] .field-error')).to_contain_text("class to guide")


def test_digits_dissolve_and_come_back(page):
    page.open_chapter("diffusion")
    noise = page.locator('.demo[data-demo="noising"]')
    noise.get_by_role("button", name="digits (8×8)").click()
    expect(noise.locator(".df-digit-pair")).to_have_count(8)
    expect(noise.locator(".pointcloud")).to_be_hidden()
    train = page.locator('.demo[data-demo="training"]')
    train.get_by_role("button", name="digits (8×8)").click()
    expect(train.get_by_label("Hidden units")).to_have_value("256")
    train.get_by_label("Steps", exact=True).fill("30")
    train.get_by_role("button", name="Train").click()
    expect(train.locator(".demo-status")).to_contain_text("Done", timeout=60_000)
    expect(train.locator(".df-digits .df-digit")).to_have_count(10)  # one of each class
    den = page.locator('.demo[data-demo="denoise"]')
    den.get_by_label("Guide towards").select_option("7")
    den.get_by_label("Points (digits: at most 32)").select_option("16")
    den.get_by_role("button", name="Generate").click()
    expect(den.locator(".demo-status")).to_contain_text("guided towards 7")
    expect(den.locator(".df-digits-big .df-digit")).to_have_count(16)
    expect(den.locator(".readout-item", has_text="looks like")).to_contain_text("%")
