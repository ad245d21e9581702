// Reports: draws each table's chart with Chart.js (templates/static/
// chart.umd.min.js, embedded in the binary) from the JSON the page carries
// in #report-charts; changing a day of the period picks the custom range.
(function () {
  'use strict';
  var palette = ['#07c160', '#e5484d', '#3b82f6', '#f59e0b', '#8b5cf6', '#14b8a6', '#ec4899', '#64748b'];

  function draw(spec) {
    var canvas = document.getElementById(spec.canvas);
    if (!canvas || !window.Chart) { return; }
    var doughnut = spec.type === 'doughnut';
    var datasets = spec.series.map(function (s, i) {
      var color = palette[i % palette.length];
      var ds = { label: s.label, data: s.data, borderColor: color, backgroundColor: color, borderWidth: 2 };
      if (doughnut) { ds.backgroundColor = s.data.map(function (_, k) { return palette[k % palette.length]; }); ds.borderColor = '#fff'; }
      if (spec.type === 'line' || s.type === 'line') { ds.type = 'line'; ds.fill = false; ds.tension = 0; ds.pointRadius = 2; ds.backgroundColor = color; }
      if (s.axis === 'right') { ds.yAxisID = 'y1'; ds.order = -1; }
      return ds;
    });
    var options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'bottom' } } };
    if (!doughnut) {
      var value = { beginAtZero: true, stacked: !!spec.stacked, ticks: { precision: 0 } };
      if (spec.percent) { value.max = 100; value.ticks.callback = function (v) { return v + '%'; }; }
      var cat = { stacked: !!spec.stacked };
      options.scales = spec.horizontal ? { x: value, y: cat } : { x: cat, y: value };
      if (spec.series.some(function (s) { return s.axis === 'right'; })) {
        options.scales.y1 = { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false } };
      }
      if (spec.horizontal) { options.indexAxis = 'y'; }
    }
    // A horizontal bar chart grows with its labels, so none is skipped.
    if (spec.horizontal) { canvas.parentNode.style.height = Math.max(260, 60 + spec.labels.length * 24) + 'px'; }
    new window.Chart(canvas, { type: doughnut ? 'doughnut' : (spec.type === 'line' ? 'line' : 'bar'),
      data: { labels: spec.labels, datasets: datasets }, options: options });
    canvas.dataset.drawn = 'true';
  }

  // The day fields always show the period; typing a day picks "custom".
  function customDays() {
    var range = document.getElementById('report-range');
    if (!range) { return; }
    document.querySelectorAll('.custom-day input').forEach(function (el) {
      el.addEventListener('change', function () { range.value = 'custom'; });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    customDays();
    var el = document.getElementById('report-charts');
    var charts = el ? JSON.parse(el.textContent || 'null') : null;
    (charts || []).forEach(draw);
  });
})();
