/* Camera page: the latest screenshot with zones, entrance line and the heatmap drawn over it, and, while the
   camera's runner publishes one (the demo's live camera), its latest annotated frame refreshed every 3 s. */
(function () {
  "use strict";
  const W = window.Wink;
  const geometry = W.readJson("geometry-data");
  const heatmap = W.readJson("heatmap-data");
  const canvas = document.getElementById("camera-canvas");
  const ctx = canvas.getContext("2d");
  const shot = geometry.screenshot;
  const size = shot ? [shot.width, shot.height] : [1280, 720];
  const showHeat = document.getElementById("show-heatmap");
  const showZones = document.getElementById("show-zones");
  canvas.width = size[0];
  canvas.height = size[1];
  let image = null;

  function redraw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (image) ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    else { ctx.fillStyle = "#374151"; ctx.fillRect(0, 0, canvas.width, canvas.height); }
    if (showHeat.checked) W.drawHeatmap(ctx, heatmap, canvas.width, canvas.height);
    if (showZones.checked) {
      geometry.zones.forEach(function (zone) {
        W.drawPolygon(ctx, W.scalePoints(zone.polygon, zone.screenshot_size, size), W.ZONE_COLORS[zone.ztype] || "#be185d",
          { label: zone.name });
      });
      if (geometry.line) {
        const l = geometry.line;
        W.drawLine(ctx, W.scalePoints(l.line, l.screenshot_size, size), W.scalePoints([l.inside_point], l.screenshot_size, size)[0]);
      }
    }
  }
  showHeat.addEventListener("change", redraw);
  window.addEventListener("resize", function () { redraw(); });
  showZones.addEventListener("change", redraw);
  redraw();
  if (shot) {
    W.loadImage(shot.url).then(function (img) { image = img; redraw(); canvas.dataset.ready = "1"; })
      .catch(function () { canvas.dataset.ready = "1"; });
  } else {
    canvas.dataset.ready = "1";
  }

  const live = document.getElementById("live-frame");
  if (live) {
    const box = document.getElementById("live-view");
    const refreshLive = function () {
      if (document.hidden) return;
      const next = new Image();
      next.onload = function () {
        live.src = next.src;
        box.hidden = false;
        live.dataset.frames = String(Number(live.dataset.frames || 0) + 1);
      };
      next.src = live.dataset.src + "?t=" + Date.now();  // a 404 (no runner publishing) keeps it hidden
    };
    refreshLive();
    window.setInterval(refreshLive, 3000);
  }
})();
