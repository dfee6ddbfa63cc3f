/* The hotline seat: live triage while the operator types, one-click case / transfer, the inbox of orders. */
(function () {
  'use strict';
  var root = document.getElementById('seat');
  if (!root) { return; }
  var DEBOUNCE_MS = 250;
  var line = root.getAttribute('data-line');
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  var text = document.getElementById('caller-text');
  var statusLine = document.getElementById('seat-status');
  var stateLine = document.getElementById('triage-state');
  var timer = null;
  var sent = 0;       // sequence of triage requests, so a slow answer never overwrites a newer one
  var shown = 0;
  var orderId = null; // the work order this call came in on, if the seat took one
  var lastInbox = 0;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content !== undefined) { node.textContent = content; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function say(message, bad) {
    statusLine.textContent = message;
    statusLine.className = 'flash-area' + (bad ? ' bad' : ' good');
  }
  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    });
  }
  function problem(result) {
    return (result.data && result.data.error && result.data.error.message) || '操作没有完成，请重试。';
  }
  function percent(x) { return x === null || x === undefined ? '' : Math.round(x * 100) + '%'; }

  function renderHighlights(value, spans) {
    var box = $('highlighted');
    clear(box);
    if (!spans || !spans.length) { box.hidden = true; return; }
    box.hidden = false;
    box.appendChild(el('span', 'hint', '触发预警的词：'));
    var at = 0;
    spans.forEach(function (s) {
      if (s[0] > at) { box.appendChild(document.createTextNode(value.slice(at, s[0]))); }
      box.appendChild(el('mark', 'trigger', value.slice(s[0], s[1])));
      at = s[1];
    });
    if (at < value.length) { box.appendChild(document.createTextNode(value.slice(at))); }
  }

  function render(panel) {
    var types = $('t-types');
    clear(types);
    if (!panel.dispute_types.length) {
      types.textContent = panel.source === 'model' ? '不属于纠纷' : '未判断（模型服务暂不可用）';
    }
    panel.dispute_types.forEach(function (t, i) {
      var item = el('span', 'rank' + (i === 0 ? ' first' : ''));
      item.appendChild(el('span', 'rank-name', t.name));
      var bar = el('span', 'bar');
      var fill = el('span', 'fill');
      fill.style.width = percent(t.confidence) || '0%';
      bar.appendChild(fill);
      item.appendChild(bar);
      item.appendChild(el('span', 'rank-value', percent(t.confidence)));
      types.appendChild(item);
    });
    if (panel.dispute_types.length && !$('case-type').dataset.touched) {
      $('case-type').value = panel.dispute_types[0].code;
    }
    $('t-intent').textContent = panel.intent.name +
      (panel.intents.length ? '（' + panel.intents.map(function (i) { return i.name + ' ' + percent(i.confidence); }).join('、') + '）' : '');
    var warning = $('t-warning');
    clear(warning);
    warning.appendChild(el('span', 'badge ' + (panel.warning.level || 'none'), panel.warning.name));
    panel.signals.forEach(function (s) {
      warning.appendChild(document.createTextNode(' '));
      warning.appendChild(el('span', 'tag', s.name + '：' + s.words.join('、')));
    });
    renderHighlights(panel.text, panel.highlights);
    var entities = $('t-entities');
    clear(entities);
    if (!panel.entities.length) { entities.textContent = '—'; }
    panel.entities.forEach(function (e) {
      entities.appendChild(el('span', 'tag', e.name + '：' + e.text + (e.value && e.value !== e.text ? ' → ' + e.value : '')));
      entities.appendChild(document.createTextNode(' '));
      if (e.kind === 'location' && !$('case-location').value) { $('case-location').value = e.text; }
    });
    var route = $('t-route');
    clear(route);
    route.appendChild(el('strong', '', panel.route.name));
    if (panel.route.reason) { route.appendChild(el('div', 'hint', panel.route.reason)); }
    ['12348', '110', '12345'].forEach(function (to) {
      $('btn-' + to).classList.toggle('suggested', panel.route.to === to || (to === '12345' && /^12345:/.test(panel.route.to || '')));
    });
    var legal = $('t-legal');
    clear(legal);
    legal.hidden = !panel.legal;
    if (panel.legal) {
      legal.appendChild(el('h3', '', panel.legal.title ? '法律解答：' + panel.legal.title : '法律解答'));
      legal.appendChild(el('p', '', panel.legal.answer));
      if (panel.legal.citations.length) {
        var cites = el('ul', 'citations');
        panel.legal.citations.forEach(function (c) { cites.appendChild(el('li', '', '《' + c.law + '》' + c.article)); });
        legal.appendChild(cites);
      }
      if (panel.legal.time_limits) { legal.appendChild(el('p', 'hint', '时限：' + panel.legal.time_limits)); }
      if (panel.legal.next_steps) { legal.appendChild(el('p', 'hint', '怎么办：' + panel.legal.next_steps)); }
      if (panel.legal.kind !== 'answer') { legal.appendChild(el('p', 'hint', '匹配把握不足，请核对或由律师解答。')); }
    }
    stateLine.textContent = panel.source === 'model' ? '已更新' : '已更新（模型服务暂不可用，仅按规则分诊）';
  }

  function triage() {
    var value = text.value.trim();
    if (!value) { stateLine.textContent = '等待输入'; return; }
    var mine = ++sent;
    stateLine.textContent = '分诊中…';
    post(root.getAttribute('data-triage'), { text: value, line: line }).then(function (result) {
      if (mine < shown) { return; }
      shown = mine;
      if (!result.ok) { stateLine.textContent = problem(result); return; }
      if (!result.data.empty) { render(result.data); }
    }).catch(function () { stateLine.textContent = '网络异常，分诊没有更新。'; });
  }

  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(triage, DEBOUNCE_MS);
  });
  $('case-type').addEventListener('change', function () { $('case-type').dataset.touched = '1'; });

  function callBody() {
    return {
      text: text.value.trim(), line: line, phone: $('caller-phone').value.trim(),
      pii_consent: $('caller-consent').checked, location: $('case-location').value.trim(),
      dispute_type: $('case-type').value, note: $('seat-note').value.trim(), order_id: orderId
    };
  }

  function openCase(toQueue) {
    var body = callBody();
    body.to_queue = toQueue;
    say('正在立案…');
    post(root.getAttribute('data-cases'), body).then(function (result) {
      if (!result.ok) { say(problem(result), true); return; }
      statusLine.textContent = '';
      statusLine.className = 'flash-area good';
      statusLine.appendChild(document.createTextNode((toQueue ? '已立案并交调解员：' : '已立案：')));
      var link = el('a', '', result.data.number);
      link.href = result.data.url;
      statusLine.appendChild(link);
      statusLine.appendChild(document.createTextNode('（' + result.data.status +
        (result.data.organisation ? '，' + result.data.organisation : '') + '）'));
      orderId = null;
    });
  }

  function transfer(to) {
    say('正在转' + to + '…');
    var body = callBody();
    body.to_line = to;
    post(root.getAttribute('data-orders'), body).then(function (result) {
      if (!result.ok) { say(problem(result), true); return; }
      say('已转' + to + '：工单 ' + result.data.id + ' 号已送达对方坐席，来电内容、分诊和备注随单转出。');
    });
  }

  function lookup() {
    var phone = $('caller-phone').value.trim();
    var box = $('lookup-result');
    clear(box);
    if (!phone) { say('请先填写来电号码。', true); return; }
    fetch(root.getAttribute('data-lookup') + '?phone=' + encodeURIComponent(phone), { credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (result) {
        if (!result.ok) { say(problem(result), true); return; }
        box.appendChild(el('h3', '', '来电人的历史案件（' + result.data.items.length + ' 件）'));
        if (!result.data.items.length) { box.appendChild(el('p', 'hint', '没有查到这个号码的历史案件（只查同意留存号码的案件）。')); }
        var list = el('ul', 'history');
        result.data.items.forEach(function (c) {
          var li = el('li');
          var a = el('a', '', c.number);
          a.href = c.url;
          li.appendChild(a);
          li.appendChild(document.createTextNode(' · ' + c.dispute_type + ' · ' + c.status + ' · ' + c.description));
          list.appendChild(li);
        });
        box.appendChild(list);
      });
  }

  function reset() {
    text.value = ''; $('seat-note').value = ''; $('caller-phone').value = ''; $('case-location').value = '';
    $('caller-consent').checked = false; $('case-type').value = ''; delete $('case-type').dataset.touched;
    orderId = null; say(''); clear($('lookup-result')); renderHighlights('', []);
    stateLine.textContent = '等待输入';
    text.focus();
  }

  function take(order, button) {
    button.disabled = true;
    post(root.getAttribute('data-receive').replace('/0/', '/' + order.id + '/'), {}).then(function (result) {
      if (!result.ok) { say(problem(result), true); button.disabled = false; return; }
      text.value = order.text;
      $('seat-note').value = (order.note ? order.from_name + '备注：' + order.note : '');
      if (order.phone) { $('caller-phone').value = order.phone; $('caller-consent').checked = true; }
      orderId = order.id;
      say('已接单：' + order.from_name + '转来的来电已填入，请继续受理。');
      triage();
      pollInbox();
    });
  }

  function renderInbox(items) {
    var list = $('inbox');
    clear(list);
    var waiting = items.filter(function (o) { return o.status === 'sent'; });
    $('inbox-count').textContent = waiting.length + ' 张待接';
    if (!items.length) { list.appendChild(el('li', 'empty-line', '暂无其他坐席转来的工单。')); return; }
    items.slice().reverse().forEach(function (o) {
      var li = el('li', 'order ' + o.status);
      li.setAttribute('data-order', String(o.id));
      var head = el('div', 'order-head');
      head.appendChild(el('strong', '', o.from_name + ' 转来'));
      head.appendChild(el('span', 'badge ' + ({ '橙色预警': 'orange', '红色预警': 'red', '黄色预警': 'yellow' }[o.warning] || 'none'), o.warning));
      if (o.dispute_type) { head.appendChild(el('span', 'tag', o.dispute_type)); }
      head.appendChild(el('span', 'hint', o.status_name + (o.received_by ? '（' + o.received_by + '）' : '')));
      li.appendChild(head);
      li.appendChild(el('p', 'order-text', o.text));
      if (o.note) { li.appendChild(el('p', 'hint', '备注：' + o.note)); }
      if (o.status === 'sent') {
        var button = el('button', 'act', '接单');
        button.type = 'button';
        button.addEventListener('click', function () { take(o, button); });
        li.appendChild(button);
      }
      list.appendChild(li);
    });
  }

  function pollInbox() {
    fetch(root.getAttribute('data-inbox') + '?line=' + encodeURIComponent(line), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { renderInbox(data.items); } })
      .catch(function () { /* next round */ });
  }

  $('btn-open').addEventListener('click', function () { openCase(false); });
  $('btn-queue').addEventListener('click', function () { openCase(true); });
  $('btn-12348').addEventListener('click', function () { transfer('12348'); });
  $('btn-110').addEventListener('click', function () { transfer('110'); });
  $('btn-12345').addEventListener('click', function () { transfer('12345'); });
  $('btn-lookup').addEventListener('click', lookup);
  $('btn-clear').addEventListener('click', reset);
  ['12348', '110', '12345'].forEach(function (to) { if (to === line) { $('btn-' + to).hidden = true; } });

  var KEYS = { '1': 'btn-open', '2': 'btn-queue', '3': 'btn-12348', '4': 'btn-110', '5': 'btn-12345', '6': 'btn-lookup', '0': 'btn-clear' };
  document.addEventListener('keydown', function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    var id = KEYS[event.key];
    if (id && !$(id).hidden) { event.preventDefault(); $(id).click(); }
  });

  pollInbox();
  setInterval(pollInbox, 3000);
}());
