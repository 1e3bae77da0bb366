// Draw each dashboard chart from the JSON that follows its canvas (no inline script, see the CSP).
// The JSON is archives_site.dashboard.Chart.as_json(): type (bar, hbar, doughnut), labels,
// values, unit (件), xLabel, yLabel. Charts resize with their card; the box's height comes from
// data-height (a horizontal bar chart grows with its bars, so labels stay readable on a phone).
(function () {
  if (typeof Chart === "undefined") return;
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d", "#0dcaf0"];
  document.querySelectorAll("canvas.dashboard-chart").forEach(function (canvas) {
    var data = JSON.parse(canvas.nextElementSibling.textContent);
    var box = canvas.parentElement;
    if (box && box.dataset.height) box.style.height = box.dataset.height + "px";
    var round = data.type === "doughnut" || data.type === "pie";
    var horizontal = data.type === "hbar";
    var unit = data.unit ? " " + data.unit : "";
    var dataset = {
      label: data.xLabel,
      data: data.values,
      backgroundColor: round ? palette : palette[0],
      borderColor: round ? "#fff" : palette[0],
    };
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: round },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = horizontal ? context.parsed.x : round ? context.parsed : context.parsed.y;
              return value + unit;
            },
          },
        },
      },
    };
    if (!round) {
      var count = { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: horizontal ? data.xLabel : data.yLabel } };
      var category = { title: { display: true, text: horizontal ? data.yLabel : data.xLabel }, ticks: { autoSkip: false } };
      options.indexAxis = horizontal ? "y" : "x";
      options.scales = horizontal ? { x: count, y: category } : { x: category, y: count };
    }
    new Chart(canvas, { type: round ? data.type : "bar", data: { labels: data.labels, datasets: [dataset] }, options: options });
  });
})();
