/* Analytics pages: draw the daily trend charts and each promotion's impact chart from data the page embeds. */
(function () {
  "use strict";
  const W = window.Wink;
  const trend = W.readJson("trend-data");
  if (trend) {
    const labels = trend.map(function (d) { return d.label; });
    // A chart's own series, plus last year's for the same days when a comparison is chosen.
    const draw = function (name, field, title, empty, lastYear) {
      const node = document.querySelector('[data-chart="' + name + '"]');
      if (!node) return;
      const series = [{ name: lastYear ? "This period" : title, values: trend.map(function (d) { return d[field]; }) }];
      if (lastYear) series.push({ name: lastYear.name, cls: "alt", values: lastYear.values(field) });
      W.chart(node, { title: title, labels: labels, series: series, empty: empty });
    };
    const drawBars = function (lastYear) {
      draw("footfall", "footfall", "Footfall per day", "No daily footfall stored for this period yet.", lastYear);
      draw("visitors", "unique_visitors", "Unique zone visitors per day", "No zone visitors stored for this period yet.", lastYear);
    };
    drawBars(null);
    setupComparison(trend, drawBars);
    const lineChart = function (name, field, title) {
      const node = document.querySelector('[data-chart="' + name + '"]');
      if (node) W.chart(node, { title: title, labels: labels, height: 180,
        series: [{ name: title, type: "line", values: trend.map(function (d) { return d[field]; }) }], empty: "No data for this period." });
    };
    lineChart("wait", "avg_queue_wait", "Average queue wait in seconds");
  }
  /* "Same period last year": the chosen period beside last year's (weekday-aligned: 364 days earlier, or the
     same dates), read from POST /api/analytics/comprehensive with start_date/end_date. */
  function setupComparison(trend, drawBars) {
    const config = W.readJson("trend-config");
    const select = document.getElementById("compare");
    if (!config || !select) return;
    const note = document.querySelector('[data-field="compare-period"]');
    const hidden = document.querySelectorAll('input[type="hidden"][name="compare"]');
    const totals = document.querySelectorAll("[data-compare-total]");
    let request = 0;
    const clear = function () {
      totals.forEach(function (node) { node.textContent = ""; });
      if (note) note.textContent = "";
    };
    const apply = async function () {
      const align = select.value;
      const mine = ++request;
      hidden.forEach(function (node) { node.value = align; });
      const url = new URL(window.location.href);
      if (align) url.searchParams.set("compare", align); else url.searchParams.delete("compare");
      window.history.replaceState(null, "", url);
      const period = align && config.last_year[align];
      if (!period) { clear(); drawBars(null); return; }
      if (note) note.textContent = "Loading " + period.start_date + " – " + period.end_date + "…";
      let body;
      try {
        body = await W.api("POST", config.api, { store_id: config.store_id, start_date: period.start_date,
          end_date: period.end_date, include_zones: false });
      } catch (error) {
        if (mine !== request) return;
        clear();
        if (note) note.textContent = "Last year could not be read: " + error.message;
        drawBars(null);
        return;
      }
      if (mine !== request) return;  // a later choice won
      const byDate = {};
      body.daily.forEach(function (d) { byDate[d.date] = d; });
      const name = "Last year (" + body.period.start + " – " + body.period.end + ")";
      drawBars({ name: name, values: function (field) {
        return trend.map(function (d) { const row = byDate[d.last_year[align]]; return row ? row[field] : null; });
      } });
      if (note) note.textContent = "Compared with " + body.period.start + " – " + body.period.end + " (" + body.period.days + " days)";
      totals.forEach(function (node) {
        const key = node.dataset.compareTotal;
        const value = body.totals[key];
        node.textContent = "last year " + (key === "avg_queue_wait" ? W.duration(value) : W.fmt(value));
      });
    };
    select.addEventListener("change", apply);
    if (select.value) apply();
  }

  document.querySelectorAll("[data-promo-chart]").forEach(function (node) {
    const series = W.readJson(node.dataset.promoChart);
    if (!series) return;
    W.chart(node, {
      title: "Daily footfall before, during and after the promotion",
      labels: series.map(function (d) { return d.label; }),
      band: series.map(function (d) { return d.during; }),
      bandLabel: "Promotion days",
      series: [{ name: "Footfall per day", values: series.map(function (d) { return d.footfall_in; }) },
        { name: "Baseline (comparable days)", type: "line", cls: "alt", values: series.map(function (d) { return d.baseline; }) }]
        .filter(function (s) { return s.values.some(function (v) { return v !== null && v !== undefined; }); }),
      empty: "No daily footfall stored around these dates.",
    });
  });
})();
