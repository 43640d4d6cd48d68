// A labelled 3-D point cloud on a canvas: drag to rotate, scroll or pinch to
// zoom, arrow keys and +/- from the keyboard. It only draws the coordinates
// it is given (the API computes them).
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
  canvas.style.cssText = `width:100%;height:${height}px;touch-action:none;cursor:grab;display:block;border-radius:6px;`;
  container.append(canvas);
  const ctx = canvas.getContext("2d");
  let points = [], axes = ["PC1", "PC2", "PC3"], radius = 1;
  let yaw = 0.6, pitch = -0.35, zoom = 1;
  const pointers = new Map();
  let pinch = null;

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
    const scale = (0.42 * Math.min(w, hgt) * zoom) / radius;
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
      const r = 3.5 * s[3] + 1;
      ctx.fillStyle = p.color;
      ctx.beginPath(); ctx.arc(s[0], s[1], r, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = text;
      ctx.font = `${Math.round(11 + 2 * s[3])}px system-ui, sans-serif`;
      ctx.fillText(p.label, s[0] + r + 2, s[1] + 4);
    }
    canvas.dataset.yaw = yaw.toFixed(3);
    canvas.dataset.pitch = pitch.toFixed(3);
    canvas.dataset.zoom = zoom.toFixed(3);
  }

  const clampPitch = (v) => Math.max(-1.5, Math.min(1.5, v));
  const clampZoom = (v) => Math.max(0.3, Math.min(8, v));
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId)) return;
    const [px, py] = pointers.get(e.pointerId);
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
  canvas.addEventListener("pointerup", release);
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
      if (axisNames) axes = axisNames;
      radius = Math.max(1e-9, ...points.map((p) => Math.hypot(...p.xyz)));
      draw();
    },
    view() { return { yaw, pitch, zoom }; },
  };
}
