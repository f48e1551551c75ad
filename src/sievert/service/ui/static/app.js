// Draws the findings-over-time charts (uPlot): every .chart element, from the JSON in the
// element its data-source names; and lets the keyboard reach a table that scrolls sideways (a
// narrow screen) but holds nothing focusable. On page load, on content htmx swaps in, when a
// <details> opens and when the window is resized. Nothing else needs script.
(function () {
  var NAMES = ["critical", "high", "medium", "low", "negligible", "unknown"];
  var DASH = { high: [6, 3], low: [2, 3], negligible: [8, 3, 2, 3] };

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-source"));
    if (!source || typeof uPlot === "undefined" || holder.getAttribute("data-drawn")) return;
    var data = JSON.parse(source.textContent);
    if (!data.t.length) return;
    var style = getComputedStyle(document.documentElement);
    var colour = function (name) { return style.getPropertyValue("--" + name).trim(); };
    var series = [{}].concat(NAMES.map(function (name) {
      return { label: name, stroke: colour(name), width: 2, points: { show: true, size: 6 },
        dash: DASH[name] };
    }));
    var axis = { stroke: colour("fg"), grid: { stroke: colour("line") }, ticks: { stroke: colour("line") } };
    var pad = function (u, min, max) { return min === max ? [min - 3600, max + 3600] : [min, max]; };
    holder.textContent = "";
    holder.setAttribute("data-drawn", "1");
    new uPlot({ width: Math.max(280, holder.clientWidth), height: 240, series: series,
      scales: { x: { time: true, range: pad } }, axes: [axis, axis] },
      [data.t].concat(NAMES.map(function (n) { return data[n]; })), holder);
  }

  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function scrollable(wrap) {
    var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    var made = wrap.getAttribute("data-scroll-focus") === "1";
    if (scrolls && !made && !wrap.querySelector(FOCUSABLE) && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", "Table, scrolls sideways");
      wrap.setAttribute("data-scroll-focus", "1");
    } else if (!scrolls && made) {
      ["tabindex", "role", "aria-label", "data-scroll-focus"].forEach(function (name) {
        wrap.removeAttribute(name);
      });
    }
  }

  function refresh(root) {
    var scope = root || document;
    var charts = scope.querySelectorAll(".chart[data-source]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
    var wraps = document.querySelectorAll(".table-wrap");
    for (var j = 0; j < wraps.length; j++) scrollable(wraps[j]);
  }

  document.addEventListener("DOMContentLoaded", function () { refresh(document); });
  document.addEventListener("htmx:load", function (event) { refresh(event.target); });
  document.addEventListener("toggle", function () { refresh(document); }, true);
  window.addEventListener("resize", function () { refresh(document); });
})();
