// Chapter 28 (diffusion): the demos only draw what /api/diffusion/* and the
// run's event stream (/api/jobs/{id}/events) send.

import { postJSON, streamJob } from "/static/js/api.js";
import { demoFrame, h, debounce } from "/static/js/components/demo.js";
import { numberInput, select, segmented, slider, button, buttonRow } from "/static/js/components/controls.js";
import { lineChart } from "/static/js/components/linechart.js";
import { fixed, count, pct } from "/static/js/components/format.js";
import { pointCloud } from "/chapters/diffusion/pointcloud.js";

const API = "/api/diffusion";
const SHAPES = [["rings", "two rings"], ["moons", "two moons"], ["spiral", "spiral"]];

// The run the "train" demo started, shared with the "denoise" demo.
const shared = { job: null, classes: null, listeners: new Set() };
function announce() { shared.listeners.forEach((fn) => fn()); }

function noising(el) {
  const f = demoFrame(el, { title: "Adding noise: the forward process in one jump",
    sources: ["glasslm.engine.diffusion:NoiseSchedule"] });
  const shape = segmented({ label: "Data", field: "shape", value: "rings", options: SHAPES, onchange: () => run() });
  const sched = segmented({ label: "Schedule", field: "schedule", value: "linear",
    options: [["linear", "linear (Ho et al.)"], ["cosine", "cosine (Nichol & Dhariwal)"]], onchange: () => run() });
  const t = slider({ label: "Step t", field: "t", min: 0, max: 100, step: 1, value: 10, format: (v) => `${v} / 100`,
    oninput: debounce(() => run(), 30) });
  f.add(shape.el, sched.el, t.el);
  const cloudBox = h("div", { class: "df-cloud" });
  const curveBox = h("div", { class: "df-curve" });
  f.picture.append(h("div", { class: "df-pair" }, cloudBox, curveBox));
  const cloud = pointCloud(cloudBox, { label: "the data noised to step t" });
  const curve = lineChart(curveBox, { xLabel: "step t", yLabel: "scale", height: 260, yDomain: [0, 1],
    title: "how much signal and noise x_t holds", series: [{ name: "signal √ᾱ_t" }, { name: "noise √(1−ᾱ_t)" }, { name: "t now", dashed: true }] });
  let scheduleKey = null;
  async function run() {
    const d = await f.run(() => postJSON(`${API}/noise`, { shape: shape.value, schedule: sched.value, t: t.value }));
    if (!d) return;
    cloud.update(d.xt, d.labels);
    const key = `${sched.value}`;
    if (key !== scheduleKey) {
      scheduleKey = key;
      curve.set("signal √ᾱ_t", [[0, 1], ...d.alpha_bar.map((a, i) => [i + 1, Math.sqrt(a)])]);
      curve.set("noise √(1−ᾱ_t)", [[0, 0], ...d.alpha_bar.map((a, i) => [i + 1, Math.sqrt(1 - a)])]);
    }
    curve.set("t now", [[d.t, 0], [d.t, 1]]);
    f.setReadout([
      { label: "step t", value: `${d.t} of ${d.noise_steps}` },
      { label: "ᾱ_t (signal kept, squared)", value: fixed(d.alpha_bar_t, 4) },
      { label: "x₀ scaled by √ᾱ_t", value: fixed(d.signal_scale, 3) },
      { label: "noise std √(1−ᾱ_t)", value: fixed(d.noise_std, 3) },
      { label: "measured noise std (these points)", value: fixed(d.measured_noise_std, 3) },
    ]);
    f.hood(d);
  }
  run();
}

function training(el) {
  const f = demoFrame(el, { title: "Train a noise predictor",
    sources: ["glasslm.engine.diffusion:train_diffusion", "glasslm.engine.diffusion:NoisePredictor.forward"] });
  const shape = segmented({ label: "Data", field: "shape", value: "rings", options: SHAPES });
  const steps = numberInput({ label: "Steps", field: "steps", value: 3000, min: 1, max: 10000, step: 1 });
  const sched = select({ label: "Schedule", field: "schedule", value: "linear", options: ["linear", "cosine"] });
  const hidden = numberInput({ label: "Hidden units", field: "hidden", value: 128, min: 8, max: 256, step: 8 });
  const lr = numberInput({ label: "Learning rate", field: "lr", value: 0.002, min: 0, max: 0.1, step: "any" });
  const trainBtn = button("Train", () => train(), { primary: true });
  const stopBtn = button("Stop", () => stream && f.run(() => stream.stop()));
  stopBtn.disabled = true;
  f.add(shape.el, steps.el, h("details", { class: "df-more" }, h("summary", { text: "More settings" }), sched.el, hidden.el, lr.el),
    buttonRow(trainBtn, stopBtn));
  const lossBox = h("div", { class: "df-curve" });
  const cloudBox = h("div", { class: "df-cloud" });
  const caption = h("figcaption", { text: "samples appear here as it trains" });
  f.picture.append(h("div", { class: "df-pair" }, lossBox, h("figure", { class: "df-fig" }, cloudBox, caption)));
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "loss (mean squared error of the noise)", height: 300,
    title: "training loss", series: [{ name: "loss" }] });
  const cloud = pointCloud(cloudBox, { label: "samples from the model so far" });
  let stream = null, numbers = {};
  function readout() {
    f.setReadout([
      { label: "step", value: numbers.step == null ? "–" : `${count(numbers.step)} / ${count(numbers.steps)}` },
      { label: "loss", value: fixed(numbers.loss, 3) },
      { label: "parameters", value: count(numbers.params) },
    ]);
  }
  readout();
  async function train() {
    const body = { shape: shape.value, steps: steps.value, schedule: sched.value, hidden: hidden.value, lr: lr.value };
    const d = await f.run(() => postJSON(`${API}/train`, body), { progress: "Starting…" });
    if (!d) return;
    stream?.close();
    loss.clear();
    numbers = { steps: body.steps, params: d.n_params };
    shared.job = d.job; shared.classes = d.classes; announce();
    trainBtn.disabled = true; stopBtn.disabled = false;
    f.setStatus("Training…");
    stream = streamJob(d.job, {
      onEvent: (ev) => {
        if (ev.type === "step") {
          numbers.step = ev.step; numbers.loss = ev.loss;
          loss.append("loss", [ev.step, ev.loss]);
        } else if (ev.type === "preview") {
          cloud.update(ev.points, null);
          caption.textContent = `${ev.points.length} samples at step ${count(ev.step)}, from pure noise`;
        } else if (ev.type === "done") f.hood(ev, null);
        readout();
      },
      onEnd: (end) => {
        trainBtn.disabled = false; stopBtn.disabled = true;
        if (end.status === "error") f.setError(end.error);
        f.setStatus(end.status === "done" ? "Done: now watch it denoise, below." :
          end.status === "stopped" ? `Stopped at step ${count(numbers.step)}: the model keeps what it learned.` : "");
        announce();
      },
    });
  }
}

function denoise(el) {
  const f = demoFrame(el, { title: "From noise to shape, step by step",
    sources: ["glasslm.engine.diffusion:sample", "glasslm.engine.diffusion:shape_fit"] });
  const label = segmented({ label: "Guide towards", field: "label", value: "none", options: [["none", "no class"], ["0", "class 0"], ["1", "class 1"]] });
  const guidance = slider({ label: "Guidance scale w", field: "guidance", min: 0, max: 6, step: 0.5, value: 0, format: (v) => v.toFixed(1) });
  const n = select({ label: "Points", field: "n", value: "300", options: ["100", "300", "500", "1000"] });
  const goBtn = button("Generate", () => generate(), { primary: true });
  const playBtn = button("Replay", () => play());
  goBtn.disabled = true; playBtn.disabled = true;
  const frame = slider({ label: "Frame", field: "frame", min: 0, max: 1, step: 1, value: 0, format: () => "–", oninput: (v) => show(v) });
  f.add(label.el, guidance.el, n.el, buttonRow(goBtn, playBtn), frame.el);
  const cloudBox = h("div", { class: "df-cloud df-big" });
  f.picture.append(cloudBox);
  const cloud = pointCloud(cloudBox, { label: "the reverse process" });
  f.setStatus("Train a model above first; this demo uses it (even while it trains).");
  let data = null, timer = null;
  function relabel() {
    goBtn.disabled = !shared.job;
    if (shared.classes) {
      el.querySelectorAll('[data-field="label"] button').forEach((b) => {
        if (b.dataset.value !== "none") b.textContent = shared.classes[Number(b.dataset.value)];
      });
    }
    if (shared.job && !data) f.setStatus("Press Generate: points of pure noise, denoised by the model.");
  }
  shared.listeners.add(relabel);
  function show(i) {
    if (!data) return;
    const fr = data.frames[i];
    cloud.update(fr.points, null, { animate: true });
    frame.value = i;
    el.querySelector('[data-field="frame"] output').textContent = `t = ${fr.t}`;
    f.setReadout([
      { label: "step t", value: `${fr.t} of ${data.noise_steps}` },
      { label: "median distance to the shape (end)", value: fixed(data.median_distance, 3) },
      ...data.classes.map((c, k) => ({ label: `on the ${c}`, value: pct(data.class_share[k]) })),
    ]);
  }
  function play() {
    clearInterval(timer);
    let i = 0;
    show(0);
    timer = setInterval(() => { i += 1; if (i >= data.frames.length) { clearInterval(timer); return; } show(i); }, 90);
  }
  async function generate() {
    const body = { job: shared.job, n: Number(n.value), label: label.value, guidance: guidance.value, seed: Math.floor(Math.random() * 1e6) };
    const d = await f.run(() => postJSON(`${API}/sample`, body), { progress: "Denoising…" });
    if (!d) return;
    data = d;
    frame.input.max = d.frames.length - 1;
    playBtn.disabled = false;
    f.setStatus(`Model at step ${count(d.step)}; ${d.label === null ? "no guidance" : `guided towards ${d.classes[d.label]}, w = ${d.guidance}`}.`);
    f.hood(d);
    play();
  }
}

export const demos = { noising, training, denoise };
