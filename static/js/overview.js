/* Store overview: every number comes from the JSON API (the same selectors the API serves), polled so the page
   stays live without a reload. A section whose API is missing or failing says so and keeps the last numbers. */
(function () {
  "use strict";
  const W = window.Wink;
  const config = W.readJson("overview-config");
  const status = document.getElementById("live-status");
  let slowTick = 0;
  const liveState = { realtime: false, peopleInView: null };

  function setMetric(name, text) {
    document.querySelectorAll('[data-metric="' + name + '"]').forEach(function (node) { node.textContent = text; });
  }
  function num(value) { return value === null || value === undefined ? null : Number(value); }

  function rows(tableId, entries, columns, emptyText) {
    const body = document.querySelector("#" + tableId + " tbody");
    body.innerHTML = "";
    if (!entries.length) {
      body.appendChild(W.el("tr", {}, [W.el("td", { colspan: String(columns.length + 1), class: "muted", text: emptyText })]));
      return;
    }
    entries.forEach(function ([id, values]) {
      const name = (config.names || {})[id];
      const head = W.el("th", { scope: "row" }, [name || id]);
      if (name && name !== id) head.appendChild(W.el("div", { class: "muted small", text: id }));
      const cells = [head];
      columns.forEach(function ([field, format]) {
        cells.push(W.el("td", { class: "num", "data-field": field, text: format(values[field]) }));
      });
      body.appendChild(W.el("tr", { "data-id": id }, cells));
    });
  }

  /* ---- /api/dashboard/live ---- */
  function applyLive(data) {
    const footfall = data.footfall;
    const fin = typeof footfall === "object" && footfall !== null ? footfall.in : footfall;
    const fout = typeof footfall === "object" && footfall !== null ? footfall.out : data.footfall_out;
    liveState.peopleInView = data.people_now;
    setMetric("people_in_view", data.people_now === null || data.people_now === undefined ? "No camera reporting people now"
      : W.fmt(data.people_now) + " in view of cameras");
    if (!liveState.realtime) setMetric("people_in_store", W.fmt(data.people_now));
    setMetric("footfall_in", W.fmt(fin));
    setMetric("footfall_out", W.fmt(fout));
    const zones = Object.entries(data.zones || {});
    const shelves = Object.entries(data.shelves || {});
    const queues = Object.entries(data.queues || {});
    rows("zone-table", zones, [["entries", W.fmt], ["unique_visitors", W.fmt], ["avg_dwell", W.duration],
      ["people_now", W.fmt]], "No zones configured.");
    rows("shelf-table", shelves, [["interactions", W.fmt], ["avg_dwell", W.duration]], "No shelves configured.");
    rows("queue-table", queues, [["length_now", W.fmt], ["served", W.fmt], ["avg_wait", W.duration],
      ["max_wait", W.duration]], "No queues configured.");
    applyQueueWait(queues);
    if (Array.isArray(data.cameras)) applyCameras(data.cameras);
  }

  // "Wait now": the API's current wait where it gives one; otherwise people waiting now. "Today": mean wait of
  // everyone served today, weighted by how many each queue served (the API's own per-queue averages).
  function applyQueueWait(queues) {
    if (!queues.length) { setMetric("queue_wait_now", "–"); setMetric("queue_wait_today", "No queue configured"); return; }
    const waitsNow = queues.map(function ([, q]) { return num(q.wait_now); }).filter(function (v) { return v !== null; });
    const lengths = queues.map(function ([, q]) { return num(q.length_now); }).filter(function (v) { return v !== null; });
    if (waitsNow.length) setMetric("queue_wait_now", W.duration(Math.max.apply(null, waitsNow)));
    else if (lengths.length) {
      const waiting = lengths.reduce(function (a, b) { return a + b; }, 0);
      setMetric("queue_wait_now", waiting + (waiting === 1 ? " waiting" : " waiting"));
    } else setMetric("queue_wait_now", "–");
    let served = 0, total = 0, longest = null;
    queues.forEach(function ([, q]) {
      const n = num(q.served) || 0;
      served += n;
      total += n * (num(q.avg_wait) || 0);
      if (num(q.max_wait) !== null) longest = Math.max(longest || 0, num(q.max_wait));
    });
    setMetric("queue_wait_today", served ? "Today: avg " + W.duration(total / served) + ", longest " + W.duration(longest)
      : "Nobody served yet today");
  }

  function applyCameras(cameras) {
    cameras.forEach(function (camera) {
      const row = document.querySelector('#camera-table tr[data-camera="' + camera.camera_id + '"]');
      if (!row) return;
      const badge = row.querySelector('[data-field="status"]');
      badge.className = "badge badge-" + camera.status;
      badge.textContent = camera.status.charAt(0).toUpperCase() + camera.status.slice(1);
      const beat = row.querySelector('[data-field="last_heartbeat"]');
      beat.textContent = camera.last_heartbeat ? W.timeAgo(camera.last_heartbeat) : "never";
      if (camera.last_heartbeat) beat.title = camera.last_heartbeat;
      row.querySelector('[data-field="people_now"]').textContent = W.fmt(camera.people_now);
    });
  }

  /* ---- /api/analytics/realtime: today against the same weekday last week, by hour ---- */
  function pick(object, names) {
    for (const name of names) if (object && object[name] !== undefined && object[name] !== null) return object[name];
    return null;
  }
  function applyRealtime(data) {
    liveState.realtime = true;
    // In minus out at the door since opening; the realtime API falls back to people in view without a door line.
    if (data.people_in_store !== undefined) setMetric("people_in_store", W.fmt(data.people_in_store));
    const today = pick(data, ["footfall_today", "today_footfall"]);
    const lastWeek = pick(data, ["footfall_same_weekday_last_week", "same_weekday_last_week", "last_week_footfall"]);
    const change = pick(data, ["change_pct", "footfall_change_pct", "vs_last_week_pct"]);
    if (lastWeek !== null && typeof lastWeek !== "object") {
      let text = "Same weekday last week: " + W.fmt(lastWeek);
      if (change !== null) {
        text += " (" + (change > 0 ? "+" : "") + W.fmt(change, 1) + "%)";
      }
      setMetric("footfall_compare", text);
    } else if (today === null) {
      setMetric("footfall_compare", "");
    }
    const hourly = pick(data, ["hourly", "hours", "hourly_footfall"]);
    if (Array.isArray(hourly)) drawHourly(hourly);
    applyConversion(data.conversion);
  }

  // Point of sale (GUIDE §2): null conversion is "no data" (no POS data yet today), never 0%.
  function applyConversion(conversion) {
    if (!conversion) return;
    const today = conversion.today || {}, last = conversion.same_weekday_last_week || {};
    const percent = function (rate) { return rate === null || rate === undefined ? "no data" : W.fmt(rate * 100, 1) + "%"; };
    setMetric("conversion_today", percent(today.conversion_rate));
    let text = "Same weekday last week: " + percent(last.conversion_rate);
    if (conversion.change_points !== null && conversion.change_points !== undefined) {
      text += " (" + (conversion.change_points > 0 ? "+" : "") + W.fmt(conversion.change_points, 1) + " pts)";
    }
    if (today.transactions !== null && today.transactions !== undefined) text += " · " + W.fmt(today.transactions) + " transactions";
    setMetric("conversion_compare", text);
  }

  function drawHourly(hourly) {
    const labels = [], todayValues = [], lastValues = [];
    const body = document.querySelector("#hourly-table tbody");
    body.innerHTML = "";
    hourly.forEach(function (h) {
      const hour = pick(h, ["hour", "local_hour"]);
      const label = typeof hour === "number" ? String(hour).padStart(2, "0") + "h" : String(hour);
      const t = pick(h, ["footfall", "footfall_in", "today"]);
      const l = pick(h, ["last_week", "footfall_last_week", "same_weekday_last_week"]);
      labels.push(label);
      todayValues.push(t);
      lastValues.push(l);
      body.appendChild(W.el("tr", { "data-hour": String(hour) }, [W.el("th", { scope: "row", text: label }),
        W.el("td", { class: "num", text: W.fmt(t) }), W.el("td", { class: "num", text: W.fmt(l) })]));
    });
    W.chart(document.getElementById("hourly-chart"), {
      title: "Footfall by hour, today and the same weekday last week", labels: labels,
      series: [{ name: "Today", values: todayValues }, { name: "Same weekday last week", values: lastValues, cls: "alt" }],
      empty: "No footfall recorded yet today.",
    });
  }

  /* ---- spikes and insights ---- */
  function listOf(data, key) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data[key])) return data[key];
    if (data && Array.isArray(data.results)) return data.results;
    return [];
  }
  function applySpikes(data) {
    const list = document.getElementById("spike-list");
    list.innerHTML = "";
    const spikes = listOf(data, "spikes").slice().sort(function (a, b) { return String(b.start).localeCompare(String(a.start)); }).slice(0, 5);
    if (!spikes.length) { list.appendChild(W.el("li", { class: "muted", text: "No spikes recently." })); return; }
    spikes.forEach(function (s) {
      const fault = s.kind === "data_fault";
      const when = s.start ? new Date(s.start).toLocaleString([], { dateStyle: "medium", timeStyle: "short",
        timeZone: config.timezone }) : "";
      list.appendChild(W.el("li", {}, [
        W.el("span", { class: "badge " + (fault ? "badge-fault" : "badge-" + s.direction),
          text: fault ? "Data fault" : s.kind === "conversion" ? "Conversion drop" : (s.direction === "down" ? "Drop" : "Spike") }), " ",
        (s.metric || "footfall") + (s.scope_id ? " · " + s.scope_id : "") + ": " + W.fmt(s.observed, 1) + " vs " +
          W.fmt(s.expected, 1) + " expected · " + when,
      ]));
    });
  }
  function applyInsights(data) {
    const box = document.getElementById("insight-list");
    box.innerHTML = "";
    const insights = listOf(data, "insights").slice(0, 2);
    if (!insights.length) { box.appendChild(W.el("p", { class: "muted", text: "No insights yet." })); return; }
    insights.forEach(function (i) {
      const recs = (i.recommendations || []).map(function (r) { return W.el("li", { text: typeof r === "string" ? r : (r.text || JSON.stringify(r)) }); });
      box.appendChild(W.el("article", { class: "card insight" }, [
        W.el("h3", { text: i.title || "Insight" }), W.el("p", { text: i.summary || "" }), W.el("ul", {}, recs),
        W.el("p", { class: "muted small", text: (i.period_start || "") + (i.period_end && i.period_end !== i.period_start ? " – " + i.period_end : "") }),
      ]));
    });
  }

  const MISSING = {
    spikes: function () { document.getElementById("spike-list").innerHTML = '<li class="muted">Not available.</li>'; },
    insights: function () { document.getElementById("insight-list").innerHTML = '<p class="muted">Not available.</p>'; },
    realtime: function () { setMetric("footfall_compare", ""); W.chart(document.getElementById("hourly-chart"), { labels: [] }); },
  };

  const loaded = {};
  async function section(url, apply, name) {
    try {
      apply(await W.api("GET", url));
      loaded[name] = true;
      return true;
    } catch (error) {
      console.warn(name, error.message);
      // A section this deployment does not serve (or that fails) says so instead of "Loading…" forever;
      // numbers already shown stay until the next successful refresh.
      if (MISSING[name] && !loaded[name]) MISSING[name]();
      return name !== "live";
    }
  }

  async function refresh() {
    const slow = slowTick % 4 === 0;
    slowTick += 1;
    const jobs = [section(config.api.live, applyLive, "live"), section(config.api.realtime, applyRealtime, "realtime")];
    if (slow) jobs.push(section(config.api.spikes, applySpikes, "spikes"), section(config.api.insights, applyInsights, "insights"));
    const results = await Promise.all(jobs);
    const ok = results[0];
    status.dataset.state = ok ? "ok" : "error";
    status.textContent = ok ? "Live · updated " + new Date().toLocaleTimeString() : "Could not refresh; retrying…";
    document.body.dataset.liveLoaded = "1";
  }

  refresh();
  window.setInterval(function () { if (!document.hidden) refresh(); }, (config.poll_seconds || 15) * 1000);
  window.WinkOverview = { refresh: refresh };
})();
