/* WINK shared helpers: JSON API calls with the CSRF token, a tiny SVG chart, and canvas drawing of zones. */
(function () {
  "use strict";

  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Every API error becomes an Error whose message is the API's one-line `error` (it names the field).
  async function api(method, url, body) {
    const options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRFToken"] = cookie("csrftoken");
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    if (response.status === 204) return null;
    let data = null;
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const message = (data && (data.error || data.detail)) || ("HTTP " + response.status);
      const error = new Error(message);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return "–";
    const number = Number(value);
    return number.toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 0 : digits,
      minimumFractionDigits: 0 });
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "–";
    const s = Math.round(Number(seconds));
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60), rest = s % 60;
    if (m < 60) return m + " min" + (rest ? " " + rest + " s" : "");
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function timeAgo(iso) {
    if (!iso) return "never";
    const then = new Date(iso).getTime();
    if (Number.isNaN(then)) return "–";
    const s = Math.max(0, Math.round((Date.now() - then) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  /* ---- SVG chart: bars (one or two series) with an optional line and a highlighted band ---- */
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs || {}).forEach(function ([k, v]) { node.setAttribute(k, v); });
    return node;
  }

  function niceMax(value) {
    if (value <= 0) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    const steps = [1, 2, 2.5, 5, 10];
    for (const step of steps) if (value <= step * power) return step * power;
    return 10 * power;
  }

  // spec: {labels: [...], series: [{name, values, cls, type: "bar"|"line"}], band: [bool per label], title}
  function chart(container, spec) {
    container.innerHTML = "";
    const labels = spec.labels || [];
    const series = (spec.series || []).filter(function (s) { return s && s.values; });
    const all = [];
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v !== undefined) all.push(Number(v)); }); });
    if (!labels.length || !all.length) {
      container.appendChild(el("p", { class: "chart-empty", text: spec.empty || "No data yet." }));
      return;
    }
    // Draw at the container's real width so the 11px labels stay 11px on a phone and on a wide screen.
    const width = Math.max(280, Math.round(container.clientWidth || 640)), height = spec.height || 220;
    const left = 40, right = 8, top = 10, bottom = 28;
    const plotW = width - left - right, plotH = height - top - bottom;
    const max = niceMax(Math.max.apply(null, all.concat([0])));
    const root = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": spec.title || "chart", preserveAspectRatio: "xMidYMid meet" });
    const slot = plotW / labels.length;
    const y = function (v) { return top + plotH - (Number(v) / max) * plotH; };
    if (spec.band) {
      spec.band.forEach(function (on, i) {
        if (on) root.appendChild(svg("rect", { class: "band", x: left + i * slot, y: top, width: slot, height: plotH }));
      });
    }
    for (let i = 0; i <= 4; i++) {
      const value = (max / 4) * i, yy = y(value);
      root.appendChild(svg("line", { class: "grid-line", x1: left, x2: width - right, y1: yy, y2: yy }));
      const t = svg("text", { x: left - 4, y: yy + 4, "text-anchor": "end" });
      t.textContent = fmt(value, max < 10 ? 1 : 0);
      root.appendChild(t);
    }
    root.appendChild(svg("line", { class: "axis", x1: left, x2: width - right, y1: top + plotH, y2: top + plotH }));
    const bars = series.filter(function (s) { return (s.type || "bar") === "bar"; });
    const barW = Math.max(1, (slot * 0.8) / Math.max(1, bars.length));
    bars.forEach(function (s, k) {
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        const x = left + i * slot + slot * 0.1 + k * barW;
        const rect = svg("rect", { class: "bar " + (s.cls || ""), x: x, y: y(v), width: Math.max(1, barW - 1),
          height: Math.max(0, top + plotH - y(v)) });
        const tip = svg("title", {});
        tip.textContent = labels[i] + " · " + s.name + ": " + fmt(v, 1);
        rect.appendChild(tip);
        root.appendChild(rect);
      });
    });
    series.filter(function (s) { return s.type === "line"; }).forEach(function (s) {
      let d = "";
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        d += (d ? " L" : "M") + (left + i * slot + slot / 2).toFixed(1) + " " + y(v).toFixed(1);
      });
      if (d) root.appendChild(svg("path", { class: "line " + (s.cls || ""), d: d }));
    });
    const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(plotW / 56))));
    labels.forEach(function (label, i) {
      if (i % every) return;
      const t = svg("text", { x: left + i * slot + slot / 2, y: height - 8, "text-anchor": "middle" });
      t.textContent = label;
      root.appendChild(t);
    });
    container.appendChild(root);
    if (series.length > 1 || spec.band) {
      const legend = el("div", { class: "legend" });
      series.forEach(function (s) {
        legend.appendChild(el("span", {}, [el("span", { class: "swatch " + (s.cls || ""), "aria-hidden": "true" }), s.name]));
      });
      if (spec.bandLabel) legend.appendChild(el("span", {}, [el("span", { class: "swatch band", "aria-hidden": "true" }), spec.bandLabel]));
      container.appendChild(legend);
    }
  }

  /* ---- Canvas drawing of a camera's geometry (all coordinates in screenshot pixels) ---- */
  const ZONE_COLORS = { entry: "#2563eb", queue: "#c2410c", shelf: "#7c3aed", checkout: "#0f766e", general: "#be185d" };

  function scalePoints(points, fromSize, toSize) {
    if (!fromSize || !toSize) return points;
    const sx = toSize[0] / fromSize[0], sy = toSize[1] / fromSize[1];
    return points.map(function (p) { return [p[0] * sx, p[1] * sy]; });
  }

  // Canvas pixels per CSS pixel, so strokes and labels keep a readable size on a phone and on a big screen.
  function cssUnit(canvas) {
    const shown = canvas.clientWidth || 800;
    return Math.max(0.5, canvas.width / shown) * 0.8;
  }

  function drawPolygon(ctx, points, color, options) {
    if (!points.length) return;
    const o = options || {};
    const unit = cssUnit(ctx.canvas);
    ctx.save();
    ctx.beginPath();
    points.forEach(function (p, i) { if (i === 0) ctx.moveTo(p[0], p[1]); else ctx.lineTo(p[0], p[1]); });
    if (o.closed !== false) ctx.closePath();
    ctx.lineWidth = Math.max(2, 2.5 * unit) * (o.selected ? 1.6 : 1);
    ctx.strokeStyle = color;
    if (o.closed !== false) {
      ctx.fillStyle = color + (o.selected ? "55" : "33");
      ctx.fill();
    }
    if (o.dashed) ctx.setLineDash([8 * unit, 6 * unit]);
    ctx.stroke();
    ctx.setLineDash([]);
    if (o.handles) {
      points.forEach(function (p) {
        ctx.beginPath();
        ctx.arc(p[0], p[1], Math.max(4, 6 * unit), 0, Math.PI * 2);
        ctx.fillStyle = "#ffffff";
        ctx.fill();
        ctx.lineWidth = Math.max(1.5, 2 * unit);
        ctx.strokeStyle = color;
        ctx.stroke();
      });
    }
    if (o.label && points.length) {
      const cx = points.reduce(function (a, p) { return a + p[0]; }, 0) / points.length;
      const cy = points.reduce(function (a, p) { return a + p[1]; }, 0) / points.length;
      ctx.font = "600 " + Math.round(Math.max(12, 15 * unit)) + "px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const w = ctx.measureText(o.label).width + 10 * unit;
      ctx.fillStyle = "rgba(17,24,39,0.75)";
      ctx.fillRect(cx - w / 2, cy - 11 * unit, w, 22 * unit);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(o.label, cx, cy);
    }
    ctx.restore();
  }

  function drawLine(ctx, line, inside, options) {
    const o = options || {};
    const unit = cssUnit(ctx.canvas);
    ctx.save();
    ctx.lineWidth = Math.max(3, 4 * unit);
    ctx.strokeStyle = o.color || "#facc15";
    ctx.beginPath();
    ctx.moveTo(line[0][0], line[0][1]);
    if (line[1]) ctx.lineTo(line[1][0], line[1][1]);
    ctx.stroke();
    line.forEach(function (p) {
      ctx.beginPath();
      ctx.arc(p[0], p[1], Math.max(4, 6 * unit), 0, Math.PI * 2);
      ctx.fillStyle = o.color || "#facc15";
      ctx.fill();
    });
    if (inside && line[1]) {
      // Arrow from the middle of the line towards the inside point: the direction counted as `in`.
      const mx = (line[0][0] + line[1][0]) / 2, my = (line[0][1] + line[1][1]) / 2;
      ctx.setLineDash([6 * unit, 5 * unit]);
      ctx.lineWidth = Math.max(2, 2.5 * unit);
      ctx.beginPath();
      ctx.moveTo(mx, my);
      ctx.lineTo(inside[0], inside[1]);
      ctx.stroke();
      ctx.setLineDash([]);
      const angle = Math.atan2(inside[1] - my, inside[0] - mx), size = 14 * unit;
      ctx.beginPath();
      ctx.moveTo(inside[0], inside[1]);
      ctx.lineTo(inside[0] - size * Math.cos(angle - 0.45), inside[1] - size * Math.sin(angle - 0.45));
      ctx.lineTo(inside[0] - size * Math.cos(angle + 0.45), inside[1] - size * Math.sin(angle + 0.45));
      ctx.closePath();
      ctx.fillStyle = o.color || "#facc15";
      ctx.fill();
      ctx.font = "700 " + Math.round(Math.max(12, 14 * unit)) + "px system-ui, sans-serif";
      ctx.fillStyle = "#111827";
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 3;
      ctx.strokeText("IN", inside[0] + 8 * unit, inside[1] - 8 * unit);
      ctx.fillText("IN", inside[0] + 8 * unit, inside[1] - 8 * unit);
    }
    ctx.restore();
  }

  // Heat colours from transparent blue to opaque red; cells are normalised to the frame, so they stretch.
  function drawHeatmap(ctx, heatmap, width, height) {
    if (!heatmap || !heatmap.counts || !heatmap.total) return;
    const cols = heatmap.cols, rows = heatmap.rows, peak = Math.max.apply(null, heatmap.counts);
    if (!peak) return;
    // Paint one pixel per cell on a small canvas, then let the browser smooth it up to the frame size.
    const small = document.createElement("canvas");
    small.width = cols;
    small.height = rows;
    const sctx = small.getContext("2d");
    const pixels = sctx.createImageData(cols, rows);
    for (let i = 0; i < cols * rows; i++) {
      const v = heatmap.counts[i] / peak;
      if (v <= 0) continue;
      const t = Math.sqrt(v);
      const rgb = heatColor(t);
      pixels.data[i * 4] = rgb[0];
      pixels.data[i * 4 + 1] = rgb[1];
      pixels.data[i * 4 + 2] = rgb[2];
      pixels.data[i * 4 + 3] = Math.round(255 * (0.35 + 0.5 * t));
    }
    sctx.putImageData(pixels, 0, 0);
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(small, 0, 0, width, height);
    ctx.restore();
  }

  // Blue → cyan → yellow → red as t goes 0 → 1.
  function heatColor(t) {
    const stops = [[0, [37, 99, 235]], [0.35, [6, 182, 212]], [0.65, [250, 204, 21]], [1, [220, 38, 38]]];
    for (let i = 1; i < stops.length; i++) {
      if (t <= stops[i][0]) {
        const [t0, c0] = stops[i - 1], [t1, c1] = stops[i];
        const f = (t - t0) / (t1 - t0);
        return [0, 1, 2].map(function (k) { return Math.round(c0[k] + (c1[k] - c0[k]) * f); });
      }
    }
    return stops[stops.length - 1][1];
  }

  function loadImage(url) {
    return new Promise(function (resolve, reject) {
      const image = new Image();
      image.onload = function () { resolve(image); };
      image.onerror = function () { reject(new Error("could not load the screenshot")); };
      image.src = url;
    });
  }

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  window.Wink = { api: api, el: el, fmt: fmt, duration: duration, timeAgo: timeAgo, chart: chart,
    ZONE_COLORS: ZONE_COLORS, scalePoints: scalePoints, drawPolygon: drawPolygon, drawLine: drawLine,
    drawHeatmap: drawHeatmap, loadImage: loadImage, readJson: readJson, cookie: cookie };
})();
