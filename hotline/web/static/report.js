/* Printable pages (研判报告, case file): the print button, and the report's charts drawn without animation. */
(function () {
  'use strict';
  var button = document.getElementById('print');
  if (button) { button.addEventListener('click', function () { window.print(); }); }
  if (!window.echarts) { return; }
  document.querySelectorAll('.chart').forEach(function (box) {
    var figure = JSON.parse(box.getAttribute('data-figure'));
    var items = figure.items || [];
    var kind = box.getAttribute('data-kind');
    var option = { animation: false, title: { text: figure.title, left: 'center', textStyle: { fontSize: 14 } } };
    if (kind === 'line') {
      option.xAxis = { type: 'category', data: items.map(function (i) { return i.day; }) };
      option.yAxis = { type: 'value', minInterval: 1 };
      option.series = [{ type: 'line', data: items.map(function (i) { return i.count; }) }];
    } else if (kind === 'pie') {
      option.series = [{ type: 'pie', radius: '60%', top: 20,
                         data: items.map(function (i) { return { name: i.name, value: i.count }; }) }];
    } else {
      option.grid = { left: 110, right: 16, top: 30, bottom: 20 };
      option.xAxis = { type: 'value', minInterval: 1 };
      option.yAxis = { type: 'category', inverse: true, data: items.map(function (i) { return i.name; }) };
      option.series = [{ type: 'bar', data: items.map(function (i) { return i.count; }), barMaxWidth: 18 }];
    }
    window.echarts.init(box).setOption(option);
  });
}());
