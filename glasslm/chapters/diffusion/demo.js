// The diffusion chapter: the demos only draw what /api/diffusion/* and the
// run's event stream (/api/jobs/{id}/events) send.

import { postJSON } from "/static/js/api.js";
import { demoFrame, h, debounce, latest } from "/static/js/components/demo.js";
import { numberInput, select, segmented, slider, button, buttonRow } from "/static/js/components/controls.js";
import { jobButtons } from "/static/js/components/jobbuttons.js";
import { lineChart } from "/static/js/components/linechart.js";
import { fixed, count, pct } from "/static/js/components/format.js";
import { pointCloud } from "/chapters/diffusion/pointcloud.js";

const API = "/api/diffusion";
const SHAPES = [["rings", "two rings"], ["moons", "two moons"], ["spiral", "spiral"], ["digits", "digits (8×8)"]];
const DIGITS_SHOWN = 8;  // digits in the noising picture

// 64 pixels of ink 0-16 as a small 8x8 picture.
function digitImage(pixels, caption = null) {
  const grid = h("span", { class: "df-digit", "aria-hidden": "true" }, ...pixels.map((v) => {
    const p = Math.round((100 * Math.max(0, Math.min(16, v))) / 16);
    return h("span", { style: `background:color-mix(in srgb, var(--text) ${p}%, var(--surface))` });
  }));
  return caption === null ? grid : h("figure", { class: "df-digit-fig" }, grid, h("figcaption", { text: caption }));
}

// The run the "train" demo started, shared with the "denoise" demo.
const shared = { job: null, classes: null, listeners: new Set() };
function announce() { shared.listeners.forEach((fn) => fn()); }

function noising(el) {
  const f = demoFrame(el, { title: "Adding noise: the forward process in one jump",
    sources: ["glasslm.engine.models.vision.diffusion:NoiseSchedule"] });
  const shape = segmented({ label: "Data", field: "shape", value: "rings", options: SHAPES, onchange: () => run() });
  const sched = segmented({ label: "Schedule", field: "schedule", value: "linear",
    options: [["linear", "linear (Ho et al.)"], ["cosine", "cosine (Nichol & Dhariwal)"]], onchange: () => run() });
  const t = slider({ label: "Step t", field: "t", min: 0, max: 100, step: 1, value: 10, format: (v) => `${v} / 100`,
    oninput: debounce(() => run(), 30) });
  f.add(shape.el, sched.el, t.el);
  const cloudBox = h("div", { class: "df-cloud" });
  const digitBox = h("div", { class: "df-digits", hidden: true, "aria-label": "digits noised to step t" });
  const curveBox = h("div", { class: "df-curve" });
  f.picture.append(h("div", { class: "df-pair" }, cloudBox, digitBox, curveBox));
  const cloud = pointCloud(cloudBox, { label: "the data noised to step t" });
  // the two colours had no key: they are the two parts of the shape (ring, moon or arm) a point came from
  cloudBox.append(h("p", { class: "df-key", text: "Each dot is one data point noised to step t; its colour is the part of the shape it started on." }));
  const curve = lineChart(curveBox, { xLabel: "step t", yLabel: "scale", height: 260, yDomain: [0, 1],
    title: "how much signal and noise x_t holds", series: [{ name: "signal √ᾱ_t" }, { name: "noise √(1−ᾱ_t)" }, { name: "t now", dashed: true }] });
  let scheduleKey = null;
  const signal = latest(); // while the slider moves, only the newest answer is drawn
  async function run() {
    const digits = shape.value === "digits";
    const body = { shape: shape.value, schedule: sched.value, t: t.value, ...(digits ? { n: DIGITS_SHOWN } : {}) };
    const d = await f.run(() => postJSON(`${API}/noise`, body, { signal: signal() }), { key: "run" });
    if (!d) return;
    cloudBox.hidden = digits; digitBox.hidden = !digits;
    if (digits) digitBox.replaceChildren(...d.x0.map((x0, i) => h("div", { class: "df-digit-pair" },
      digitImage(x0, `a ${d.labels[i]}`), digitImage(d.xt[i], `t = ${d.t}`))));
    else cloud.update(d.xt, d.labels);
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
    sources: ["glasslm.engine.models.vision.diffusion:train_diffusion", "glasslm.engine.models.vision.diffusion:NoisePredictor.forward"] });
  const shape = segmented({ label: "Data", field: "shape", value: "rings", options: SHAPES, onchange: (v) => {
    // the digits want a wider network and fewer, smaller steps than the shapes
    steps.value = v === "digits" ? 2000 : 3000; hidden.value = v === "digits" ? 256 : 128;
  } });
  const steps = numberInput({ label: "Steps", field: "steps", value: 3000, min: 1, max: 10000, step: 1 });
  const sched = select({ label: "Schedule", field: "schedule", value: "linear", options: ["linear", "cosine"] });
  const hidden = numberInput({ label: "Hidden units", field: "hidden", value: 128, min: 8, max: 256, step: 8 });
  const lr = numberInput({ label: "Learning rate", field: "lr", value: 0.002, min: 0, max: 0.1, step: "any" });
  const jobs = jobButtons(f, "Train", () => train());
  f.add(shape.el, steps.el, h("details", { class: "df-more" }, h("summary", { text: "More settings" }), sched.el, hidden.el, lr.el),
    jobs.row);
  const lossBox = h("div", { class: "df-curve" });
  const cloudBox = h("div", { class: "df-cloud" });
  const caption = h("figcaption", { text: "samples appear here as it trains" });
  f.picture.append(h("div", { class: "df-pair" }, lossBox, h("figure", { class: "df-fig" }, cloudBox, caption)));
  const loss = lineChart(lossBox, { xLabel: "step", yLabel: "loss (mean squared error of the noise)", height: 300,
    title: "training loss", series: [{ name: "loss" }] });
  const cloud = pointCloud(cloudBox, { label: "samples from the model so far" });
  const digitBox = h("div", { class: "df-digits", hidden: true, "aria-label": "one digit of each class from the model so far" });
  cloudBox.after(digitBox);
  let numbers = {};
  function readout() {
    f.setReadout([
      { label: "step", value: numbers.step == null ? "–" : `${count(numbers.step)} / ${count(numbers.steps)}` },
      { label: "loss", value: fixed(numbers.loss, 3) },
      { label: "parameters", value: count(numbers.params) },
    ]);
  }
  readout();
  async function train() {
    const body = { shape: shape.value, steps: steps.value, schedule: sched.value, hidden: hidden.value, lr: lr.value,
      batch_size: shape.value === "digits" ? 128 : 256 };
    await jobs.follow(`${API}/train`, body, {
      keepStatus: true,
      onStarted: (d) => {
        loss.clear();
        numbers = { steps: body.steps, params: d.n_params };
        shared.job = d.job; shared.classes = d.classes; shared.shape = body.shape; announce();
        cloudBox.hidden = body.shape === "digits"; digitBox.hidden = body.shape !== "digits"; digitBox.replaceChildren();
        f.setStatus("Training…");
      },
      onEvent: (ev) => {
        if (ev.type === "step") {
          numbers.step = ev.step; numbers.loss = ev.loss;
          loss.append("loss", [ev.step, ev.loss]);
        } else if (ev.type === "preview" && ev.images) {
          digitBox.replaceChildren(...ev.images.map((px, i) => digitImage(px, `${ev.labels[i]}`)));
          caption.textContent = `one digit of each class at step ${count(ev.step)}, from pure noise`;
        } else if (ev.type === "preview") {
          cloud.update(ev.points, null);
          caption.textContent = `${ev.points.length} samples at step ${count(ev.step)}, from pure noise`;
        } else if (ev.type === "done") f.hood(ev, null);
        readout();
      },
      onDone: (end) => {
        f.setStatus(end.status === "done" ? "Done: now watch it denoise, below." :
          end.status === "stopped" ? `Stopped at step ${count(numbers.step)}: the model keeps what it learned.` : "");
        announce();
      },
    });
  }
}

function denoise(el) {
  const f = demoFrame(el, { title: "From noise to shape, step by step",
    sources: ["glasslm.engine.models.vision.diffusion:sample", "glasslm.engine.models.vision.diffusion:shape_fit"] });
  const label = select({ label: "Guide towards", field: "label", value: "none", options: [["none", "no class"], ["0", "class 0"], ["1", "class 1"]] });
  const guidance = slider({ label: "Guidance scale w", field: "guidance", min: 0, max: 6, step: 0.5, value: 0, format: (v) => v.toFixed(1) });
  const n = select({ label: "Points (digits: at most 32)", field: "n", value: "300", options: ["16", "32", "100", "300", "500", "1000"] });
  const goBtn = button("Generate", () => generate(), { primary: true });
  const playBtn = button("Replay", () => play());
  goBtn.disabled = true; playBtn.disabled = true;
  const frame = slider({ label: "Frame", field: "frame", min: 0, max: 1, step: 1, value: 0, format: () => "–", oninput: (v) => show(v) });
  f.add(label.el, guidance.el, n.el, buttonRow(goBtn, playBtn), frame.el);
  const cloudBox = h("div", { class: "df-cloud df-big" });
  f.picture.append(cloudBox);
  const cloud = pointCloud(cloudBox, { label: "the reverse process" });
  const digitBox = h("div", { class: "df-digits df-digits-big", hidden: true, "aria-label": "digits being denoised" });
  f.picture.append(digitBox);
  f.setStatus("Train a model above first; this demo uses it (even while it trains).");
  let data = null, timer = null;
  function relabel() {
    goBtn.disabled = !shared.job;
    if (shared.classes) {
      const keep = label.value;
      label.input.replaceChildren(h("option", { value: "none", text: "no class" }),
        ...shared.classes.map((c, i) => h("option", { value: String(i), text: shared.shape === "digits" ? `the digit ${c}` : c })));
      label.value = Number(keep) < shared.classes.length ? keep : "none";
      if (shared.shape === "digits" && Number(n.value) > 32) n.value = "32";
      n.input.querySelectorAll("option").forEach((o) => { o.disabled = shared.shape === "digits" && Number(o.value) > 32; });
    }
    if (shared.job && !data) f.setStatus("Press Generate: points of pure noise, denoised by the model.");
  }
  shared.listeners.add(relabel);
  function show(i) {
    if (!data) return;
    const fr = data.frames[i];
    const digits = data.shape === "digits";
    cloudBox.hidden = digits; digitBox.hidden = !digits;
    if (digits) digitBox.replaceChildren(...fr.points.map((px) => digitImage(px)));
    else cloud.update(fr.points, null, { animate: true });
    frame.value = i;
    el.querySelector('[data-field="frame"] output').textContent = `t = ${fr.t}`;
    f.setReadout([
      { label: "step t", value: `${fr.t} of ${data.noise_steps}` },
      ...(data.shape === "digits"
        ? [{ label: "median distance to the nearest training digit (end)", value: fixed(data.median_distance, 2) },
          { label: "looks like (nearest training digit)", value: data.class_share.map((s, k) => [k, s]).filter(([, s]) => s > 0)
            .sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, s]) => `${k}: ${pct(s, 0)}`).join(", ") }]
        : [{ label: "median distance to the shape (end)", value: fixed(data.median_distance, 3) },
          ...data.classes.map((c, k) => ({ label: `on the ${c}`, value: pct(data.class_share[k]) }))]),
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
