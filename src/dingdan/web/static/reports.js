/* Report charts: Chart.js fed by the report JSON embedded in the page; the table below holds the
   same numbers. One builder per report. */
(function () {
  "use strict";
  const palette = ["#b4232a", "#1f6feb", "#2da44e", "#bf8700", "#8250df", "#57606a", "#cf222e", "#0a7ea4"];

  function read(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  const num = (text) => (text === null || text === undefined ? null : Number(text));
  const periods = (report) => report.series.map((b) => b.period);

  const builders = {
    sales(report, labels) {
      return {
        data: {
          labels: periods(report),
          datasets: [
            { type: "bar", label: labels.net, data: report.series.map((b) => num(b.net)), backgroundColor: palette[0], yAxisID: "money" },
            { type: "line", label: labels.orders, data: report.series.map((b) => b.orders), borderColor: palette[1], yAxisID: "count" },
          ],
        },
        options: { scales: { money: { position: "left", beginAtZero: true }, count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } },
      };
    },
    orders(report, labels) {
      const statuses = Object.keys(labels.statuses).filter((s) => report.series.some((b) => b.by_status[s]));
      return {
        type: "bar",
        data: {
          labels: periods(report),
          datasets: statuses.map((s, i) => ({ label: labels.statuses[s], data: report.series.map((b) => b.by_status[s] || 0), backgroundColor: palette[i % palette.length] })),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      };
    },
    regions(report, labels) {
      const items = report.items.slice(0, 15);
      return {
        type: "bar",
        data: {
          labels: items.map((i) => (labels.place === "district" ? i.county + " " + i.district : i.county)),
          datasets: [{ label: labels.sales, data: items.map((i) => num(i.sales)), backgroundColor: palette[0] }],
        },
        options: { indexAxis: "y" },
      };
    },
    products(report, labels) {
      const items = report.best_sellers.slice(0, 15);
      return {
        type: "bar",
        data: { labels: items.map((i) => i.name), datasets: [{ label: labels.units, data: items.map((i) => i.units), backgroundColor: palette[1] }] },
        options: { indexAxis: "y" },
      };
    },
    fulfilment(report, labels) {
      const keys = ["hours_to_confirm", "hours_to_ship", "hours_to_deliver"];
      return {
        type: "line",
        data: {
          labels: periods(report),
          datasets: keys.map((k, i) => ({ label: labels[k], data: report.series.map((b) => b[k]), borderColor: palette[i], spanGaps: true })),
        },
        options: { scales: { y: { beginAtZero: true } } },
      };
    },
  };

  function draw() {
    const canvas = document.getElementById("report-chart");
    const report = read("report-data");
    if (!canvas || !report || typeof Chart === "undefined") return;
    const config = builders[canvas.dataset.report](report, read("report-labels") || {});
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    canvas.chart = new Chart(canvas, config);
    canvas.dataset.drawn = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
