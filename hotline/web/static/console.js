/* Console pages: the queue refreshes itself; the case page shows new messages and sends replies without reloading. */
(function () {
  'use strict';
  var lists = document.getElementById('queue-lists');
  if (!lists) { return; }
  var REFRESH_MS = 15000;
  var note = document.getElementById('queue-updated');

  function refresh() {
    if (document.hidden) { setTimeout(refresh, REFRESH_MS); return; }
    fetch(lists.getAttribute('data-refresh'), { credentials: 'same-origin', headers: { 'X-Requested-With': 'fetch' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { note.textContent = '自动刷新失败，稍后重试'; return; }
        if (!lists.contains(document.activeElement) || document.activeElement === document.body) {
          lists.innerHTML = html;  // our own server-rendered, escaped fragment
        }
        var now = new Date();
        note.textContent = '已自动刷新 ' + String(now.getHours()).padStart(2, '0') + ':' +
          String(now.getMinutes()).padStart(2, '0') + ':' + String(now.getSeconds()).padStart(2, '0');
      })
      .catch(function () { note.textContent = '网络异常，自动刷新暂停，稍后重试'; })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  setTimeout(refresh, REFRESH_MS);
}());

(function () {
  'use strict';
  var section = document.getElementById('conversation');
  if (!section) { return; }
  var list = document.getElementById('transcript');
  var form = document.getElementById('reply-form');
  var statusLine = document.getElementById('reply-status');
  var last = parseInt(section.getAttribute('data-last'), 10) || 0;
  var WHO = { citizen: '群众', bot: '智能助手', mediator: '调解员', system: '系统' };
  var shownState;  // undefined until the first answer

  function add(message) {
    if (message.id <= last || list.querySelector('li[data-id="' + message.id + '"]')) { return; }
    var empty = list.querySelector('.empty-line');
    if (empty) { empty.remove(); }
    var li = document.createElement('li');
    li.className = 'from-' + message.sender;
    li.setAttribute('data-id', String(message.id));
    var who = document.createElement('span');
    who.className = 'who';
    who.textContent = WHO[message.sender] || message.sender;
    var text = document.createElement('span');
    text.className = 'text';
    text.textContent = message.text;
    li.appendChild(who);
    li.appendChild(text);
    list.appendChild(li);
    last = Math.max(last, message.id);
  }

  // Is anything typed or chosen on this page that a reload would throw away?
  function unsaved() {
    return Array.prototype.some.call(document.querySelectorAll('main textarea, main input, main select'), function (el) {
      if (el.type === 'hidden' || el.type === 'submit') { return false; }
      if (el.tagName === 'SELECT') {
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      if (el.type === 'checkbox' || el.type === 'radio') { return el.checked !== el.defaultChecked; }
      return el.value !== el.defaultValue;
    });
  }

  // The hand-off changed (accepted here or elsewhere, timed out, handed back): the page's controls are stale.
  // Reload to show the new ones, keeping the confirmation shown; never while the mediator is filling in a form.
  function handoffChanged() {
    if (unsaved()) {
      if (!document.getElementById('handoff-changed')) {
        var line = document.createElement('p');
        line.id = 'handoff-changed';
        line.className = 'flash';
        line.setAttribute('role', 'status');
        line.appendChild(document.createTextNode('对话状态已变化，页面上的按钮可能已过时。填写的内容提交后页面会更新，也可以'));
        var link = document.createElement('a');
        link.href = window.location.pathname;
        link.textContent = '现在刷新';
        line.appendChild(link);
        line.appendChild(document.createTextNode('（未提交的内容会丢失）。'));
        section.parentNode.insertBefore(line, section);
      }
      return;
    }
    var shown = Array.prototype.map.call(document.querySelectorAll('main > .flash[role=alert]'), function (p) {
      return p.textContent;
    });
    try { window.sessionStorage.setItem('console-flash', JSON.stringify(shown)); } catch (e) { /* private mode */ }
    window.location.reload();
  }

  // Confirmations carried over a reload that the page made by itself.
  try {
    var carried = JSON.parse(window.sessionStorage.getItem('console-flash') || '[]');
    window.sessionStorage.removeItem('console-flash');
    var main = document.querySelector('main');
    carried.reverse().forEach(function (text) {
      var p = document.createElement('p');
      p.className = 'flash';
      p.setAttribute('role', 'alert');
      p.textContent = text;
      main.insertBefore(p, main.firstChild);
    });
  } catch (e) { /* nothing carried */ }

  function poll() {
    fetch(section.getAttribute('data-poll') + '?after=' + last, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        (data.messages || []).forEach(add);
        var state = data.handoff ? data.handoff.status : null;
        if (shownState !== undefined && state !== shownState) { handoffChanged(); }
        shownState = state;
      })
      .catch(function () { /* try again next round */ })
      .then(function () { setTimeout(poll, 3000); });
  }

  if (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var button = form.querySelector('button');
      button.disabled = true;
      statusLine.textContent = '发送中…';
      fetch(section.getAttribute('data-reply'), {
        method: 'POST', body: data, credentials: 'same-origin', headers: { 'X-Requested-With': 'fetch' }
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (result) {
        if (result.ok) {
          add({ id: result.body.id, sender: 'mediator', text: result.body.text });
          form.querySelector('textarea').value = '';
          statusLine.textContent = '已发送';
        } else {
          statusLine.textContent = (result.body.error && result.body.error.message) || '发送失败，请重试。';
        }
      }).catch(function () {
        statusLine.textContent = '网络异常，消息没有发出，请重试。';
      }).then(function () { button.disabled = false; });
    });
  }
  poll();
}());
