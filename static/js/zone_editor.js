/* Zone editor: click to draw polygons and the entrance line on the screenshot; every save goes through the API,
   and the API's validation message is shown as-is when it refuses a shape. */
(function () {
  "use strict";
  const W = window.Wink;
  const geometry = W.readJson("geometry-data");
  const zoneTypes = W.readJson("zone-types");
  const cameraId = geometry.camera.id;
  const canvas = document.getElementById("editor-canvas");
  const ctx = canvas.getContext("2d");
  const errorBox = document.getElementById("editor-error");
  const msgBox = document.getElementById("editor-msg");
  const hint = document.getElementById("mode-hint");
  const pointsBox = document.getElementById("zone-points");
  const linePointsBox = document.getElementById("line-points");
  const insideBox = document.getElementById("inside-point");
  const pointCount = document.getElementById("point-count");
  const shot = geometry.screenshot;
  const size = shot ? [shot.width, shot.height] : [1280, 720];
  canvas.width = size[0];
  canvas.height = size[1];

  let image = null;
  let zones = geometry.zones;
  let line = geometry.line;
  let mode = "zone";
  let draft = [];               // polygon being drawn, screenshot pixels
  let lineDraft = [];           // up to two points
  let insideDraft = null;
  let drag = null;              // {kind: "zone"|"line"|"inside", zone, index}
  let selectedZone = null;

  const HINTS = {
    zone: "Click the corners of the zone on the picture, then name it and press “Save zone”. Enter saves, Backspace removes the last point, Escape clears.",
    line: "Click both ends of the door line, then a point on the store side. Then press “Save entrance line”.",
    move: "Drag a corner of a zone (or an end of the entrance line) to move it; it is saved when you let go.",
  };

  function say(message) { errorBox.textContent = ""; msgBox.textContent = message; }
  function fail(message) { msgBox.textContent = ""; errorBox.textContent = message; }

  function zoneInCanvas(zone) { return W.scalePoints(zone.polygon, zone.screenshot_size, size); }
  function lineInCanvas() {
    if (!line) return null;
    return { line: W.scalePoints(line.line, line.screenshot_size, size),
      inside: W.scalePoints([line.inside_point], line.screenshot_size, size)[0] };
  }

  function redraw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (image) ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    else { ctx.fillStyle = "#374151"; ctx.fillRect(0, 0, canvas.width, canvas.height); }
    zones.forEach(function (zone) {
      W.drawPolygon(ctx, zoneInCanvas(zone), W.ZONE_COLORS[zone.ztype] || "#be185d",
        { label: zone.name, handles: mode === "move", selected: selectedZone === zone.id });
    });
    const current = lineInCanvas();
    if (current && !lineDraft.length) W.drawLine(ctx, current.line, current.inside, { color: "#facc15" });
    if (draft.length) W.drawPolygon(ctx, draft, "#f97316", { handles: true, dashed: true, closed: draft.length > 2 });
    if (lineDraft.length) W.drawLine(ctx, lineDraft, insideDraft, { color: "#22d3ee" });
  }

  function syncDraftBoxes() {
    pointsBox.value = JSON.stringify(draft.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; }));
    pointCount.textContent = draft.length + (draft.length === 1 ? " point" : " points");
    linePointsBox.value = JSON.stringify(lineDraft.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; }));
    insideBox.value = insideDraft ? JSON.stringify([Math.round(insideDraft[0]), Math.round(insideDraft[1])]) : "[]";
  }

  function toShot(event) {
    const rect = canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) * (canvas.width / rect.width),
      (event.clientY - rect.top) * (canvas.height / rect.height)];
  }
  function hitRadius() { return 14 * (canvas.width / canvas.getBoundingClientRect().width); }

  function setMode(next) {
    mode = next;
    hint.textContent = HINTS[mode];
    canvas.className = mode === "move" ? "moving" : "drawing";
    redraw();
  }

  /* ---- pointer input ---- */
  canvas.addEventListener("pointerdown", function (event) {
    if (!shot) { fail("Upload a screenshot first."); return; }
    const p = toShot(event);
    if (mode === "zone") {
      draft.push(p);
    } else if (mode === "line") {
      if (lineDraft.length < 2) lineDraft.push(p);
      else if (!insideDraft) insideDraft = p;
      else { lineDraft = [p]; insideDraft = null; }
      const left = lineDraft.length < 2 ? "Click the other end of the line." : insideDraft ? "Press “Save entrance line”." : "Now click a point on the store side.";
      say(left);
    } else {
      drag = findHandle(p);
      if (drag) { canvas.setPointerCapture(event.pointerId); if (drag.zone) selectedZone = drag.zone.id; }
    }
    syncDraftBoxes();
    redraw();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drag) return;
    const p = toShot(event);
    p[0] = Math.min(Math.max(p[0], 0), canvas.width);
    p[1] = Math.min(Math.max(p[1], 0), canvas.height);
    drag.moved = true;
    drag.point = p;
    if (drag.kind === "zone") {
      const scaled = zoneInCanvas(drag.zone);
      scaled[drag.index] = p;
      drag.zone.polygon = W.scalePoints(scaled, size, drag.zone.screenshot_size);
    } else if (drag.kind === "line") {
      const current = lineInCanvas();
      current.line[drag.index] = p;
      line.line = W.scalePoints(current.line, size, line.screenshot_size);
    } else if (drag.kind === "inside") {
      line.inside_point = W.scalePoints([p], size, line.screenshot_size)[0];
    }
    redraw();
  });
  canvas.addEventListener("pointerup", function () {
    const done = drag;
    drag = null;
    if (!done || !done.moved) return;
    if (done.kind === "zone") saveZonePoints(done.zone, done.original);
    else saveLine(line.line, line.inside_point, done.originalLine, line.screenshot_size);
  });

  function findHandle(p) {
    const r = hitRadius();
    const near = function (q) { return Math.hypot(q[0] - p[0], q[1] - p[1]) <= r; };
    const current = lineInCanvas();
    if (current) {
      for (let i = 0; i < 2; i++) if (near(current.line[i])) return { kind: "line", index: i, originalLine: JSON.parse(JSON.stringify(line)) };
      if (near(current.inside)) return { kind: "inside", originalLine: JSON.parse(JSON.stringify(line)) };
    }
    for (const zone of zones) {
      const pts = zoneInCanvas(zone);
      for (let i = 0; i < pts.length; i++) {
        if (near(pts[i])) return { kind: "zone", zone: zone, index: i, original: zone.polygon.map(function (q) { return q.slice(); }) };
      }
    }
    return null;
  }

  /* ---- keyboard ---- */
  canvas.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clearDraft(); event.preventDefault(); }
    else if (event.key === "Backspace") { undoPoint(); event.preventDefault(); }
    else if (event.key === "Enter") {
      event.preventDefault();
      if (mode === "line") document.getElementById("line-form").requestSubmit();
      else document.getElementById("new-zone-form").requestSubmit();
    }
  });
  function undoPoint() {
    if (mode === "line") { if (insideDraft) insideDraft = null; else lineDraft.pop(); }
    else draft.pop();
    syncDraftBoxes();
    redraw();
  }
  function clearDraft() { draft = []; lineDraft = []; insideDraft = null; syncDraftBoxes(); redraw(); }
  document.getElementById("undo-point").addEventListener("click", undoPoint);
  document.getElementById("clear-draft").addEventListener("click", clearDraft);
  document.querySelectorAll("input[name=mode]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) setMode(radio.value); });
  });

  // Typing points is the keyboard alternative to clicking; the drawing follows the text.
  function parsePoints(text) {
    try { const v = JSON.parse(text); return Array.isArray(v) ? v : null; } catch (e) { return null; }
  }
  pointsBox.addEventListener("input", function () {
    const v = parsePoints(pointsBox.value);
    if (v && v.every(function (p) { return Array.isArray(p) && p.length === 2; })) { draft = v; redraw(); }
    pointCount.textContent = (v ? v.length : 0) + " points";
  });
  linePointsBox.addEventListener("input", function () {
    const v = parsePoints(linePointsBox.value);
    if (v && v.length <= 2) { lineDraft = v; redraw(); }
  });
  insideBox.addEventListener("input", function () {
    const v = parsePoints(insideBox.value);
    if (v && v.length === 2) { insideDraft = v; redraw(); }
  });

  /* ---- API calls ---- */
  async function reloadZones() {
    zones = await W.api("GET", "/api/zones?camera_id=" + cameraId);
    renderTable();
    redraw();
  }

  document.getElementById("new-zone-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const name = document.getElementById("zone-name").value.trim();
    const ztype = document.getElementById("zone-type").value;
    const body = { camera_id: String(cameraId), name: name, ztype: ztype, polygon_json: pointsBox.value,
      img_width: size[0], img_height: size[1] };
    try {
      const zone = await W.api("POST", "/api/zones", body);
      draft = [];
      document.getElementById("zone-name").value = "";
      syncDraftBoxes();
      await reloadZones();
      say("Saved zone “" + zone.name + "”.");
    } catch (error) {
      fail("Zone not saved: " + error.message);
    }
  });

  document.getElementById("line-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const segment = parsePoints(linePointsBox.value) || [];
    const inside = parsePoints(insideBox.value) || [];
    if (await saveLine(segment, inside, null, size)) { lineDraft = []; insideDraft = null; syncDraftBoxes(); redraw(); }
  });

  // shotSize: the coordinate space of the points (a dragged line keeps the size it was drawn on).
  async function saveLine(segment, inside, rollback, shotSize) {
    const round = function (p) { return [Math.round(p[0]), Math.round(p[1])]; };
    try {
      const saved = await W.api("POST", "/api/zones/line", { camera_id: String(cameraId),
        line_json: segment.map(round), inside_point_json: inside.length === 2 ? round(inside) : inside,
        img_width: shotSize[0], img_height: shotSize[1] });
      line = { line: saved.line, inside_point: saved.inside_point, screenshot_size: saved.screenshot_size };
      document.getElementById("line-summary").textContent = describeLine(line);
      say("Saved the entrance line.");
      redraw();
      return true;
    } catch (error) {
      if (rollback) line = rollback;
      fail("Entrance line not saved: " + error.message);
      redraw();
      return false;
    }
  }

  async function saveZonePoints(zone, original) {
    try {
      const polygon = zone.polygon.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; });
      await W.api("PATCH", "/api/zones/" + zone.id, { polygon_json: polygon });
      say("Moved a point of “" + zone.name + "”.");
      await reloadZones();
    } catch (error) {
      zone.polygon = original;
      fail("Zone “" + zone.name + "” not changed: " + error.message);
      redraw();
    }
  }

  function describeLine(l) {
    if (!l) return "Not set.";
    const r = function (p) { return "(" + Math.round(p[0]) + ", " + Math.round(p[1]) + ")"; };
    return "From " + r(l.line[0]) + " to " + r(l.line[1]) + ", inside towards " + r(l.inside_point) + ".";
  }

  /* ---- zone table: rename, retype, edit points, delete ---- */
  function renderTable() {
    const body = document.getElementById("zone-rows");
    body.innerHTML = "";
    document.getElementById("no-zones").hidden = zones.length > 0;
    zones.forEach(function (zone) {
      const nameId = "zone-name-" + zone.id, typeId = "zone-type-" + zone.id, ptsId = "zone-pts-" + zone.id;
      const nameInput = W.el("input", { type: "text", id: nameId, value: zone.name, maxlength: "200" });
      const select = W.el("select", { id: typeId });
      zoneTypes.forEach(function ([value, label]) {
        const option = W.el("option", { value: value, text: label });
        if (value === zone.ztype) option.selected = true;
        select.appendChild(option);
      });
      const pts = W.el("textarea", { id: ptsId, rows: "2", spellcheck: "false" });
      pts.value = JSON.stringify(zone.polygon.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; }));
      const save = W.el("button", { type: "button", class: "btn", text: "Save" });
      const del = W.el("button", { type: "button", class: "btn btn-danger", text: "Delete" });
      save.setAttribute("aria-label", "Save changes to " + zone.name);
      del.setAttribute("aria-label", "Delete zone " + zone.name);
      save.addEventListener("click", async function () {
        const body = {};
        if (nameInput.value.trim() !== zone.name) body.name = nameInput.value.trim();
        if (select.value !== zone.ztype) body.ztype = select.value;
        if (pts.value !== JSON.stringify(zone.polygon.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; }))) body.polygon_json = pts.value;
        if (!Object.keys(body).length) { say("Nothing changed."); return; }
        try {
          const saved = await W.api("PATCH", "/api/zones/" + zone.id, body);
          await reloadZones();
          say("Saved “" + saved.name + "”.");
        } catch (error) { fail("Zone “" + zone.name + "” not changed: " + error.message); }
      });
      del.addEventListener("click", async function () {
        if (!window.confirm("Delete zone “" + zone.name + "”?")) return;
        try {
          await W.api("DELETE", "/api/zones/" + zone.id);
          await reloadZones();
          say("Deleted “" + zone.name + "”.");
        } catch (error) { fail("Zone not deleted: " + error.message); }
      });
      const swatch = W.el("span", { class: "swatch-zone", "aria-hidden": "true" });
      swatch.style.background = W.ZONE_COLORS[zone.ztype] || "#be185d";
      const pointsDetails = W.el("details", {}, [W.el("summary", { text: "Points" }),
        W.el("label", { for: ptsId, class: "visually-hidden", text: "Points of " + zone.name }), pts]);
      const row = W.el("tr", { "data-zone-id": zone.zone_id }, [
        W.el("td", {}, [
          W.el("div", { class: "zone-head" }, [swatch, W.el("span", { class: "muted small", text: zone.zone_id })]),
          W.el("label", { for: nameId, class: "visually-hidden", text: "Name of " + zone.zone_id }), nameInput,
          W.el("label", { for: typeId, class: "visually-hidden", text: "Type of " + zone.name }), select,
          pointsDetails]),
        W.el("td", {}, [W.el("div", { class: "btn-row" }, [save, del])]),
      ]);
      body.appendChild(row);
    });
  }

  /* ---- screenshot upload ---- */
  document.getElementById("upload-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const file = document.getElementById("shot-file").files[0];
    if (!file) { fail("file: choose a PNG or JPEG picture first"); return; }
    let dims;
    try {
      const url = URL.createObjectURL(file);
      const img = await W.loadImage(url);
      dims = [img.naturalWidth, img.naturalHeight];
      URL.revokeObjectURL(url);
    } catch (error) { fail("file: is not a readable image (PNG or JPEG)"); return; }
    const form = new FormData();
    form.append("camera_id", String(cameraId));
    form.append("file", file);
    form.append("img_width", String(dims[0]));
    form.append("img_height", String(dims[1]));
    try {
      await W.api("POST", "/api/zones/screenshot", form);
      say("Screenshot uploaded; reloading…");
      window.location.reload();
    } catch (error) { fail("Screenshot not uploaded: " + error.message); }
  });

  const captureButton = document.getElementById("capture-shot");
  if (captureButton) {
    captureButton.addEventListener("click", async function () {
      captureButton.disabled = true;
      say("Taking a picture from the camera…");
      try {
        await W.api("POST", captureButton.dataset.url);
        say("Picture taken; reloading…");
        window.location.reload();
      } catch (error) {
        fail("No picture taken: " + error.message);
        captureButton.disabled = false;
      }
    });
  }

  window.addEventListener("resize", function () { redraw(); });

  /* ---- start ---- */
  document.getElementById("line-summary").textContent = describeLine(line);
  setMode("zone");
  renderTable();
  syncDraftBoxes();
  if (shot) {
    W.loadImage(shot.url).then(function (img) { image = img; redraw(); canvas.dataset.ready = "1"; })
      .catch(function (error) { fail(error.message); canvas.dataset.ready = "1"; });
  } else {
    canvas.dataset.ready = "1";
  }
})();
