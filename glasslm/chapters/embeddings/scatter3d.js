// A labelled 3-D point cloud on a canvas: drag to rotate, scroll or pinch to
// zoom, arrow keys and +/- from the keyboard. It only draws the coordinates
// it is given (the API computes them). Labels never overlap: each tries four
// places beside its point, nearest points first, and one that fits nowhere is
// left out until its point is hovered or tapped (then it is drawn on top).
// scatter3d(container, {label, height}) -> {set(points, axisNames), view()}
// points = [{xyz: [x, y, z], label, color}]

import { cssVar, onThemeChange } from "/static/js/components/color.js";

const DISTANCE = 3.2; // camera distance in units of the cloud's radius: mild perspective

export function scatter3d(container, { label = "3-D view of points", height = 460 } = {}) {
  const canvas = document.createElement("canvas");
  canvas.className = "scatter3d";
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${label}. Drag to rotate, scroll to zoom; arrow keys rotate and + or - zoom.`);
  // as tall as about 70% of its width (at most `height` + 160 px): a wide, short frame left the cloud in its middle third
  canvas.style.cssText = `width:100%;height:clamp(300px, 70vw, ${height + 160}px);touch-action:none;cursor:grab;display:block;border-radius:6px;`;
  const note = document.createElement("p");
  note.className = "scatter3d-note";
  note.setAttribute("aria-live", "polite");
  container.append(canvas, note);
  const ctx = canvas.getContext("2d");
  let points = [], axes = ["PC1", "PC2", "PC3"], radius = 1, extent = [1, 1];
  let yaw = 0.6, pitch = -0.35, zoom = 1;
  const pointers = new Map();
  let pinch = null, moved = 0;
  let shown = [];  // [{p, x, y}] where each point was drawn, for hovering
  let hovered = null;  // the point whose label is forced on top

  function rotate([x, y, z]) {
    const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    const x1 = cy * x + sy * z, z1 = -sy * x + cy * z; // around the vertical axis
    const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1; // around the horizontal axis
    return [x1, y2, z2];
  }

  function draw() {
    const w = canvas.clientWidth, hgt = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr); }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    // Scaled so the cloud as first seen fills the frame (extent: its half-width and half-height
    // in the first view, in units of the radius), not a sphere round its farthest point.
    const scale = (zoom * Math.min(0.45 * w / extent[0], 0.44 * hgt / extent[1])) / radius;
    const project = (p) => {
      const [x, y, z] = rotate(p);
      const f = DISTANCE / (DISTANCE + z / radius);
      return [w / 2 + x * scale * f, hgt / 2 - y * scale * f, z, f];
    };
    // Axes through the centre, labelled with the principal components.
    ctx.lineWidth = 1;
    ctx.font = "12px system-ui, sans-serif";
    const muted = cssVar("--muted") || "#888";
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]].forEach((e, i) => {
      const a = project(e.map((v) => -v * radius * 0.9)), b = project(e.map((v) => v * radius * 0.9));
      ctx.strokeStyle = muted; ctx.globalAlpha = 0.45;
      ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
      ctx.globalAlpha = 0.9; ctx.fillStyle = muted; ctx.fillText(axes[i], b[0] + 4, b[1]);
    });
    ctx.globalAlpha = 1;
    const text = cssVar("--text") || "#222";
    const drawn = points.map((p) => ({ p, s: project(p.xyz) })).sort((a, b) => b.s[2] - a.s[2]); // far first
    for (const { p, s } of drawn) {
      ctx.fillStyle = p.color;
      ctx.beginPath(); ctx.arc(s[0], s[1], 3.5 * s[3] + 1, 0, 2 * Math.PI); ctx.fill();
    }
    // Labels, nearest first: the first of four places that overlaps no label, dot or the edge.
    const boxes = drawn.map(({ s }) => { const r = 3.5 * s[3] + 1; return [s[0] - r, s[1] - r, s[0] + r, s[1] + r]; });
    const free = (b) => b[0] >= 0 && b[1] >= 0 && b[2] <= w && b[3] <= hgt &&
      !boxes.some((o) => b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]);
    let hidden = 0;
    ctx.font = "12px system-ui, sans-serif";
    for (const { p, s } of [...drawn].reverse()) {
      if (p === hovered) continue;
      const r = 3.5 * s[3] + 1, tw = ctx.measureText(p.label).width, th = 13;
      const places = [[s[0] + r + 2, s[1] - th / 2], [s[0] - r - 2 - tw, s[1] - th / 2], [s[0] - tw / 2, s[1] - r - 1 - th], [s[0] - tw / 2, s[1] + r + 1]];
      const at = places.map(([x, y]) => [x, y, x + tw, y + th]).find((b) => free(b));
      if (!at) { hidden++; continue; }
      boxes.push(at);
      ctx.fillStyle = text;
      ctx.fillText(p.label, at[0], at[1] + th - 3);
    }
    if (hovered) {
      const d = drawn.find((x) => x.p === hovered);
      if (d) {
        const tw = ctx.measureText(hovered.label).width, x = Math.min(Math.max(2, d.s[0] + 8), w - tw - 8), y = Math.max(2, d.s[1] - 24);
        ctx.fillStyle = cssVar("--surface") || "#fff"; ctx.strokeStyle = cssVar("--accent") || "#36c";
        ctx.fillRect(x - 4, y, tw + 8, 18); ctx.strokeRect(x - 4, y, tw + 8, 18);
        ctx.fillStyle = text; ctx.fillText(hovered.label, x, y + 13);
      }
    }
    shown = drawn.map(({ p, s }) => ({ p, x: s[0], y: s[1] }));
    canvas.dataset.hiddenLabels = String(hidden);
    canvas.dataset.hovered = hovered ? hovered.label : "";
    note.textContent = hidden
      ? `${hidden} of ${points.length} labels are left out where they would overlap: hover or tap a point to read it, or zoom in.`
      : "Every point is labelled. Hover or tap a point to pick it out.";
    canvas.dataset.yaw = yaw.toFixed(3);
    canvas.dataset.pitch = pitch.toFixed(3);
    canvas.dataset.zoom = zoom.toFixed(3);
  }

  const clampPitch = (v) => Math.max(-1.5, Math.min(1.5, v));
  const clampZoom = (v) => Math.max(0.3, Math.min(8, v));
  // The point under the pointer (within 14 px), or null.
  function nearest(e) {
    const b = canvas.getBoundingClientRect(), x = e.clientX - b.left, y = e.clientY - b.top;
    let best = null, dist = 14;
    for (const q of shown) { const d = Math.hypot(q.x - x, q.y - y); if (d < dist) { dist = d; best = q.p; } }
    return best;
  }
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    moved = 0;
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId)) {
      const near = e.pointerType === "mouse" ? nearest(e) : hovered;
      if (near !== hovered) { hovered = near; draw(); }
      return;
    }
    const [px, py] = pointers.get(e.pointerId);
    moved += Math.abs(e.clientX - px) + Math.abs(e.clientY - py);
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    if (pointers.size === 1) {
      yaw += (e.clientX - px) * 0.01;
      pitch = clampPitch(pitch + (e.clientY - py) * 0.01);
    } else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      if (pinch) zoom = clampZoom(zoom * (d / pinch));
      pinch = d;
    }
    draw();
  });
  const release = (e) => { pointers.delete(e.pointerId); pinch = null; if (!pointers.size) canvas.style.cursor = "grab"; };
  canvas.addEventListener("pointerup", (e) => {
    if (moved < 6) { hovered = nearest(e); draw(); }  // a tap (not a drag) picks out the point under it
    release(e);
  });
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("wheel", (e) => { e.preventDefault(); zoom = clampZoom(zoom * Math.exp(-e.deltaY * 0.0015)); draw(); }, { passive: false });
  canvas.addEventListener("keydown", (e) => {
    const step = 0.08;
    const actions = {
      ArrowLeft: () => (yaw -= step), ArrowRight: () => (yaw += step),
      ArrowUp: () => (pitch = clampPitch(pitch - step)), ArrowDown: () => (pitch = clampPitch(pitch + step)),
      "+": () => (zoom = clampZoom(zoom * 1.15)), "=": () => (zoom = clampZoom(zoom * 1.15)), "-": () => (zoom = clampZoom(zoom / 1.15)),
    };
    if (actions[e.key]) { e.preventDefault(); e.stopPropagation(); actions[e.key](); draw(); }
  });
  new ResizeObserver(() => draw()).observe(canvas);
  onThemeChange(draw);

  return {
    canvas,
    set(newPoints, axisNames = null) {
      points = newPoints;
      hovered = null;
      if (axisNames) axes = axisNames;
      radius = Math.max(1e-9, ...points.map((p) => Math.hypot(...p.xyz)));
      const seen = points.map((p) => { const [x, y, z] = rotate(p.xyz), f = DISTANCE / (DISTANCE + z / radius); return [x * f, y * f]; });
      extent = [0, 1].map((i) => Math.max(0.2, ...seen.map((q) => Math.abs(q[i]) / radius)) * 1.08);  // room for labels
      draw();
    },
    view() { return { yaw, pitch, zoom }; },
  };
}
