/* The dashboard's charts (jobq): drawn as inline SVG from stats.json, redrawn in
   place every 2 s; the tables above are refreshed every second the same way.
   No library, no network but this site. Hovering a column shows its numbers. */
(function () {
  "use strict";
  var root = document.getElementById("jobq-charts");
  if (!root) return;
  var area = document.getElementById("jobq-chart-area");
  var funcs = document.getElementById("jobq-functions");
  var tip = document.getElementById("jobq-tip");
  var note = document.getElementById("jobq-charts-note");
  var SVG = "http://www.w3.org/2000/svg";
  var W = 600, H = 110, PAD = 4;
  var COLORS = { finished: "#417690", failed: "#ba2121", retried: "#e6a117", reaped: "#7a3e9d",
                 p50: "#417690", p95: "#e6a117", p99: "#ba2121", depth: "#417690", workers: "#2b8a3e" };

  function seconds(v) {
    if (v === null || v === undefined) return "–";
    return v < 1 ? (v * 1000).toFixed(1) + " ms" : v.toFixed(2) + " s";
  }
  function clock(ms) {
    var d = new Date(ms);
    return [d.getHours(), d.getMinutes(), d.getSeconds()]
      .map(function (n) { return (n < 10 ? "0" : "") + n; }).join(":");
  }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, text, parent, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }

  /* One chart: series is [[name, values, "bar"|"line"], ...], fmt formats a value. */
  function chart(title, kind, times, series, fmt) {
    var box = html("figure", undefined, null, "jobq-chart");
    box.dataset.chart = kind;
    var n = times.length, max = 0;
    series.forEach(function (s) {
      s[1].forEach(function (v, i) {
        var stacked = s[2] === "bar" ? series.reduce(function (a, t) {
          return a + (t[2] === "bar" ? (t[1][i] || 0) : 0); }, 0) : v;
        if (stacked !== null && stacked > max) max = stacked;
      });
    });
    var cap = html("figcaption", title, box);
    html("span", " (max " + fmt(max) + ")", cap, "help");
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none",
                          role: "img", "aria-label": title }, box);
    var dx = W / Math.max(n, 1), scale = max > 0 ? (H - 2 * PAD) / max : 0;
    var base = [];
    for (var i = 0; i < n; i++) base.push(0);
    series.forEach(function (s) {
      var name = s[0], values = s[1];
      if (s[2] === "bar") {
        values.forEach(function (v, i) {
          if (!v) return;
          var h = v * scale;
          el("rect", { x: i * dx, y: H - PAD - base[i] - h, width: Math.max(dx - 0.5, 0.5),
                       height: h, fill: COLORS[name], "class": "bar-" + name }, svg);
          base[i] += h;
        });
      } else {
        var pts = [], path = [];
        values.forEach(function (v, i) {
          if (v === null || v === undefined) { if (pts.length) path.push(pts); pts = []; return; }
          pts.push((i * dx + dx / 2).toFixed(1) + "," + (H - PAD - v * scale).toFixed(1));
        });
        if (pts.length) path.push(pts);
        path.forEach(function (p) {
          if (p.length === 1) {  // a lone value: a dot, a line of one point shows nothing
            var xy = p[0].split(",");
            el("rect", { x: xy[0] - 3, y: xy[1] - 2, width: 6, height: 4, fill: COLORS[name],
                         "class": "dot-" + name }, svg);
            return;
          }
          el("polyline", { points: p.join(" "), fill: "none", stroke: COLORS[name],
                           "stroke-width": 1.5, "class": "line-" + name,
                           "vector-effect": "non-scaling-stroke" }, svg);
        });
      }
    });
    for (i = 0; i < n; i++) {
      var parts = [], values = {};
      series.forEach(function (s) {
        values[s[0]] = s[1][i];
        parts.push(s[0] + " " + fmt(s[1][i]));
      });
      var text = clock(times[i]) + " — " + parts.join(" · ");
      var col = el("rect", { x: i * dx, y: 0, width: dx, height: H, fill: "transparent",
                             "class": "hover", "data-t": times[i],
                             "data-values": JSON.stringify(values) }, svg);
      el("title", {}, col).textContent = text;
    }
    var legend = html("div", undefined, box, "legend");
    series.forEach(function (s) {
      var key = html("span", s[0], legend);
      key.style.borderColor = COLORS[s[0]];
    });
    html("div", clock(times[0]) + " … " + clock(times[n - 1]), box, "help axis");
    return box;
  }

  function count(v) { return v === null || v === undefined ? "–" : String(v); }

  function queueCharts(name, q, times) {
    var section = html("section", undefined, area, "jobq-queue");
    section.dataset.queue = name;
    html("h3", name, section);
    var s = q.summary;
    html("p", "finished " + s.finished + " · failed " + s.failed + " · retried " + s.retried +
      " · reaped " + s.reaped + " · run p95 " + seconds(s.run.p95) + " · wait p95 " +
      seconds(s.wait.p95), section, "help");
    section.appendChild(chart("Throughput and failures (jobs per bucket)", "throughput", times,
      [["finished", q.finished, "bar"], ["failed", q.failed, "bar"],
       ["retried", q.retried, "line"], ["reaped", q.reaped, "line"]], count));
    section.appendChild(chart("Run time", "run", times,
      [["p50", q.run.p50, "line"], ["p95", q.run.p95, "line"], ["p99", q.run.p99, "line"]], seconds));
    section.appendChild(chart("Wait time (enqueue → start)", "wait", times,
      [["p50", q.wait.p50, "line"], ["p95", q.wait.p95, "line"], ["p99", q.wait.p99, "line"]], seconds));
    section.appendChild(chart("Queue depth", "depth", times, [["depth", q.depth, "line"]], count));
  }

  function table(title, id, rows, columns) {
    var wrap = html("div", undefined, funcs, "jobq-function-table");
    html("h3", title, wrap);
    var t = html("table", undefined, wrap);
    t.id = id;
    var head = html("tr", undefined, html("thead", undefined, t));
    columns.forEach(function (c) { html("th", c[0], head); });
    var body = html("tbody", undefined, t);
    if (!rows.length) html("td", "—", html("tr", undefined, body)).colSpan = columns.length;
    rows.forEach(function (r) {
      var tr = html("tr", undefined, body);
      tr.dataset.function = r["function"];
      tr.dataset.queue = r.queue;
      columns.forEach(function (c) { html("td", c[1](r), tr, c[2]); });
    });
  }

  function functionTables(rows) {
    funcs.textContent = "";
    var cols = [
      ["Queue", function (r) { return r.queue; }],
      ["Function", function (r) { return r["function"]; }, "function"],
      ["Finished", function (r) { return r.finished; }, "finished"],
      ["Failed", function (r) { return r.failed; }, "failed"],
      ["Retried", function (r) { return r.retried; }, "retried"],
      ["Run p50", function (r) { return seconds(r.run.p50); }, "run-p50"],
      ["Run p95", function (r) { return seconds(r.run.p95); }, "run-p95"],
      ["Run p99", function (r) { return seconds(r.run.p99); }, "run-p99"],
      ["Wait p95", function (r) { return seconds(r.wait.p95); }, "wait-p95"]
    ];
    var slow = rows.filter(function (r) { return r.run.p95 !== null; })
      .sort(function (a, b) { return b.run.p95 - a.run.p95; }).slice(0, 10);
    var failing = rows.filter(function (r) { return r.failed > 0; })
      .sort(function (a, b) { return b.failed - a.failed; }).slice(0, 10);
    table("Slowest (run time p95)", "slowest-functions", slow, cols);
    table("Most failing", "failing-functions", failing, cols);
  }

  function draw(stats) {
    var h = stats.history;
    area.textContent = "";
    Object.keys(h.queues).forEach(function (name) { queueCharts(name, h.queues[name], h.times); });
    var all = html("section", undefined, area, "jobq-queue");
    all.dataset.queue = "";
    all.appendChild(chart("Workers alive", "workers", h.times, [["workers", h.workers, "line"]], count));
    functionTables(h.functions);
    note.textContent = h.step + " s buckets; percentiles within " +
      (h.relative_error * 100).toFixed(1) + " %";
    root.dataset.drawn = String(Date.now());
  }

  var busy = false;
  function refreshCharts() {
    if (busy) return;
    busy = true;
    var url = root.dataset.statsUrl + "?window=" + encodeURIComponent(root.dataset.window);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(draw)
      .catch(function (e) { note.textContent = "charts not refreshed: " + e.message; })
      .then(function () { busy = false; });
  }

  function refreshTables() {
    fetch(location.href, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("jobq-live");
        var live = document.getElementById("jobq-live");
        if (fresh && live) live.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* the next tick tries again */ });
  }

  root.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-window]");
    if (!b) return;
    root.dataset.window = b.dataset.window;
    root.querySelectorAll("button[data-window]").forEach(function (o) {
      o.classList.toggle("default", o === b);
    });
    refreshCharts();
  });
  area.addEventListener("mouseover", function (e) {
    var col = e.target.closest && e.target.closest("rect.hover");
    if (!col) { tip.hidden = true; return; }
    tip.textContent = col.querySelector("title").textContent;
    tip.dataset.t = col.getAttribute("data-t");
    tip.dataset.chart = col.closest("figure").dataset.chart;
    tip.dataset.queue = col.closest("section").dataset.queue;
    tip.hidden = false;
    tip.style.left = (e.pageX + 12) + "px";
    tip.style.top = (e.pageY + 12) + "px";
  });
  area.addEventListener("mouseleave", function () { tip.hidden = true; });

  refreshCharts();
  setInterval(refreshCharts, 2000);
  setInterval(refreshTables, 1000);
})();
