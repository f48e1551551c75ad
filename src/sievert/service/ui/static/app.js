// Draws the Overview chart (uPlot) from the JSON in #chart-data; nothing else needs script.
(function () {
  function draw() {
    var holder = document.getElementById("chart");
    var source = document.getElementById("chart-data");
    if (!holder || !source || typeof uPlot === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.t.length) return;
    var style = getComputedStyle(document.documentElement);
    var names = ["critical", "high", "medium", "low", "negligible", "unknown"];
    var series = [{}].concat(names.map(function (name) {
      return { label: name, stroke: style.getPropertyValue("--" + name).trim(), width: 2, points: { show: true, size: 6 },
        dash: name === "high" ? [6, 3] : name === "low" ? [2, 3] : undefined };
    }));
    var axis = { stroke: style.getPropertyValue("--fg").trim(), grid: { stroke: style.getPropertyValue("--line").trim() } };
    holder.textContent = "";
    var pad = function (u, min, max) { return min === max ? [min - 3600, max + 3600] : [min, max]; };
    new uPlot({ width: Math.max(280, holder.clientWidth), height: 240, series: series,
      scales: { x: { time: true, range: pad } }, axes: [axis, axis] }, [data.t].concat(names.map(function (n) { return data[n]; })), holder);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
