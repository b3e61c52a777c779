// The dashboard's two canvases: latency over time per provider or route, and requests
// (failed ones in red) per slice.

function niceStep(max) {
  const raw = max / 4, mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
}

/** A canvas sized for the screen's pixel ratio: [context, css width, css height]. */
function surface(id) {
  const canvas = $(id), ctx = canvas.getContext("2d");
  const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}

const colour = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function renderRate(d) {
  const [ctx, w, h] = surface("rate");
  const groups = Object.values(d.timeline.providers), n = d.timeline.starts_ms.length;
  const slices = Math.round(d.statistics.window_seconds / d.timeline.slice_seconds);
  const sum = (key, j) => groups.reduce((a, g) => a + (g[j] ? g[j][key] : 0), 0);
  const counts = [...Array(n).keys()].map((j) => [sum("requests", j), sum("failures", j)]);
  const top = Math.max(1, ...counts.map((c) => c[0]));
  const bw = w / slices, y1 = h - 14;
  ctx.fillStyle = colour("--line"); ctx.fillRect(0, y1, w, 1);
  counts.forEach(([all, failed], j) => {
    const x = w - (n - j) * bw + 1, hAll = (y1 - 14) * all / top, hBad = (y1 - 14) * failed / top;
    ctx.fillStyle = colour("--accent"); ctx.fillRect(x, y1 - hAll, bw - 2, hAll - hBad);
    ctx.fillStyle = colour("--bad"); ctx.fillRect(x, y1 - hBad, bw - 2, hBad);
  });
  ctx.fillStyle = colour("--muted"); ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top"; ctx.textAlign = "left"; ctx.fillText(`max ${top}`, 0, 0);
  ctx.textAlign = "right"; ctx.fillText("now", w, y1 + 2); ctx.textAlign = "left"; ctx.fillText("-5 min", 0, y1 + 2);
}

/**
 * The lines to draw: one per provider (or route) with traffic, in the chosen quantile; a
 * single series gets both p50 (solid) and p95 (dashed), so the card is never one thin line.
 */
function chartLines(groups, quantile) {
  const names = Object.keys(groups).filter((n) => n !== "none" && groups[n].some((p) => p.requests));
  if (names.length === 1) {
    return [{ name: `${names[0]} p50`, points: groups[names[0]], q: "p50_ms", colour: PALETTE[0] },
      { name: `${names[0]} p95`, points: groups[names[0]], q: "p95_ms", colour: PALETTE[0], dash: [5, 4] }];
  }
  return names.map((name, i) => ({ name, points: groups[name], q: quantile, colour: PALETTE[i % PALETTE.length] }));
}

function renderChart(d) {
  const [ctx, w, h] = surface("chart");
  const muted = colour("--muted"), line = colour("--line"), bad = colour("--bad");
  const tl = d.timeline, groups = tl[state.groupby];
  const lines = chartLines(groups, state.quantile);
  $("quantile").style.visibility = lines.length === 2 && lines[0].points === lines[1].points ? "hidden" : "visible";
  const starts = tl.starts_ms, span = tl.slice_seconds * 1000;
  const x0 = 46, x1 = w - 10, y0 = 10, y1 = h - 24;
  // From the first slice with traffic (at least three slices back) to now: no empty half.
  const used = starts.findIndex((_, j) => Object.values(groups).some((g) => g[j] && g[j].requests));
  const tMax = (starts.length ? starts[starts.length - 1] : Date.now()) + span;
  const tMin = Math.min(used < 0 ? tMax - 3 * span : starts[used], tMax - 3 * span);
  let max = 0;
  for (const l of lines) for (const p of l.points) if (p[l.q] != null) max = Math.max(max, p[l.q]);
  const step = niceStep(max || 100), top = Math.max(step * Math.ceil((max || 100) / step), step);
  const X = (t) => x0 + (x1 - x0) * (t - tMin) / (tMax - tMin), Y = (v) => y1 - (y1 - y0) * v / top;
  // Slices with failures: a red band behind the lines, and their count on top.
  const failed = starts.map((_, j) => Object.values(groups).reduce((a, g) => a + (g[j] ? g[j].failures : 0), 0));
  failed.forEach((n, j) => {
    if (!n || starts[j] < tMin) return;
    const xa = X(starts[j]), xb = X(starts[j] + span);
    ctx.fillStyle = bad; ctx.globalAlpha = 0.14; ctx.fillRect(xa, y0, xb - xa, y1 - y0); ctx.globalAlpha = 1;
    ctx.fillRect(xa, y1 - 3, xb - xa, 3);
    ctx.font = "bold 11px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "top";
    ctx.fillText(`${n}✕`, (xa + xb) / 2, y0);
  });
  ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = muted; ctx.strokeStyle = line; ctx.lineWidth = 1;
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let v = 0; v <= top + 1e-9; v += step) {
    ctx.beginPath(); ctx.moveTo(x0, Y(v) + .5); ctx.lineTo(x1, Y(v) + .5); ctx.stroke();
    ctx.fillText(ms(v), x0 - 6, Y(v));
  }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const minutes = (tMax - tMin) / 60000;
  for (let m = 0; m <= minutes + 1e-9; m += minutes > 2 ? 1 : 0.5) {
    const t = tMax - m * 60000;
    ctx.fillText(m ? `-${m} min` : "now", Math.min(Math.max(X(t), x0 + 14), x1 - 14), y1 + 6);
  }
  for (const l of lines) {
    ctx.strokeStyle = l.colour; ctx.fillStyle = l.colour; ctx.lineWidth = 2; ctx.lineJoin = "round";
    ctx.setLineDash(l.dash || []);
    ctx.beginPath();
    let drawing = false;
    l.points.forEach((p, j) => {
      const v = p[l.q];
      if (v == null) { drawing = false; return; }
      const x = X(starts[j] + span / 2), y = Y(v);
      if (drawing) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      drawing = true;
    });
    ctx.stroke(); ctx.setLineDash([]);
    l.points.forEach((p, j) => {
      if (p[l.q] == null) return;
      ctx.beginPath(); ctx.arc(X(starts[j] + span / 2), Y(p[l.q]), p.failures ? 4.5 : 2.5, 0, 2 * Math.PI);
      ctx.fillStyle = p.failures ? bad : l.colour; ctx.fill();
    });
  }
  if (!lines.length) {
    ctx.fillStyle = muted; ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.font = "13px system-ui, sans-serif";
    ctx.fillText("no requests in the last 5 minutes", (x0 + x1) / 2, (y0 + y1) / 2);
  }
  $("charthint").textContent = `${tl.slice_seconds} s slices`;
  $("legend").replaceChildren(
    ...lines.map((l) => el("span", {}, el("i", { style: `background:${l.colour}${l.dash ? ";opacity:.6" : ""}` }), l.name)),
    el("span", {}, el("i", { style: `background:${bad};height:8px;opacity:.5` }), "slice with failures (count on top)"));
}
