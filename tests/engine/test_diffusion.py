"""Chapter 28's diffusion model: the schedule against hand computation, the
closed-form noising against an empirical mean and variance, the noise
predictor's gradient against finite differences, and a seeded tiny run whose
samples land on the rings."""

import math

import numpy as np
import pytest

from glasslm.engine.models.vision import diffusion


def test_linear_schedule_by_hand():
    s = diffusion.NoiseSchedule(steps=4, kind="linear")
    # Ho et al.'s 1e-4 .. 0.02 over 1000 steps, stretched by 1000/4 = 250: 0.025 .. 5 -> capped at 0.999
    b = s.betas
    assert b[0] == pytest.approx(0.025) and b[-1] == pytest.approx(0.999)
    assert b[1] == pytest.approx(0.025 + (0.999 - 0.025) / 3)
    ab = s.alpha_bar
    assert ab[0] == pytest.approx(0.975)
    assert ab[1] == pytest.approx(0.975 * (1 - b[1]))
    s100 = diffusion.NoiseSchedule(100)
    assert s100.betas[0] == pytest.approx(1e-3) and s100.betas[-1] == pytest.approx(0.2)
    assert math.prod(1 - s100.betas) == pytest.approx(s100.alpha_bar[-1])


def test_cosine_schedule_by_hand():
    s = diffusion.NoiseSchedule(steps=10, kind="cosine")
    f = lambda t: math.cos((t / 10 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    assert s.alpha_bar[4] == pytest.approx(f(5) / f(0), rel=1e-12)  # abar_5
    assert s.betas[-1] == pytest.approx(0.999)  # the last beta is clipped
    with pytest.raises(ValueError, match="schedule"):
        diffusion.NoiseSchedule(10, "square")


@pytest.mark.parametrize("t", [1, 30, 100])
def test_noised_samples_match_the_closed_form(t):
    s = diffusion.NoiseSchedule(100)
    rng = np.random.default_rng(t)
    x0 = np.array([[0.7, -0.4]])
    n = 200_000
    xt = s.noise(np.repeat(x0, n, 0), np.full(n, t), rng.normal(size=(n, 2)))
    ab = s.alpha_bar[t - 1]
    # mean sqrt(abar) x0, variance 1 - abar; standard errors ~ sqrt(var / n)
    np.testing.assert_allclose(xt.mean(0), math.sqrt(ab) * x0[0], atol=5 * math.sqrt((1 - ab) / n))
    np.testing.assert_allclose(xt.var(0), 1 - ab, rtol=0.02)


def test_noising_step_by_step_equals_one_jump():
    """x_t built from t small steps x_k = sqrt(a_k) x_{k-1} + sqrt(b_k) e_k has the one-jump variance."""
    s = diffusion.NoiseSchedule(50)
    rng = np.random.default_rng(0)
    x = np.full((100_000, 2), 0.5)
    for k in range(20):
        x = math.sqrt(1 - s.betas[k]) * x + math.sqrt(s.betas[k]) * rng.normal(size=x.shape)
    ab = s.alpha_bar[19]
    np.testing.assert_allclose(x.mean(0), math.sqrt(ab) * 0.5, atol=0.01)
    np.testing.assert_allclose(x.var(0), 1 - ab, rtol=0.03)


def test_noise_predictor_gradient_matches_finite_differences():
    m = diffusion.NoisePredictor(diffusion.DiffusionConfig(hidden=8))
    rng = np.random.default_rng(0)
    xt, t, c, eps = (
        rng.normal(size=(6, 2)),
        np.array([1, 5, 9, 20, 3, 7]),
        np.array([0, 1, 2, 0, 2, 1]),
        rng.normal(size=(6, 2)),
    )
    m.loss_and_grad(xt, t, c, eps, 20)
    analytic = m.params.flat_grad.copy()
    from glasslm.engine.autograd import encoder_ops

    for i in rng.choice(m.params.size, 40, replace=False):
        flat = m.params.flat
        old = flat[i]
        flat[i] = old + 1e-6
        up = float(encoder_ops.mse(m.forward(xt, t, c, 20), eps).data)
        flat[i] = old - 1e-6
        down = float(encoder_ops.mse(m.forward(xt, t, c, 20), eps).data)
        flat[i] = old
        assert analytic[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-10)


def test_shapes_sit_where_they_should():
    rng = np.random.default_rng(0)
    x, c = diffusion.make_shape("rings", 1000, rng)
    r = np.hypot(*x.T)
    np.testing.assert_allclose(r[c == 0].mean(), 0.5, atol=0.01)
    np.testing.assert_allclose(r[c == 1].mean(), 1.0, atol=0.01)
    for kind in ("rings", "moons", "spiral"):
        x, c = diffusion.make_shape(kind, 500, rng)
        assert x.shape == (500, 2) and set(c.tolist()) == {0, 1} and np.abs(x).max() < 1.4


@pytest.mark.slow
def test_training_lowers_the_loss_and_samples_land_on_the_rings():
    config = diffusion.DiffusionTrainConfig(steps=1000, lr=0.005, eval_interval=10**6, uncond_prob=0.2)
    run = diffusion.DiffusionRun.create(config, diffusion.NoiseSchedule(50), diffusion.DiffusionConfig(hidden=64))
    losses = [e["loss"] for e in diffusion.train_diffusion(run) if e["type"] == "step"]
    assert np.mean(losses[-100:]) < 0.75 * np.mean(losses[:100])
    for label, radius in [(0, 0.5), (1, 1.0)]:
        x = diffusion.sample(run.model, run.schedule, 400, np.random.default_rng(1), label=label)["x"]
        r = np.hypot(*x.T)
        assert abs(np.median(r) - radius) < 0.05  # the asked-for ring
        assert np.median(abs(r - radius)) < 0.2
    x = diffusion.sample(run.model, run.schedule, 400, np.random.default_rng(2))["x"]
    r = np.hypot(*x.T)
    near = np.median(np.minimum(abs(r - 0.5), abs(r - 1.0)))
    noise = np.hypot(*np.random.default_rng(2).normal(size=(400, 2)).T)
    assert near < 0.15 < np.median(np.minimum(abs(noise - 0.5), abs(noise - 1.0)))  # pure noise is farther
    fit = diffusion.shape_fit(x, "rings")
    assert fit["median_distance"] < 0.15 and 0.25 < fit["class_share"][0] < 0.75


def test_sampling_frames_run_from_noise_to_the_end():
    run = diffusion.DiffusionRun.create(diffusion.DiffusionTrainConfig(steps=1), diffusion.NoiseSchedule(20))
    out = diffusion.sample(run.model, run.schedule, 5, np.random.default_rng(0), label=1, guidance=2.0, frames=6)
    ts = [t for t, _ in out["frames"]]
    assert ts[0] == 20 and ts[-1] == 0 and len(ts) == 6
    np.testing.assert_array_equal(out["frames"][-1][1], out["x"])


def test_digits_are_points_in_64_dimensions():
    x, c = diffusion.make_shape("digits", 5, np.random.default_rng(0))
    assert x.shape == (5, 64) and x.min() >= -1 and x.max() <= 1 and c.max() <= 9
    np.testing.assert_allclose(diffusion.to_pixels(x), (x + 1) * 8)
    cfg = diffusion.DiffusionConfig.for_data("digits", hidden=8)
    assert (cfg.dim, cfg.n_classes) == (64, 10)
    m = diffusion.NoisePredictor(cfg)
    assert m.forward(x, np.array([1, 2, 3, 4, 5]), c, 10).data.shape == (5, 64)
    # a training digit is its own nearest neighbour: distance 0, its own class
    from glasslm.engine.data import digits

    d = digits.load()
    fit = diffusion.shape_fit(d.train_x[:3].reshape(3, -1) * 2 - 1, "digits")
    assert fit["median_distance"] == pytest.approx(0, abs=1e-6)
    assert fit["class_share"] == pytest.approx(np.bincount(d.train_y[:3], minlength=10) / 3)
    with pytest.raises(ValueError, match="for_data"):
        diffusion.DiffusionRun.create(
            diffusion.DiffusionTrainConfig(shape="digits"), model_config=diffusion.DiffusionConfig()
        )


@pytest.mark.slow
def test_guided_digits_look_like_the_asked_digit():
    config = diffusion.DiffusionTrainConfig(shape="digits", steps=600, batch_size=128, lr=0.003, eval_interval=10**6)
    run = diffusion.DiffusionRun.create(
        config, diffusion.NoiseSchedule(50), diffusion.DiffusionConfig.for_data("digits", hidden=128)
    )
    for _ in diffusion.train_diffusion(run):
        pass
    labels = np.repeat(np.arange(10), 4)
    x = diffusion.sample(run.model, run.schedule, 40, np.random.default_rng(1), label=labels, guidance=2.0)["x"]
    from glasslm.engine.data import digits

    d = digits.load()
    ref = d.train_x.reshape(len(d.train_y), -1) * 2 - 1
    nearest = d.train_y[((x[:, None, :] - ref[None]) ** 2).sum(-1).argmin(1)]  # a nearest-neighbour classifier
    assert (nearest == labels).mean() > 0.6  # chance is 0.1
