/* The dashboard: fetches the figures for the chosen filters and draws them with the locally served ECharts. */
(function () {
  'use strict';
  var form = document.getElementById('filters');
  if (!form) { return; }
  var statusLine = document.getElementById('dash-status');
  var charts = {};
  var COLORS = ['#1f6f50', '#0b5cad', '#ca8a04', '#dc2626', '#ea580c', '#7c3aed', '#0891b2', '#65a30d', '#db2777', '#475569'];

  function $(id) { return document.getElementById(id); }
  function query() { return new URLSearchParams(new FormData(form)).toString(); }

  function option(kind, figure) {
    var items = figure.items || [];
    if (kind === 'line') {
      return {
        color: COLORS, tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 16, bottom: 40 },
        xAxis: { type: 'category', data: items.map(function (i) { return i.day; }) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [{ type: 'line', name: '受理量', smooth: true, areaStyle: { opacity: 0.15 },
                   data: items.map(function (i) { return i.count; }) }]
      };
    }
    if (kind === 'pie') {
      return {
        color: COLORS, tooltip: { trigger: 'item', formatter: '{b}：{c} 件（{d}%）' },
        legend: { type: 'scroll', bottom: 0 },
        series: [{ type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'], label: { formatter: '{b}\n{c}' },
                   data: items.map(function (i) { return { name: i.name, value: i.count }; }) }]
      };
    }
    return {
      color: COLORS, tooltip: { trigger: 'axis' }, grid: { left: 110, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: items.map(function (i) { return i.name; }),
               axisLabel: { width: 100, overflow: 'truncate' } },
      series: [{ type: 'bar', name: '件数', data: items.map(function (i) { return i.count; }), barMaxWidth: 22 }]
    };
  }

  function draw(data) {
    document.querySelectorAll('.chart').forEach(function (box) {
      var chart = charts[box.id] || (charts[box.id] = window.echarts.init(box));
      chart.setOption(option(box.getAttribute('data-kind'), data[box.getAttribute('data-key')]), true);
      box.setAttribute('data-drawn', String((data[box.getAttribute('data-key')].items || []).length));
    });
    $('kpi-total').textContent = data.total + ' 件';
    $('kpi-success').textContent = data.success.rate_text;
    $('kpi-success-detail').textContent = '成功 ' + data.success.settled + ' / 办结 ' + data.success.handled;
    $('kpi-overdue').textContent = data.overdue.count + ' 件';
    var body = document.querySelector('#overdue-table tbody');
    while (body.firstChild) { body.removeChild(body.firstChild); }
    data.overdue.cases.forEach(function (c) {
      var tr = document.createElement('tr');
      [c.number, c.dispute_type, c.organisation, c.status, c.deadline].forEach(function (v, i) {
        var td = document.createElement('td');
        if (i === 0) {
          var a = document.createElement('a');
          a.href = '/console/cases/' + encodeURIComponent(v);
          a.textContent = v;
          td.appendChild(a);
        } else { td.textContent = v; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $('overdue-note').textContent = data.overdue.count > data.overdue.cases.length ? '（显示最早到期的 ' + data.overdue.cases.length + ' 件）' : '';
    statusLine.textContent = '统计区间：' + data.filter.from + ' 至 ' + data.filter.to;
    document.body.setAttribute('data-dashboard', 'ready');
  }

  function load() {
    if (!window.echarts) {
      statusLine.textContent = '图表组件没有加载（请运行 make vendor 安装 ECharts），下面只显示数字。';
    }
    statusLine.textContent = '正在加载…';
    $('export').href = $('export').href.split('?')[0] + '?' + query();
    fetch(form.getAttribute('data-data') + '?' + query(), { credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (result) {
        if (!result.ok) { statusLine.textContent = result.data.error ? result.data.error.message : '加载失败，请重试。'; return; }
        if (window.echarts) { draw(result.data); }
      })
      .catch(function () { statusLine.textContent = '网络异常，数据没有加载，请重试。'; });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    history.replaceState(null, '', '?' + query());
    load();
  });
  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  load();
}());
