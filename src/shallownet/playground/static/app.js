// shallownet playground: the page draws, the library (through /api) computes every number.
// Plain JavaScript, SVG for the diagram and the loss curves, canvas for the function view.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf"];
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ state (all of it in the URL)
let config = null;
let state = {
  mode: "hand",
  net: null,            // {W_H, b_H, W_O, b_O, activation, output}
  bounds: [-1, 6],
  point: [3.5],
  preset: "problem2",
  data: {dataset: "xor", n: 200, noise: 0.0, validation: 0.2, seed: 0, features: [2, 3]},
  train: {N_h: 8, activation: "relu", optimizer: "adam", learning_rate: 0.03, batch_size: 16,
          l2: 0, epochs_per_step: 1},
};
let handData = null;    // points shown with a preset (Problem 2's data set)
let session = null;     // {id, data}
let trainData = null;
let curves = {loss: [], val_loss: [], val_score: []};
let playing = false;
let weightsEdited = false, editCount = 0;
let view = null;        // the last response of /api/evaluate or /api/train
let selected = null;    // [param, row, col] of the weight under the slider
const metrics = {frames: [], editLatencies: [], serverTiming: [], roundTrips: [], draws: 0,
                 pendingEdit: null, columnRequests: 0};
window.playground = {get state() { return state; }, metrics, get view() { return view; },
                     get hover() { return {point: hoverPoint, column: hoverTable, busy: columnBusy}; }};

function encodeState() {
  const s = JSON.stringify(state);
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function decodeState(text) {
  const b = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(b, (c) => c.charCodeAt(0))));
}
let urlTimer = null;
function saveUrl() {
  if (urlTimer) return;
  urlTimer = setTimeout(() => {
    urlTimer = null;
    history.replaceState(null, "", location.pathname + location.search + "#s=" + encodeState());
  }, 300);
}

// ------------------------------------------------------------------ talking to the library
class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}
async function api(path, body, raw = false) {
  const opts = {method: body === undefined ? "GET" : "POST",
                headers: {"X-Playground-Token": TOKEN}};
  if (body !== undefined) {
    opts.headers["Content-Type"] = raw ? "application/octet-stream" : "application/json";
    opts.body = raw ? body : JSON.stringify(body);
    if (raw && raw.name) opts.headers["X-Filename"] = raw.name.replace(/[^\w. -]/g, "_");
  }
  const r = await fetch(path, opts);
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new ApiError(msg, r.status);
  }
  return r;
}
// set a text only when it changed: an unchanged page costs no layout
function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
function showMessage(text) {
  const m = $("message");
  setText(m, text || "");
  if (m.hidden !== !text) m.hidden = !text;
}

// ------------------------------------------------------------------ the network's shape
const N_i = () => state.net.W_H[0].length;
const N_h = () => state.net.W_H.length;
const N_o = () => state.net.W_O.length;
function resize(net, ni, nh, no) {
  const pick = (a, i, fill) => (a && a[i] !== undefined ? a[i] : fill);
  return {
    ...net,
    W_H: Array.from({length: nh}, (_, j) => Array.from({length: ni},
      (_, k) => pick(pick(net.W_H, j, []), k, j === k ? 1 : 0))),
    b_H: Array.from({length: nh}, (_, j) => pick(net.b_H, j, 0)),
    W_O: Array.from({length: no}, (_, i) => Array.from({length: nh},
      (_, j) => pick(pick(net.W_O, i, []), j, i === j % no ? 1 : -1))),
    b_O: Array.from({length: no}, (_, i) => pick(net.b_O, i, 0)),
  };
}
function defaultBounds(ni) { return ni === 1 ? [-6, 6] : [-3, 3, -3, 3]; }

// ------------------------------------------------------------------ evaluation (coalesced)
let inFlight = false, dirty = false;
function requestEval() {
  saveUrl();
  dirty = true;
  if (!inFlight) runEval();
}
async function runEval() {
  inFlight = true;
  while (dirty) {
    dirty = false;
    const started = metrics.pendingEdit;
    metrics.pendingEdit = null;
    try {
      const r = await api("/api/evaluate", {network: state.net, bounds: state.bounds,
                                            point: state.point, grid: 100});
      view = await r.json();
      showMessage("");
      draw();
      // an edit counts as shown at the next frame the browser paints after drawing it
      if (started !== null) requestAnimationFrame(() => metrics.editLatencies.push(performance.now() - started));
    } catch (e) {
      showMessage(e.message);
    }
  }
  inFlight = false;
}

// ------------------------------------------------------------------ the diagram (SVG)
const SVGNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, parent, text) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}
function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "";
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}
const GLYPH = {threshold: "1{z≥0}", sigmoid: "σ(z)", relu: "max(0,z)"};
// The diagram is built once per shape (N_i, N_h, N_o, g_act, output); later calls (every few
// training steps) only restyle the edges whose look changed and rewrite changed biases.
let diagram = null;     // {key, edges: [{line, name, look}], biases: [{text, name, shown}]}
function edgeLook(w, big) {
  // stroke width in quarter pixels: a weight that moves a little costs no DOM write
  return [w > 0 ? "#0877bd" : w < 0 ? "#f59322" : "#bbb",
          (0.6 + Math.round(16 * Math.abs(w) / big) / 4).toFixed(2), w === 0 ? "3 3" : "none"];
}
function weightOf([p, i, j]) { return p.startsWith("W") ? state.net[p][i][j] : state.net[p][i]; }
function updateDiagram() {
  const all = [...state.net.W_H.flat(), ...state.net.W_O.flat()].map(Math.abs);
  const big = Math.max(1e-9, ...all);
  for (const e of diagram.edges) {
    const look = edgeLook(weightOf(e.name), big);
    if (look.every((v, k) => v === e.look[k])) continue;
    e.look = look;
    e.line.setAttribute("stroke", look[0]);
    e.line.setAttribute("stroke-width", look[1]);
    e.line.setAttribute("stroke-dasharray", look[2]);
  }
  for (const b of diagram.biases) {
    const text = `b=${fmt(weightOf(b.name))}`;
    if (text !== b.shown) { b.shown = text; b.text.textContent = text; }
  }
}
function drawDiagram() {
  const d = $("diagram");
  const ni = N_i(), nh = N_h(), no = N_o();
  const key = [ni, nh, no, state.net.activation, state.net.output].join();
  if (diagram && diagram.key === key && d.firstChild) { updateDiagram(); return; }
  diagram = {key, edges: [], biases: []};
  d.replaceChildren();
  const row = nh > 16 ? 16 : 30;
  const H = Math.max(200, nh * row + 60), W = 380;
  d.setAttribute("viewBox", `0 0 ${W} ${H}`);
  d.style.height = Math.min(H, 720) + "px";
  const ys = (n, k) => 40 + (k + 0.5) * (H - 60) / n;
  const xs = [40, 190, 330];
  const edge = (x1, y1, x2, y2, name) => {
    const line = svg("line", {x1, y1, x2, y2, class: "edge", "data-name": name.join(",")}, d);
    const title = svg("title", {}, line);
    // the tooltip's text is written when the pointer reaches the edge, not at every step
    line.addEventListener("mouseenter", () => {
      title.textContent = `${name[0]}[${name[1] + 1},${name[2] + 1}] = ${fmt(weightOf(name))}`;
    });
    line.addEventListener("click", () => select(name));
    diagram.edges.push({line, name, look: []});
  };
  for (let j = 0; j < nh; j++)
    for (let k = 0; k < ni; k++) edge(xs[0], ys(ni, k), xs[1], ys(nh, j), ["W_H", j, k]);
  for (let i = 0; i < no; i++)
    for (let j = 0; j < nh; j++) edge(xs[1], ys(nh, j), xs[2], ys(no, i), ["W_O", i, j]);
  const r = nh > 16 ? 6 : 11;
  for (let k = 0; k < ni; k++) {
    svg("circle", {cx: xs[0], cy: ys(ni, k), r: 13, fill: "#fff", stroke: "#333"}, d);
    svg("text", {x: xs[0], y: ys(ni, k) + 4, "text-anchor": "middle", "font-size": 12},
        d, ni === 1 ? "x" : `x${k + 1}`);
  }
  for (let j = 0; j < nh; j++) {
    svg("circle", {cx: xs[1], cy: ys(nh, j), r, fill: "#fff", stroke: "#333"}, d);
    if (nh <= 16) {
      svg("text", {x: xs[1], y: ys(nh, j) + 4, "text-anchor": "middle", "font-size": 10}, d, j + 1);
      diagram.biases.push({text: svg("text", {x: xs[1] + 15, y: ys(nh, j) - 6, "font-size": 10,
                                              fill: "#555"}, d), name: ["b_H", j], shown: null});
    }
  }
  for (let i = 0; i < no; i++) {
    svg("circle", {cx: xs[2], cy: ys(no, i), r: 13, fill: "#fff", stroke: "#333"}, d);
    svg("text", {x: xs[2], y: ys(no, i) + 4, "text-anchor": "middle", "font-size": 10}, d,
        no === 1 ? "zᴼ" : `z${i + 1}ᴼ`);
    diagram.biases.push({text: svg("text", {x: xs[2] - 12, y: ys(no, i) - 18, "font-size": 10,
                                            fill: "#555"}, d), name: ["b_O", i], shown: null});
  }
  const out = {binary: "ŷ = 1{zᴼ≥0} (4)", multiclass: "ŷ = argmax zᴼ (6)", regression: "ŷ = zᴼ (7)"};
  svg("text", {x: 10, y: 16, "font-size": 11}, d,
      `inputs x   hidden: u_j = ${GLYPH[state.net.activation]} (1a)`);
  svg("text", {x: 250, y: H - 6, "font-size": 11}, d, out[state.net.output]);
  updateDiagram();
}

// ------------------------------------------------------------------ the weights table
function select(name) {
  selected = name;
  const [p, i, j] = name;
  const v = p.startsWith("W") ? state.net[p][i][j] : state.net[p][i];
  $("selected-name").textContent = p.startsWith("W") ? `${p}[${i + 1},${j + 1}]` : `${p}[${i + 1}]`;
  const s = $("slider");
  s.disabled = false;
  s.min = Math.min(-5, Math.floor(v)); s.max = Math.max(5, Math.ceil(v));
  s.value = v;
  document.querySelectorAll("#weights input").forEach((el) =>
    el.classList.toggle("selected", el.dataset.name === name.join(",")));
}
function setWeight(name, value, fromTable) {
  const [p, i, j] = name;
  if (p.startsWith("W")) state.net[p][i][j] = value; else state.net[p][i] = value;
  weightsEdited = true;
  editCount++;
  metrics.pendingEdit = metrics.pendingEdit ?? performance.now();
  if (!fromTable) {
    const el = document.querySelector(`#weights input[data-name="${name.join(",")}"]`);
    if (el) el.value = value;
  }
  drawDiagram();
  requestEval();
}
let weightsKey = null;  // the shape the weights table was built for
function buildWeights() {
  const t = $("weights");
  const ni = N_i(), no = N_o();
  const key = [ni, N_h(), no].join();
  if (key === weightsKey && t.rows.length) {  // same shape: only the values change
    for (const el of t.querySelectorAll("input")) {
      const v = fmt(weightOf(el.dataset.name.split(",").map((x, k) => (k ? +x : x))));
      if (el !== document.activeElement && el.value !== v) el.value = v;
    }
    return;
  }
  weightsKey = key;
  t.replaceChildren();
  const head = t.insertRow();
  const cols = ["j", ...Array.from({length: ni}, (_, k) => `W_H[j,${k + 1}]`), "b_H[j]",
                ...Array.from({length: no}, (_, i) => `W_O[${i + 1},j]`)];
  for (const c of cols) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  const cell = (tr, name, value) => {
    const td = tr.insertCell();
    const el = document.createElement("input");
    el.type = "number"; el.step = "0.1"; el.value = fmt(value); el.dataset.name = name.join(",");
    el.addEventListener("focus", () => select(name));
    el.addEventListener("input", () => {
      const v = parseFloat(el.value);
      if (Number.isFinite(v)) { setWeight(name, v, true); $("slider").value = v; }
    });
    td.appendChild(el);
  };
  for (let j = 0; j < N_h(); j++) {
    const tr = t.insertRow();
    tr.insertCell().textContent = j + 1;
    for (let k = 0; k < ni; k++) cell(tr, ["W_H", j, k], state.net.W_H[j][k]);
    cell(tr, ["b_H", j], state.net.b_H[j]);
    for (let i = 0; i < no; i++) cell(tr, ["W_O", i, j], state.net.W_O[i][j]);
  }
  const tr = t.insertRow();
  const lab = tr.insertCell(); lab.textContent = "b_O"; lab.colSpan = ni + 2;
  for (let i = 0; i < no; i++) cell(tr, ["b_O", i], state.net.b_O[i]);
}

// ------------------------------------------------------------------ the function view (canvas)
function toPx(bounds, x, y, W, H) {
  return [(x - bounds[0]) / (bounds[1] - bounds[0]) * W, (1 - (y - bounds[2]) / (bounds[3] - bounds[2])) * H];
}
function points() {
  if (state.mode === "train" && trainData) return trainData;
  return handData;
}
function hexRgb(h) { return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)); }
function bytes(b64) {
  const text = atob(b64), out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
// colour of a grid point by (label, value byte): one table of 256 RGBA words per class
const lutCache = {};
function colourTable(output) {
  if (lutCache[output]) return lutCache[output];
  const rgb = COLORS.map(hexRgb), lut = new Uint32Array(COLORS.length * 256);
  const pack = (c, a) => (255 << 24) | (Math.round(255 + (c[2] - 255) * a) << 16) |
    (Math.round(255 + (c[1] - 255) * a) << 8) | Math.round(255 + (c[0] - 255) * a);
  for (let k = 0; k < COLORS.length; k++)
    for (let q = 0; q < 256; q++) {
      const v = q / 255;
      if (output === "binary") lut[k * 256 + q] = pack(rgb[k], 0.25 + 1.2 * Math.abs(v - 0.5));
      else if (output === "multiclass") lut[k * 256 + q] = pack(rgb[k], 0.2 + 0.6 * v);
      else lut[k * 256 + q] = pack(v < 0.5 ? rgb[0] : rgb[1], Math.abs(v - 0.5) * 1.6);
    }
  return (lutCache[output] = lut);
}
function drawGrid(g) {
  const cv = $("plot-grid"), n = g.n;
  if (cv.width !== n) { cv.width = n; cv.height = n; }
  const value = bytes(g.value), label = bytes(g.label);
  const lut = colourTable(state.net.output);
  const img = new ImageData(n, n), px = new Uint32Array(img.data.buffer);
  for (let p = 0; p < n * n; p++) px[p] = lut[(label[p] % COLORS.length) * 256 + value[p]];
  cv.getContext("2d").putImageData(img, 0, 0);
}
function drawUnitLines(ctx, b, W, H) {
  // each hidden unit's boundary z_j^H = W_j1 x_1 + W_j2 x_2 + b_j = 0, a line across the view
  ctx.save();
  ctx.setLineDash([5, 4]);
  ctx.lineWidth = 1;
  for (let j = 0; j < N_h(); j++) {
    const [w1, w2] = state.net.W_H[j], bj = state.net.b_H[j];
    let p1, p2;
    if (Math.abs(w2) > Math.abs(w1)) {
      p1 = [b[0], -(w1 * b[0] + bj) / w2]; p2 = [b[1], -(w1 * b[1] + bj) / w2];
    } else if (w1 !== 0) {
      p1 = [-(w2 * b[2] + bj) / w1, b[2]]; p2 = [-(w2 * b[3] + bj) / w1, b[3]];
    } else continue;
    ctx.strokeStyle = "rgba(40,40,40,0.7)";
    ctx.beginPath();
    ctx.moveTo(...toPx(b, ...p1, W, H)); ctx.lineTo(...toPx(b, ...p2, W, H)); ctx.stroke();
    if (N_h() <= 6) {
      const mid = toPx(b, (p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2, W, H);
      ctx.fillStyle = "#222"; ctx.font = "11px sans-serif";
      ctx.fillText(`z${j + 1}=0`, Math.min(W - 30, Math.max(2, mid[0] + 3)), Math.min(H - 3, Math.max(12, mid[1] - 3)));
    }
  }
  ctx.restore();
}
let pointsDrawn = null;
function drawPoints2(b) {
  // the data do not change while training: this layer is redrawn only when they or the view do
  const d = points(), key = [d, ...b];
  if (pointsDrawn && key.every((v, i) => v === pointsDrawn[i])) return;
  pointsDrawn = key;
  const cv = $("plot-points"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  ctx.clearRect(0, 0, W, H);
  if (!d) return;
  ctx.lineWidth = 1.2;
  for (let i = 0; i < d.X.length; i++) {
    const [px, py] = toPx(b, d.X[i][0], d.X[i][1], W, H);
    ctx.beginPath(); ctx.arc(px, py, 4, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS[d.y[i] % COLORS.length];
    ctx.strokeStyle = d.validation && d.validation[i] ? "#000" : "#fff";
    ctx.fill(); ctx.stroke();
  }
}
function plotRange1(c) {
  let lo = Infinity, hi = -Infinity;
  const upd = (v) => { if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } };
  // the range of y_hat and the data (and [0, 1], where threshold units live); a ReLU unit's
  // u_j^H may leave the plot rather than squash the curve
  c.y_hat.forEach(upd);
  const d = points(); if (d) d.y.forEach(upd);
  if (state.net.activation !== "relu") [0, 1].forEach(upd);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.1;
  return [lo - pad, hi + pad];
}
function drawCurve(ctx, W, H) {
  const c = view.curve, b = view.bounds;
  const [ylo, yhi] = plotRange1(c);
  const bb = [b[0], b[1], ylo, yhi];
  const P = (x, y) => toPx(bb, x, y, W, H);
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(...P(b[0], 0)); ctx.lineTo(...P(b[1], 0)); ctx.stroke();
  ctx.fillStyle = "#555"; ctx.font = "11px sans-serif";
  for (let t = Math.ceil(b[0]); t <= b[1]; t++) { const [px, py] = P(t, 0); ctx.fillText(t, Math.max(2, px - 3), Math.min(H - 2, py + 12)); }
  for (const y of [ylo, yhi]) ctx.fillText(fmt(+y.toFixed(2)), 2, P(b[0], y)[1] + (y === yhi ? 12 : -3));
  const d = points();
  if (d) for (let i = 0; i < d.X.length; i++) {
    ctx.beginPath(); ctx.arc(...P(d.X[i][0], d.y[i]), 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = state.net.output === "regression" ? "#999" : COLORS[d.y[i] % COLORS.length];
    ctx.fill();
  }
  c.u_H.forEach((u, j) => {  // each hidden unit's u_j^H(x)
    ctx.strokeStyle = COLORS[(j + 2) % COLORS.length]; ctx.globalAlpha = 0.5; ctx.lineWidth = 1.2;
    ctx.beginPath(); c.x.forEach((x, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, ...P(x, u[i]))); ctx.stroke();
  });
  ctx.globalAlpha = 1; ctx.strokeStyle = "#0877bd"; ctx.lineWidth = 2.5;
  if (view.piecewise) {  // y_hat exactly: constant pieces, closed (filled) and open (hollow) ends
    for (const p of view.piecewise.y_hat_intervals) {
      const lo = p.lo === null ? b[0] : Math.max(b[0], p.lo), hi = p.hi === null ? b[1] : Math.min(b[1], p.hi);
      if (hi < lo) continue;
      ctx.beginPath(); ctx.moveTo(...P(lo, p.y_hat)); ctx.lineTo(...P(hi, p.y_hat)); ctx.stroke();
      for (const [x, closed, real] of [[p.lo, p.lo_closed, p.lo !== null], [p.hi, p.hi_closed, p.hi !== null]]) {
        if (!real || x < b[0] || x > b[1]) continue;
        ctx.beginPath(); ctx.arc(...P(x, p.y_hat), 4, 0, 2 * Math.PI);
        ctx.fillStyle = closed ? "#0877bd" : "#fff"; ctx.fill(); ctx.stroke();
      }
    }
  } else {
    ctx.beginPath(); c.x.forEach((x, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, ...P(x, c.y_hat[i]))); ctx.stroke();
  }
  if (state.point) {
    ctx.strokeStyle = "#d62728"; ctx.setLineDash([4, 3]); ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(...P(state.point[0], ylo)); ctx.lineTo(...P(state.point[0], yhi)); ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.fillStyle = "#0877bd"; ctx.fillText("ŷ(x)", W - 60, 14);
  c.u_H.slice(0, 8).forEach((_, j) => {
    ctx.fillStyle = COLORS[(j + 2) % COLORS.length]; ctx.fillText(`u${j + 1}ᴴ(x)`, W - 60, 28 + 13 * j);
  });
}
function drawPlot() {
  const cv = $("plot"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height;
  ctx.clearRect(0, 0, W, H);
  if (!view) return;
  for (const id of ["plot-grid", "plot-points"]) if ($(id).hidden !== !view.grid) $(id).hidden = !view.grid;
  if (view.grid) {
    const b = view.bounds;
    drawGrid(view.grid);
    drawPoints2(b);
    drawUnitLines(ctx, b, W, H);
    if (state.point && state.point.length === 2) {
      const [px, py] = toPx(b, state.point[0], state.point[1], W, H);
      ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(px - 7, py); ctx.lineTo(px + 7, py); ctx.moveTo(px, py - 7); ctx.lineTo(px, py + 7); ctx.stroke();
    }
  } else if (view.curve) {
    drawCurve(ctx, W, H);
  }
}
function drawDescription() {
  const el = $("description");
  const lines = [];
  if (view.piecewise) lines.push("Exact description (explain.describe_piecewise):", ...view.piecewise.units, view.piecewise.z_O_text, view.piecewise.y_hat_text);
  else if (view.regions) lines.push("Exact description (explain.describe_regions):", ...view.regions);
  else if (N_i() === 2) lines.push("Colours: ŷ of each grid point, stronger where the output is surer; dashed lines: z_j^H = 0.");
  else lines.push("An exact piecewise description exists for threshold units; this network uses " + state.net.activation + ".");
  setText(el, lines.join("\n"));
  setText($("function-title"), N_i() === 1 ? "ŷ(x) and each u_j^H(x)" : "Decision regions and unit boundaries");
}
let tableDrawn = null;
function drawTable() {
  // the column under the pointer while hovering the plot, else the pinned point's
  const t = $("table1"), hovering = hoverPoint !== null && hoverTable !== null;
  const table = hovering ? hoverTable.table : view && view.table;
  setText($("table-source"), hovering ? "under the pointer (click to keep it)" : "at the chosen point");
  if (table && table === tableDrawn) return;  // unchanged since last drawn
  const rows = t.querySelectorAll("tr[data-key]");
  if (table && tableDrawn && rows.length === table.rows.length &&
      table.rows.every((r, i) => rows[i].dataset.key === r.key)) {
    // the same rows (same network shape): rewrite the texts that changed, nothing else
    table.rows.forEach((r, i) => {
      const [label, value, eq] = rows[i].cells;
      setText(label, r.label); setText(value, r.text); setText(eq, r.eq);
    });
    tableDrawn = table;
    return;
  }
  tableDrawn = table || null;
  t.replaceChildren();
  if (!table) { t.insertRow().insertCell().textContent = "click the plot or type a point"; return; }
  const h = t.insertRow();
  for (const c of ["variable", "value", "equation"]) { const th = document.createElement("th"); th.textContent = c; h.appendChild(th); }
  for (const r of table.rows) {
    const tr = t.insertRow();
    tr.dataset.key = r.key;
    tr.insertCell().textContent = r.label;
    const v = tr.insertCell(); v.className = "value"; v.textContent = r.text;
    const e = tr.insertCell(); e.className = "eq"; e.textContent = r.eq;
  }
}
// ------------------------------------------------------------------ hovering the plot
// Table 1 for the point under the pointer, from /api/column (the column alone). Throttled:
// mouse moves are read once per animation frame, one request is in flight at a time (the
// latest point wins), and while training plays at most one goes out per HOVER_PLAYING_MS.
const HOVER_PLAYING_MS = 100;
let hoverPoint = null, hoverTable = null, hoverMoved = null, columnBusy = false, columnAgain = false;
let columnSentAt = -Infinity;
function plotPoint(clientX, clientY) {
  const r = $("plot").getBoundingClientRect();
  const fx = (clientX - r.left) / r.width, fy = (clientY - r.top) / r.height;
  const b = view ? view.bounds : state.bounds;
  const round = (v) => Math.round(v * 100) / 100;
  const x = round(b[0] + fx * (b[1] - b[0]));
  return N_i() === 1 ? [x] : [x, round(b[3] - fy * (b[3] - b[2]))];
}
function plotHovered(ev) {
  const first = hoverMoved === null;
  hoverMoved = [ev.clientX, ev.clientY];
  if (first) requestAnimationFrame(() => {
    if (hoverMoved === null) return;
    hoverPoint = plotPoint(...hoverMoved);
    hoverMoved = null;
    requestColumn();
  });
}
function plotLeft() {
  hoverMoved = null; hoverPoint = null; hoverTable = null;
  drawTable();
}
async function requestColumn() {
  if (columnBusy) { columnAgain = true; return; }
  columnBusy = true;
  do {
    columnAgain = false;
    const wait = playing ? columnSentAt + HOVER_PLAYING_MS - performance.now() : 0;
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
    const p = hoverPoint;
    if (p === null) break;
    columnSentAt = performance.now();
    metrics.columnRequests++;
    try {
      const res = await (await api("/api/column", {network: state.net, point: p})).json();
      if (hoverPoint !== null) { hoverTable = res; drawTable(); }
    } catch (e) {
      showMessage(e.message);
      break;
    }
  } while (columnAgain);
  columnBusy = false;
}
function draw() {
  drawPlot();
  drawDescription();
  drawTable();
  if (hoverPoint !== null) requestColumn();  // the hovered column follows edits and training
  metrics.draws++;
}

// ------------------------------------------------------------------ training
let trainNote = "";  // why training stopped by itself (L-BFGS converged)
let curvesEls = null;  // the loss plot's elements, made once; each redraw rewrites them
function drawCurves() {
  const d = $("curves");
  const W = 600, H = 220;
  const series = [["loss", "#0877bd", "training loss"], ["val_loss", "#f59322", "validation loss"]];
  if (!curvesEls || !d.firstChild) {
    d.replaceChildren();
    d.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg("line", {x1: 40, y1: H - 25, x2: W - 20, y2: H - 25, stroke: "#999"}, d);
    svg("line", {x1: 40, y1: 20, x2: 40, y2: H - 25, stroke: "#999"}, d);
    curvesEls = {hi: svg("text", {x: 2, y: 24, "font-size": 11}, d),
                 n: svg("text", {x: W - 80, y: H - 8, "font-size": 11}, d),
                 paths: series.map(([, color]) => svg("path", {d: "", fill: "none", stroke: color, "stroke-width": 1.8}, d)),
                 names: series.map(([, color], s) => svg("text", {x: W - 150, y: 20 + 14 * s, "font-size": 11, fill: color}, d))};
  }
  const n = curves.loss.length;
  const hi = n ? Math.max(...curves.loss, ...curves.val_loss) || 1 : 1;
  const X = (i) => 40 + (W - 60) * (n === 1 ? 0 : i / (n - 1)), Y = (v) => H - 25 - (H - 45) * v / hi;
  setText(curvesEls.hi, n ? fmt(+hi.toPrecision(3)) : "");
  setText(curvesEls.n, n ? `${state.train.optimizer === "lbfgs" ? "iteration" : "epoch"} ${n}` : "");
  series.forEach(([key, , name], s) => {
    const v = curves[key];
    const step = Math.max(1, Math.floor(v.length / 600));
    let path = "";
    for (let i = 0; i < v.length; i += step) path += `${i ? "L" : "M"}${X(i).toFixed(1)},${Y(v[i]).toFixed(1)}`;
    curvesEls.paths[s].setAttribute("d", path);
    setText(curvesEls.names[s], v.length ? name : "");
  });
  if (!n) return;
  const last = (a) => a[a.length - 1];
  const scoreName = trainData && trainData.output === "regression" ? "validation R²" : "validation accuracy";
  const st = $("train-status");
  const unit = state.train.optimizer === "lbfgs" ? "iteration" : "epoch";
  st.textContent = `${unit} ${n} · training loss ${fmt(last(curves.loss))} · validation loss ${fmt(last(curves.val_loss))} · ${scoreName} ${fmt(last(curves.val_score))}` +
    (trainNote ? ` · ${trainNote}` : "");
  st.dataset.valScore = last(curves.val_score);
  st.dataset.epochs = n;
}
function sessionRequest() {
  return {...state.data, ...state.train, grid: 100};
}
let sessionGen = 0, sessionPending = null;
function newSession() {
  playing = false;
  sessionPending = makeSession(++sessionGen);
  return sessionPending;
}
async function makeSession(gen) {
  try {
    const r = await api("/api/session", sessionRequest());
    const res = await r.json();
    if (gen !== sessionGen) return;  // a newer request (settings changed again) wins
    sessionPending = null;
    session = {id: res.session};
    trainData = res.data;
    state.net = res.network;
    state.bounds = res.bounds;
    if (!state.point || state.point.length !== N_i()) state.point = N_i() === 1 ? [0] : [0, 0];
    curves = {loss: [], val_loss: [], val_score: []};
    trainNote = "";
    weightsEdited = false;
    view = res;
    showMessage("");
    rebuild();
    draw();
    drawCurves();
    $("train-status").textContent = "not trained yet";
    saveUrl();
  } catch (e) {
    if (gen === sessionGen) { sessionPending = null; showMessage(e.message); }
  }
}
// One training request: {res, edits} on success, null (message shown) on failure.
let stepCount = 0;
async function requestStep(epochs) {
  if (sessionPending) await sessionPending;
  if (!session) await newSession();
  if (!session) return null;
  const body = {session: session.id, epochs, bounds: state.bounds, grid: 100};
  // while playing, Table 1's column is refreshed every fifth step (it is the slowest part)
  if (!playing || stepCount++ % 5 === 0) body.point = state.point;
  if (weightsEdited) body.network = state.net;
  const edits = editCount;
  try {
    const sent = performance.now();
    const r = await api("/api/train", body);
    const res = await r.json();
    // request sent -> response read, and the library's share of it (Server-Timing)
    metrics.roundTrips.push(performance.now() - sent);
    metrics.serverTiming.push(r.headers.get("Server-Timing"));
    for (const a of [metrics.roundTrips, metrics.serverTiming]) if (a.length > 5000) a.splice(0, 1000);
    return {res, edits};
  } catch (e) {
    showMessage(e.message);
    if (e.status === 404) session = null;
    return null;
  }
}
function applyStep({res, edits}) {
  if (edits === editCount) {  // else keep the weights edited meanwhile; the next step sends them
    weightsEdited = false;
    state.net = res.network;
  }
  if (!res.table && view && view.table) res.table = view.table;
  view = res;
  for (const k of ["loss", "val_loss", "val_score"]) curves[k].push(...res.history[k]);
  trainNote = res.history.stopped || "";
  if (trainNote) playing = false;  // L-BFGS converged: nothing more to draw
  // while playing, the 2-D view is redrawn every step; the diagram and the curves every third,
  // the weights table every fifteenth (they change slowly, and drawing them costs the most)
  const n = stepCount;
  if (!playing || n % 3 === 0) { drawDiagram(); drawCurves(); }
  if (!playing || n % 15 === 0) buildWeights();
  draw();
  metrics.frames.push(performance.now());
  if (metrics.frames.length > 5000) metrics.frames.splice(0, 1000);
  showMessage("");
  saveUrl();
}
async function trainStep(epochs) {
  const step = await requestStep(epochs);
  if (step) applyStep(step);
  return step !== null;
}
async function play() {
  if (playing) return;
  playing = true;
  $("play").disabled = true;
  const epochs = () => Math.max(1, Math.min(100, state.train.epochs_per_step | 0));
  // the next request goes out before this step is drawn: the server trains while the page draws
  let next = requestStep(epochs());
  for (;;) {
    const step = await next;
    if (!step) break;
    next = playing ? requestStep(epochs()) : null;
    applyStep(step);
    if (!next) break;
  }
  playing = false;
  $("play").disabled = false;
  buildWeights();
  drawDiagram();
  drawCurves();
}

// ------------------------------------------------------------------ files
async function download(path, body, name) {
  try {
    const r = await api(path, body);
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) { showMessage(e.message); }
}
async function openModel(file) {
  try {
    const r = await api("/api/open", await file.arrayBuffer(), file);
    const res = await r.json();
    setMode("hand", false);
    state.net = res.network;
    state.preset = null;
    handData = null;
    state.bounds = defaultBounds(N_i());
    state.point = N_i() === 1 ? [0] : [0, 0];
    showMessage("");
    rebuild();
    requestEval();
  } catch (e) { showMessage(e.message); }
}

// ------------------------------------------------------------------ controls
// a control the user is typing in keeps what they typed
function put(el, value) { if (el !== document.activeElement) el.value = value; }
function rebuild() {
  const hand = state.mode === "hand";
  document.querySelectorAll(".mode").forEach((b) => b.classList.toggle("active", b.dataset.mode === state.mode));
  $("hand-controls").hidden = !hand;
  $("train-controls").hidden = hand;
  $("training-view").hidden = hand;
  put($("N_i"), N_i());
  put($("N_h"), N_h());
  put($("activation"), state.net.activation);
  put($("output"), state.net.output);
  put($("N_o"), N_o());
  $("N_o-label").hidden = state.net.output !== "multiclass";
  for (const [k, v] of Object.entries(state.data)) if ($(k) && k !== "features") put($(k), v);
  put($("feature-a"), state.data.features[0]);
  put($("feature-b"), state.data.features[1]);
  $("features-label").hidden = state.data.dataset !== "iris";
  for (const [k, v] of Object.entries(state.train)) {
    const el = $("train-" + k) || $(k);
    if (el) put(el, v);
  }
  lbfgsFields();
  put($("point-x"), state.point ? state.point[0] : "");
  put($("point-y"), state.point && state.point.length > 1 ? state.point[1] : "");
  $("point-y-box").hidden = N_i() !== 2;
  buildWeights();
  drawDiagram();
}
// full-batch L-BFGS has no learning rate and no batches
function lbfgsFields() {
  for (const id of ["learning_rate", "batch_size"]) $(id).disabled = state.train.optimizer === "lbfgs";
}
function setMode(mode, act = true) {
  playing = false;
  state.mode = mode;
  if (!act) return;
  if (mode === "train") newSession();
  else { applyPreset(state.preset || "problem2"); }
}
function applyPreset(name) {
  const p = config.presets[name];
  state.preset = name;
  state.net = JSON.parse(JSON.stringify(p.network));
  state.bounds = p.bounds;
  state.point = p.point;
  handData = p.data ? {X: p.data.X, y: p.data.y} : null;
  rebuild();
  requestEval();
}
function handShapeChanged() {
  const ni = +$("N_i").value, nh = Math.max(1, Math.min(config.limits.N_h, +$("N_h").value | 0));
  const out = $("output").value;
  const no = out === "multiclass" ? Math.max(2, Math.min(10, +$("N_o").value | 0 || 3)) : 1;
  if (ni !== N_i()) { state.bounds = defaultBounds(ni); state.point = ni === 1 ? [0] : [0, 0]; handData = null; }
  state.net = resize({...state.net, activation: $("activation").value, output: out}, ni, nh, no);
  state.preset = null;
  rebuild();
  requestEval();
}
function pointChanged() {
  const x = parseFloat($("point-x").value), y = parseFloat($("point-y").value);
  if (!Number.isFinite(x) || (N_i() === 2 && !Number.isFinite(y))) return;
  state.point = N_i() === 1 ? [x] : [x, y];
  requestEval();
}
function plotClicked(ev) {
  state.point = plotPoint(ev.clientX, ev.clientY);
  $("point-x").value = state.point[0];
  if (N_i() === 2) $("point-y").value = state.point[1];
  hoverTable = null;  // the pinned point's column comes with the view
  requestEval();
}
function wire() {
  document.querySelectorAll(".mode").forEach((b) => b.addEventListener("click", () => { setMode(b.dataset.mode); saveUrl(); }));
  document.querySelectorAll("[data-preset]").forEach((b) => b.addEventListener("click", () => applyPreset(b.dataset.preset)));
  for (const id of ["N_i", "N_h", "activation", "output", "N_o"]) $(id).addEventListener("change", handShapeChanged);
  for (const id of ["dataset", "n", "noise", "validation", "seed", "feature-a", "feature-b"])
    $(id).addEventListener("change", () => {
      state.data = {dataset: $("dataset").value, n: +$("n").value, noise: +$("noise").value,
                    validation: +$("validation").value, seed: +$("seed").value,
                    features: [+$("feature-a").value, +$("feature-b").value]};
      newSession();
    });
  for (const id of ["train-N_h", "train-activation", "optimizer", "learning_rate", "batch_size", "l2"])
    $(id).addEventListener("change", () => {
      const key = id.replace("train-", "");
      state.train[key] = key === "activation" || key === "optimizer" ? $(id).value : +$(id).value;
      lbfgsFields();
      newSession();
    });
  $("epochs_per_step").addEventListener("change", () => { state.train.epochs_per_step = +$("epochs_per_step").value; saveUrl(); });
  $("play").addEventListener("click", play);
  $("pause").addEventListener("click", () => { playing = false; });
  $("step").addEventListener("click", async () => { playing = false; await trainStep(1); });
  $("reset").addEventListener("click", newSession);
  $("slider").addEventListener("input", () => { if (selected) setWeight(selected, parseFloat($("slider").value)); });
  $("point-x").addEventListener("change", pointChanged);
  $("point-y").addEventListener("change", pointChanged);
  $("plot").addEventListener("click", plotClicked);
  $("plot").addEventListener("mousemove", plotHovered);
  $("plot").addEventListener("mouseleave", plotLeft);
  $("download-model").addEventListener("click", () => download("/api/model", {network: state.net, state: encodeState()}, "playground.safetensors"));
  $("download-trace").addEventListener("click", () => download("/api/trace", {network: state.net, points: state.point ? [state.point] : []}, "playground-trace.md"));
  $("open-model").addEventListener("change", (ev) => { if (ev.target.files[0]) openModel(ev.target.files[0]); ev.target.value = ""; });
  $("copy-link").addEventListener("click", async () => {
    history.replaceState(null, "", location.pathname + location.search + "#s=" + encodeState());
    try { await navigator.clipboard.writeText(location.href); showMessage(""); }
    catch (e) { showMessage("copy this page's address: the state is in it"); }
  });
}

async function start() {
  config = await (await api("/api/config")).json();
  for (const [name, [, what]] of Object.entries(config.datasets)) {
    const o = document.createElement("option"); o.value = name; o.textContent = `${name}: ${what}`; $("dataset").appendChild(o);
  }
  config.iris_features.forEach((f, i) => {
    for (const id of ["feature-a", "feature-b"]) { const o = document.createElement("option"); o.value = i; o.textContent = f; $(id).appendChild(o); }
  });
  wire();
  const m = location.hash.match(/^#s=(.+)$/);
  if (m) {
    try {
      const saved = decodeState(m[1]);
      state = {...state, ...saved, data: {...state.data, ...saved.data}, train: {...state.train, ...saved.train}};
    } catch (e) { showMessage("the link's state could not be read; starting afresh"); }
  }
  if (!state.net) state.net = JSON.parse(JSON.stringify(config.presets.problem2.network));
  if (state.mode === "hand" && state.preset && config.presets[state.preset] && config.presets[state.preset].data)
    handData = config.presets[state.preset].data;
  if (state.mode === "train") {
    const net = state.net;
    await newSession();
    if (m && net && net.W_H.length === N_h()) { state.net = net; weightsEdited = true; rebuild(); requestEval(); }
  } else {
    rebuild();
    requestEval();
  }
}
start().catch((e) => showMessage(String(e.message || e)));
