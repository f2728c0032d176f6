/* Dashboard charts (Chart.js): coverage against targets, warnings by department, grades by sector; a click on a
   bar opens the matching projects. */
(function () {
  'use strict';
  if (typeof window.Chart !== 'function') { return; }
  // Figures, not a show: draw the final values at once (and screenshots never catch a bar half-grown).
  window.Chart.defaults.animation = false;
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var charts = data.charts;
  var colours = { red: '#d64545', yellow: '#e0a800', green: '#2f9e44', '优': '#2f9e44', '良': '#74b816',
                  '中': '#e0a800', '差': '#d64545' };

  function drill(params) {
    var query = new URLSearchParams(Object.assign({ year: data.year, level: data.level }, params));
    window.location.href = data.projects + '?' + query.toString();
  }
  function stacked(id, chart, series, keyName, seriesName, labels) {
    var canvas = document.getElementById(id);
    if (!canvas || !chart.labels.length) { return; }
    new window.Chart(canvas, {
      type: 'bar',
      data: { labels: chart.labels, datasets: series.map(function (s) {
        return { label: labels[s] || s, data: chart[s], backgroundColor: colours[s] };
      }) },
      options: { responsive: true, maintainAspectRatio: false,
                 scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } },
                 onClick: function (_event, items) {
                   if (!items.length) { return; }
                   var params = {};
                   params[keyName] = chart.keys[items[0].index];
                   params[seriesName] = series[items[0].datasetIndex];
                   drill(params);
                 } }
    });
  }
  var coverage = document.getElementById('chart-coverage');
  if (coverage && charts.coverage.labels.length) {
    new window.Chart(coverage, {
      type: 'bar',
      data: { labels: charts.coverage.labels, datasets: [
        { label: data.texts.actual, data: charts.coverage.actual, backgroundColor: '#1c7ed6' },
        { label: data.texts.target, data: charts.coverage.target, backgroundColor: '#adb5bd' }] },
      options: { responsive: true, maintainAspectRatio: false, indexAxis: 'y',
                 scales: { x: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + ' %'; } } } } }
    });
  }
  stacked('chart-warnings', charts.warnings, data.warning_levels, 'department_id', 'warning', data.texts);
  stacked('chart-grades', charts.grades, data.grades, 'sector', 'grade', {});
  document.body.setAttribute('data-charts', 'ready');
}());
