/* Analytics pages: draw the daily trend charts and each promotion's impact chart from data the page embeds. */
(function () {
  "use strict";
  const W = window.Wink;
  const trend = W.readJson("trend-data");
  if (trend) {
    const labels = trend.map(function (d) { return d.label; });
    const draw = function (name, field, title, empty) {
      const node = document.querySelector('[data-chart="' + name + '"]');
      if (node) W.chart(node, { title: title, labels: labels, series: [{ name: title, values: trend.map(function (d) { return d[field]; }) }], empty: empty });
    };
    draw("footfall", "footfall", "Footfall per day", "No daily footfall stored for this period yet.");
    draw("visitors", "unique_visitors", "Unique zone visitors per day", "No zone visitors stored for this period yet.");
    const lineChart = function (name, field, title) {
      const node = document.querySelector('[data-chart="' + name + '"]');
      if (node) W.chart(node, { title: title, labels: labels, height: 180,
        series: [{ name: title, type: "line", values: trend.map(function (d) { return d[field]; }) }], empty: "No data for this period." });
    };
    lineChart("wait", "avg_queue_wait", "Average queue wait in seconds");
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
