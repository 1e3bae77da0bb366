// Draw each dashboard chart from the JSON that follows its canvas (no inline script).
(function () {
  if (typeof Chart === "undefined") return;
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d", "#0dcaf0"];
  document.querySelectorAll("canvas.dashboard-chart").forEach(function (canvas) {
    var data = JSON.parse(canvas.nextElementSibling.textContent);
    var round = data.type === "doughnut" || data.type === "pie";
    var dataset = {
      data: data.values,
      backgroundColor: round ? palette : palette[0],
      borderColor: round ? "#fff" : palette[0],
    };
    var options = { plugins: { legend: { display: round } }, maintainAspectRatio: false };
    if (!round) options.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    new Chart(canvas, { type: data.type, data: { labels: data.labels, datasets: [dataset] }, options: options });
  });
})();
