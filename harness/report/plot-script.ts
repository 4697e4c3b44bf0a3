/**
 * The page's renderer, run in the browser: \`gamedayRender(data)\` draws
 * each plot with uPlot (the report calls it once with #gameday-charts; the
 * live page again on every update). Markers and thresholds are
 * elements laid over the plot (not canvas strokes), placed through the
 * plot's own scales, so a test can read where each one sits. The plots are
 * left on `window.gamedayPlots` for the same reason.
 */
export const PLOT_SCRIPT = String.raw`(() => {
  // Draws (or draws again, for the live page) every plot of data into the element named by its chart's id.
  window.gamedayRender = (data) => {
  for (const p of window.gamedayPlots || []) p.plot.destroy();
  const ts = data.timeScale;
  const fmt = (v, unit) => {
    if (v == null) return "";
    if (unit === "%") return (Math.abs(v) < 10 ? v.toFixed(Math.abs(v) < 1 ? 2 : 1) : v.toFixed(0)) + "%";
    if (unit === "ms") return Math.round(v) + " ms";
    return String(Math.round(v * 100) / 100) + (unit ? " " + unit : "");
  };
  const secs = (s) => (Math.abs(s) >= 3600 && s % 3600 === 0 ? s / 3600 + " h" : Math.abs(s) >= 120 ? (s / 60).toFixed(s % 60 === 0 ? 0 : 1) + " min" : (Math.round(s * 10) / 10) + " s");
  // A tick step in seconds a person reads at a glance: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1 h...
  const nice = (span) => {
    const raw = span / 6;
    for (const m of [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]) if (raw <= m) return m;
    return 86400 * Math.ceil(raw / 86400);
  };
  // Ticks at round seconds of a clock that runs \`factor\` times slower than the wall: the wall's own (1) at the
  // bottom, spec time (the time scale) on top, each placed at its wall second.
  const splitsOf = (factor) => (u, axis, min, max) => {
    const step = nice((max - min) / factor), out = [];
    for (let s = Math.ceil(min / factor / step) * step; s <= max / factor + 1e-9; s += step) out.push(s * factor);
    return out;
  };
  const place = (u, chart) => {
    const over = u.over;
    over.querySelectorAll(".marker,.threshold").forEach((n) => n.remove());
    data.markers.forEach((m, i) => {
      if (m.t < u.scales.x.min || m.t > u.scales.x.max) return;
      const d = document.createElement("div");
      d.className = "marker";
      d.dataset.t = String(m.t);
      d.dataset.event = m.event;
      d.dataset.label = m.label;
      d.style.left = u.valToPos(m.t, "x") + "px";
      d.style.borderColor = m.color;
      const s = document.createElement("span");
      s.textContent = m.label;
      s.style.color = m.color;
      s.style.top = (2 + (i % 4) * 12) + "px";
      d.appendChild(s);
      over.appendChild(d);
    });
    (chart.thresholds || []).forEach((t) => {
      const from = Math.max(t.from ?? u.scales.x.min, u.scales.x.min), to = Math.min(t.to ?? u.scales.x.max, u.scales.x.max);
      if (to <= from) return;
      const d = document.createElement("div");
      d.className = "threshold";
      d.dataset.value = String(t.value);
      d.dataset.label = t.label;
      const above = t.value > u.scales.y.max;
      if (above) d.classList.add("above");
      d.style.top = (above ? 0 : u.valToPos(t.value, "y")) + "px";
      d.style.left = u.valToPos(from, "x") + "px";
      d.style.width = (u.valToPos(to, "x") - u.valToPos(from, "x")) + "px";
      d.style.borderColor = t.color;
      const s = document.createElement("span");
      s.textContent = (above ? "\u2191 above: " : "") + t.label;
      s.style.color = t.color;
      d.appendChild(s);
      over.appendChild(d);
    });
  };
  window.gamedayPlots = [];
  for (const chart of data.charts) {
    const el = document.getElementById(chart.id);
    const xs = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    // Aligned columns: a series' own null opens a gap that lasts to its next point; x values that belong to other
    // series are undefined in it, which uPlot joins across.
    const columns = chart.series.map((s) => {
      const at = new Map(s.points.map((p) => [p[0], p[1]]));
      let gap = false;
      return xs.map((x) => {
        if (at.has(x)) {
          const v = at.get(x);
          gap = v === null;
          return v;
        }
        return gap ? null : undefined;
      });
    });
    // The y axis fits the data and the lowest threshold, and any other within 4 times the data: a 2 s trigger
    // would flatten 30 ms answers to a line at zero. A threshold above the axis is named at its top edge.
    const values = chart.series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v != null));
    const dataMax = Math.max(...values, 0);
    const levels = (chart.thresholds || []).map((t) => t.value);
    const lowest = Math.min(...levels);
    const top = Math.max(dataMax, ...levels.filter((v) => v === lowest || v <= 4 * dataMax), chart.unit === "%" ? 1 : 1e-9) * 1.12;
    const axes = [
      { scale: "x", side: 2, label: "wall seconds since the run started", splits: splitsOf(1), values: (u, splits) => splits.map(secs) },
      { scale: "y", label: chart.unit, size: 76, values: (u, splits) => splits.map((v) => fmt(v, chart.unit)) },
    ];
    if (ts !== 1) axes.push({ scale: "x", side: 0, label: "spec time (the document's seconds)", splits: splitsOf(ts), values: (u, splits) => splits.map((w) => secs(w / ts)) });
    const opts = {
      width: Math.max(el.clientWidth, 320),
      height: 240,
      scales: { x: { time: false, range: [data.tStart, data.tEnd] }, y: { range: [0, top] } },
      axes,
      legend: { live: true },
      series: [
        { label: "t", value: (u, v) => (v == null ? "" : secs(v) + (ts !== 1 ? " (spec " + secs(v / ts) + ")" : "")) },
        ...chart.series.map((s) => ({
          label: s.name,
          stroke: s.color,
          width: 1.6,
          spanGaps: false,
          value: (u, v) => fmt(v, chart.unit),
          ...(s.kind === "step" ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
          points: { show: s.kind === "points" || s.points.filter((p) => p[1] != null).length <= 2, size: s.kind === "points" ? 8 : 6, fill: s.color, stroke: s.color },
        })),
      ],
      hooks: { ready: [(u) => place(u, chart)], setSize: [(u) => place(u, chart)] },
    };
    const u = new uPlot(opts, [xs, ...columns], el);
    window.gamedayPlots.push({ id: chart.id, title: chart.title, unit: chart.unit, plot: u });
  }
  };
  window.addEventListener("resize", () => {
    for (const p of window.gamedayPlots || []) p.plot.setSize({ width: Math.max(document.getElementById(p.id).clientWidth, 320), height: 240 });
  });
  const embedded = document.getElementById("gameday-charts");
  if (embedded) window.gamedayRender(JSON.parse(embedded.textContent));
})();`;
