/* Case page: shows the citizen's new messages as they arrive and sends replies without reloading. */
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

  function poll() {
    fetch(section.getAttribute('data-poll') + '?after=' + last, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        (data.messages || []).forEach(add);
        var state = data.handoff ? data.handoff.status : null;
        if (shownState !== undefined && state !== shownState) {
          // The hand-off changed (accepted elsewhere, timed out, handed back): show the new controls.
          window.location.reload();
        }
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
