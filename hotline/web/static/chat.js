/*
 * Citizen chat page: sends messages to POST /chat/api/messages, shows the
 * bot's replies, and polls GET /chat/api/messages for mediator messages and
 * answers that come later (the bot was busy). The conversation is identified
 * by an HttpOnly cookie the server issues; this page never sees or picks it.
 *
 * All message text is put into the page with textContent, never as HTML.
 * Tests rely on these hooks: #chat-input, #chat-send, #chat-log, #chat-typing,
 * .msg.msg-bot / .msg-user / .msg-mediator, .msg-text, .quick-reply,
 * .msg-danger (a reply that tells the citizen to call 110) and a.tel-link.
 */
(function () {
  'use strict';

  var app = document.getElementById('chat-app');
  var scroller = document.getElementById('chat-scroll');
  var log = document.getElementById('chat-log');
  var typing = document.getElementById('chat-typing');
  var form = document.getElementById('chat-form');
  var input = document.getElementById('chat-input');
  var sendButton = document.getElementById('chat-send');
  if (!app || !log || !form || !input) {
    return;
  }

  var API_URL = app.getAttribute('data-api') || '/chat/api/messages';
  var AVATAR_BOT = app.getAttribute('data-avatar-bot') || '';
  var AVATAR_USER = app.getAttribute('data-avatar-user') || '';

  var KEY_CONVERSATION = 'hotline.conversation'; // sessionStorage
  var KEY_LAST_SEQ = 'hotline.last_seq';       // sessionStorage

  var POLL_INTERVAL_MS = 3000;
  var POLL_MAX_BACKOFF_MS = 60000;
  var RETRY_DELAYS_MS = [500, 1000, 2000];     // up to 3 retries, same message_id
  var REQUEST_TIMEOUT_MS = 30000;
  var TIME_GAP_MS = 5 * 60 * 1000;             // show a timestamp after 5 min of silence
  var STICK_THRESHOLD_PX = 120;

  var TEXT = {
    greeting: '您好，这里是矛盾纠纷调解热线在线服务。请直接说说您遇到的事情，' +
      '比如“老板拖欠工资”“邻居漏水”。如遇打架、持刀威胁等紧急危险，请立即拨打110。',
    failed: '发送失败，点击重试',
    mediator: '调解员',
    speakerBot: '热线客服：',
    speakerUser: '我：',
    speakerMediator: '调解员：',
    quickGroup: '快捷回复',
    yesterday: '昨天'
  };

  // ---------------------------------------------------------------- storage

  function storageGet(kind, key) {
    try {
      return window[kind].getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(kind, key, value) {
    try {
      window[kind].setItem(key, value);
    } catch (e) {
      // storage full or disabled: the page keeps working for this visit
    }
  }

  // ------------------------------------------------------------------- ids

  function uuid() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === 'function') {
      try {
        return c.randomUUID();
      } catch (e) {
        // randomUUID needs a secure context; fall through
      }
    }
    var bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === 'function') {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = [];
    for (var j = 0; j < 16; j++) {
      hex.push((bytes[j] + 0x100).toString(16).slice(1));
    }
    return hex.slice(0, 4).join('') + '-' + hex.slice(4, 6).join('') + '-' +
      hex.slice(6, 8).join('') + '-' + hex.slice(8, 10).join('') + '-' +
      hex.slice(10, 16).join('');
  }

  // ------------------------------------------------------------------ state

  /*
   * items: [{id, kind: 'bot'|'user'|'mediator', text, ts, origin,
   *          buttons?, quickUsed?, seq?,                       (bot/mediator)
   *          message_id?, payload?, status?, error?}]          (user)
   */
  var items = loadConversation();
  var lastSeq = parseInt(storageGet('sessionStorage', KEY_LAST_SEQ), 10);
  if (!isFinite(lastSeq) || lastSeq < 0) {
    lastSeq = 0;
  }
  var rows = {}; // item id -> row element

  function loadConversation() {
    var raw = storageGet('sessionStorage', KEY_CONVERSATION);
    if (!raw) {
      return [];
    }
    try {
      var data = JSON.parse(raw);
      if (data && Array.isArray(data.items)) {
        return data.items.filter(function (it) {
          return it && typeof it.id === 'string' && typeof it.text === 'string' &&
            (it.kind === 'bot' || it.kind === 'user' || it.kind === 'mediator');
        });
      }
    } catch (e) {
      // corrupt storage: start over
    }
    return [];
  }

  function saveConversation() {
    storageSet('sessionStorage', KEY_CONVERSATION, JSON.stringify({ v: 1, items: items }));
  }

  function saveLastSeq() {
    storageSet('sessionStorage', KEY_LAST_SEQ, String(lastSeq));
  }

  function hasSeq(seq) {
    for (var i = 0; i < items.length; i++) {
      if (items[i].seq === seq) {
        return true;
      }
    }
    return false;
  }

  function normalizeButtons(list) {
    if (!Array.isArray(list)) {
      return [];
    }
    var out = [];
    list.forEach(function (b) {
      if (!b || typeof b !== 'object') {
        return;
      }
      var title = typeof b.title === 'string' ? b.title : '';
      var payload = typeof b.payload === 'string' ? b.payload : title;
      if (title || payload) {
        out.push({ title: title || payload, payload: payload || title });
      }
    });
    return out;
  }

  // -------------------------------------------------------------- rendering

  function el(tag, className) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    return node;
  }

  function pad2(n) {
    return (n < 10 ? '0' : '') + n;
  }

  function formatTime(ts) {
    var d = new Date(ts);
    var now = new Date();
    var hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    var startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    var startOfYesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getTime();
    if (ts >= startOfToday) {
      return hm;
    }
    if (ts >= startOfYesterday) {
      return TEXT.yesterday + ' ' + hm;
    }
    var md = (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
    if (d.getFullYear() === now.getFullYear()) {
      return md;
    }
    return d.getFullYear() + '年' + md;
  }

  function buildTime(ts) {
    var wrap = el('div', 'msg-time');
    var time = el('time');
    try {
      time.setAttribute('datetime', new Date(ts).toISOString());
    } catch (e) {
      // invalid date: keep the text only
    }
    time.textContent = formatTime(ts);
    wrap.appendChild(time);
    return wrap;
  }

  // ---------------------------------------------------------------- danger and tap-to-call
  // Emergency numbers in the bot's and the mediator's words become tel: links;
  // a reply telling the citizen to call 110 gets the danger style. Text is
  // still set with textContent: only the link elements are built here.
  var CALLABLE = /(110|120|119|12348|12345|12333)/g;
  // The openings of the danger replies (bot/domain/safety.yml: utter_emergency, _followup,
  // _waiting; a test checks they still match); the welcome's "如遇…请立即拨打110" is no danger.
  var DANGER = /^(您现在可能有危险|请先顾好自己的安全|值班工作人员马上接入)/;

  function isDanger(value) {
    return DANGER.test(String(value || ''));
  }

  function renderText(node, value, links) {
    var textValue = String(value == null ? '' : value);
    node.textContent = '';
    if (!links) {
      node.textContent = textValue;
      return;
    }
    var last = 0;
    textValue.replace(CALLABLE, function (number, _group, offset) {
      // Only a number standing alone: not part of a longer number such as a case number.
      var before = textValue.charAt(offset - 1);
      var after = textValue.charAt(offset + number.length);
      if (/[0-9A-Za-z]/.test(before) || /[0-9]/.test(after)) {
        return number;
      }
      node.appendChild(document.createTextNode(textValue.slice(last, offset)));
      var link = document.createElement('a');
      link.href = 'tel:' + number;
      link.className = 'tel-link' + (number === '110' || number === '120' || number === '119' ? ' tel-emergency' : '');
      link.textContent = number;
      node.appendChild(link);
      last = offset + number.length;
      return number;
    });
    node.appendChild(document.createTextNode(textValue.slice(last)));
  }

  function buildRow(item) {
    var outgoing = item.kind === 'user';
    var row = el('div', 'msg msg-' + item.kind + (outgoing ? ' msg-out' : ' msg-in'));
    row.setAttribute('data-id', item.id);

    var avatar = el('img', 'msg-avatar');
    avatar.src = outgoing ? AVATAR_USER : AVATAR_BOT;
    avatar.alt = '';
    avatar.width = 40;
    avatar.height = 40;
    row.appendChild(avatar);

    var body = el('div', 'msg-body');
    if (item.kind === 'mediator') {
      var name = el('div', 'msg-name');
      name.textContent = TEXT.mediator;
      name.setAttribute('aria-hidden', 'true');
      body.appendChild(name);
    }

    var line = el('div', 'msg-line');
    if (outgoing) {
      var status = el('span', 'msg-status');
      status.setAttribute('aria-hidden', 'true');
      status.addEventListener('click', function () {
        retry(item);
      });
      line.appendChild(status);
    }

    var bubble = el('div', 'msg-bubble');
    var speaker = el('span', 'visually-hidden');
    speaker.textContent = outgoing ? TEXT.speakerUser :
      (item.kind === 'mediator' ? TEXT.speakerMediator : TEXT.speakerBot);
    bubble.appendChild(speaker);
    var text = el('div', 'msg-text');
    renderText(text, item.text, !outgoing);
    bubble.appendChild(text);
    if (!outgoing && isDanger(item.text)) {
      row.className += ' msg-danger';
      row.setAttribute('role', 'alert');
    }
    line.appendChild(bubble);
    body.appendChild(line);

    if (!outgoing && item.buttons && item.buttons.length) {
      var quick = el('div', 'msg-quick');
      quick.setAttribute('role', 'group');
      quick.setAttribute('aria-label', TEXT.quickGroup);
      item.buttons.forEach(function (b) {
        var button = el('button', 'quick-reply');
        button.type = 'button';
        button.textContent = b.title;
        button.disabled = !!item.quickUsed;
        button.addEventListener('click', function () {
          if (item.quickUsed) {
            return;
          }
          sendMessage(b.payload, b.title);
        });
        quick.appendChild(button);
      });
      body.appendChild(quick);
    }

    if (outgoing) {
      var error = el('div', 'msg-error');
      error.hidden = true;
      var detail = el('span', 'msg-error-detail');
      var retryButton = el('button', 'msg-retry');
      retryButton.type = 'button';
      retryButton.textContent = TEXT.failed;
      retryButton.addEventListener('click', function () {
        retry(item);
      });
      error.appendChild(detail);
      error.appendChild(retryButton);
      body.appendChild(error);
    }

    row.appendChild(body);
    if (outgoing) {
      applyStatus(row, item);
    }
    return row;
  }

  function applyStatus(row, item) {
    row.classList.toggle('msg-sending', item.status === 'sending');
    row.classList.toggle('msg-failed', item.status === 'failed');
    row.setAttribute('aria-busy', item.status === 'sending' ? 'true' : 'false');
    var error = row.querySelector('.msg-error');
    var detail = row.querySelector('.msg-error-detail');
    if (!error || !detail) {
      return;
    }
    var failed = item.status === 'failed';
    error.hidden = !failed;
    detail.textContent = failed && item.error ? item.error : '';
    detail.hidden = !(failed && item.error);
  }

  function isNearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_THRESHOLD_PX;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function appendItemDom(item, previous) {
    if (!previous || item.ts - previous.ts > TIME_GAP_MS) {
      log.appendChild(buildTime(item.ts));
    }
    var row = buildRow(item);
    rows[item.id] = row;
    log.appendChild(row);
  }

  function renderAll() {
    log.textContent = '';
    rows = {};
    for (var i = 0; i < items.length; i++) {
      appendItemDom(items[i], items[i - 1]);
    }
  }

  function addItem(item) {
    var stick = item.kind === 'user' || isNearBottom();
    item.id = item.id || uuid();
    item.ts = item.ts || Date.now();
    var previous = items[items.length - 1];
    items.push(item);
    saveConversation();
    appendItemDom(item, previous);
    if (stick) {
      scrollToBottom();
    }
    return item;
  }

  function setStatus(item, status, error) {
    item.status = status;
    item.error = error || null;
    saveConversation();
    var row = rows[item.id];
    if (row) {
      var stick = isNearBottom();
      applyStatus(row, item);
      if (stick) {
        scrollToBottom();
      }
    }
  }

  /* Quick replies belong to the moment they were offered: once the citizen
     says anything else they are shown greyed out. */
  function expireQuickReplies() {
    var changed = false;
    items.forEach(function (it) {
      if (it.buttons && it.buttons.length && !it.quickUsed) {
        it.quickUsed = true;
        changed = true;
        var row = rows[it.id];
        if (row) {
          Array.prototype.forEach.call(row.querySelectorAll('.quick-reply'), function (b) {
            b.disabled = true;
          });
        }
      }
    });
    if (changed) {
      saveConversation();
    }
  }

  // ---------------------------------------------------------------- network

  function sleep(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  /* Resolves (never rejects) with {status, ok, data}; status 0 = network error. */
  function request(method, url, body) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () {
      controller.abort();
    }, REQUEST_TIMEOUT_MS) : null;
    var options = {
      method: method,
      headers: { 'Accept': 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store'
    };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    if (controller) {
      options.signal = controller.signal;
    }
    return fetch(url, options).then(function (resp) {
      return resp.text().then(function (raw) {
        var data = null;
        if (raw) {
          try {
            data = JSON.parse(raw);
          } catch (e) {
            data = null;
          }
        }
        return { status: resp.status, ok: resp.ok, data: data };
      });
    }).catch(function () {
      return { status: 0, ok: false, data: null };
    }).then(function (result) {
      if (timer) {
        clearTimeout(timer);
      }
      return result;
    });
  }

  function errorMessage(data) {
    if (data && data.error && typeof data.error.message === 'string' && data.error.message) {
      return data.error.message;
    }
    return null;
  }

  /* Network errors, timeouts, "still processing" and server errors are
     retried; other client errors (bad request etc.) would fail again. */
  function isRetryable(status) {
    return status === 0 || status === 408 || status === 409 || status === 425 ||
      status === 429 || status >= 500;
  }

  // ---------------------------------------------------------------- sending

  var queue = Promise.resolve(); // messages go out one at a time, in order
  var pending = 0;

  function updateTyping() {
    if (!typing) {
      return;
    }
    var stick = isNearBottom();
    typing.hidden = pending === 0;
    if (stick && pending > 0) {
      scrollToBottom();
    }
  }

  function enqueue(item) {
    pending += 1;
    updateTyping();
    function done() {
      pending -= 1;
      updateTyping();
    }
    queue = queue.then(function () {
      return deliver(item);
    }).then(done, done);
  }

  function deliver(item) {
    var attempt = 0;
    setStatus(item, 'sending', null);
    var body = { message_id: item.message_id, text: item.payload };

    function tryOnce() {
      return request('POST', API_URL, body).then(function (result) {
        if (result.ok) {
          onDelivered(item, result.data || {});
          return null;
        }
        if (isRetryable(result.status) && attempt < RETRY_DELAYS_MS.length) {
          var delay = RETRY_DELAYS_MS[attempt];
          attempt += 1;
          return sleep(delay).then(tryOnce);
        }
        setStatus(item, 'failed', errorMessage(result.data));
        return null;
      });
    }

    return tryOnce();
  }

  function onDelivered(item, data) {
    setStatus(item, 'sent', null);
    var replies = Array.isArray(data.replies) ? data.replies : [];
    replies.forEach(function (reply) {
      if (!reply || typeof reply !== 'object') {
        return;
      }
      var seq = typeof reply.seq === 'number' ? reply.seq : undefined;
      if (seq !== undefined && hasSeq(seq)) {
        return; // already shown (e.g. picked up by polling)
      }
      var text = typeof reply.text === 'string' ? reply.text : '';
      var buttons = normalizeButtons(reply.buttons);
      if (!text && !buttons.length) {
        return;
      }
      addItem({ kind: 'bot', origin: 'post', text: text, buttons: buttons, seq: seq });
    });
    startPolling();
  }

  function sendMessage(payload, display) {
    if (!payload) {
      return;
    }
    expireQuickReplies();
    var messageId = uuid();
    var item = addItem({
      id: messageId,
      kind: 'user',
      origin: 'local',
      text: display || payload,
      payload: payload,
      message_id: messageId,
      status: 'sending'
    });
    enqueue(item);
  }

  function retry(item) {
    if (item.status !== 'failed') {
      return;
    }
    enqueue(item);
  }

  // ---------------------------------------------------------------- polling

  var pollTimer = null;
  var polling = false;
  var pollStopped = false;
  var pollInFlight = false;
  var pollFailures = 0;

  function startPolling() {
    if (polling || pollStopped) {
      return;
    }
    polling = true;
    schedulePoll(POLL_INTERVAL_MS);
  }

  function schedulePoll(ms) {
    if (pollTimer) {
      clearTimeout(pollTimer);
    }
    pollTimer = setTimeout(pollOnce, ms);
  }

  function pollOnce() {
    pollTimer = null;
    if (!polling || pollInFlight) {
      return;
    }
    pollInFlight = true;
    var url = API_URL + (API_URL.indexOf('?') === -1 ? '?' : '&') +
      'after=' + encodeURIComponent(String(lastSeq));
    request('GET', url).then(function (result) {
      pollInFlight = false;
      if (result.status === 404) {
        // no polling endpoint on this server: stop quietly
        polling = false;
        pollStopped = true;
        return;
      }
      if (result.status === 401) {
        // no conversation (cookie expired or cleared): the next message starts one and polling again
        polling = false;
        return;
      }
      if (result.ok && result.data) {
        pollFailures = 0;
        handlePolled(result.data);
      } else {
        pollFailures += 1;
      }
      var delay = pollFailures ?
        Math.min(POLL_INTERVAL_MS * Math.pow(2, pollFailures), POLL_MAX_BACKOFF_MS) :
        POLL_INTERVAL_MS;
      schedulePoll(delay);
    });
  }

  /* A bot reply already shown from the POST answer may come back through
     polling too: match it by text to the oldest unmatched POST reply. */
  function claimPostReply(text, seq) {
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      if (it.kind === 'bot' && it.origin === 'post' && it.seq === undefined && it.text === text) {
        it.seq = seq;
        return true;
      }
    }
    return false;
  }

  function handlePolled(data) {
    var messages = Array.isArray(data.messages) ? data.messages.slice() : [];
    messages.sort(function (a, b) {
      return ((a && a.seq) || 0) - ((b && b.seq) || 0);
    });
    var maxSeq = lastSeq;
    var changed = false;
    messages.forEach(function (m) {
      if (!m || typeof m.seq !== 'number') {
        return;
      }
      if (m.seq > maxSeq) {
        maxSeq = m.seq;
      }
      if (m.seq <= lastSeq || hasSeq(m.seq)) {
        return;
      }
      var text = typeof m.text === 'string' ? m.text : '';
      var buttons = normalizeButtons(m.buttons);
      if (!text && !buttons.length) {
        return;
      }
      if (m.from === 'mediator') {
        addItem({ kind: 'mediator', origin: 'poll', text: text, buttons: buttons, seq: m.seq });
      } else if (m.from === 'bot') {
        if (claimPostReply(text, m.seq)) {
          changed = true;
        } else {
          addItem({ kind: 'bot', origin: 'poll', text: text, buttons: buttons, seq: m.seq });
        }
      }
    });
    if (typeof data.last_seq === 'number' && data.last_seq > maxSeq) {
      maxSeq = data.last_seq;
    }
    if (changed) {
      saveConversation();
    }
    if (maxSeq !== lastSeq) {
      lastSeq = maxSeq;
      saveLastSeq();
    }
  }

  document.addEventListener('visibilitychange', function () {
    // catch up quickly when the citizen comes back to the tab
    if (!document.hidden && polling && !pollInFlight) {
      schedulePoll(200);
    }
  });

  // ------------------------------------------------------------------ input

  var composing = false;
  var skipNextSubmit = false;

  input.addEventListener('compositionstart', function () {
    composing = true;
  });
  input.addEventListener('compositionend', function () {
    composing = false;
  });

  input.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' && event.keyCode !== 13) {
      return;
    }
    if (event.isComposing || composing || event.keyCode === 229) {
      // Enter picks an IME candidate (pinyin): do not send yet
      skipNextSubmit = true;
      setTimeout(function () {
        skipNextSubmit = false;
      }, 0);
      return;
    }
    event.preventDefault();
    submitInput();
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (skipNextSubmit) {
      return;
    }
    submitInput();
  });

  if (sendButton) {
    // keep the focus (and the phone keyboard) in the text field
    sendButton.addEventListener('mousedown', function (event) {
      event.preventDefault();
    });
  }

  function submitInput() {
    var text = input.value.replace(/^\s+|\s+$/g, '');
    if (!text) {
      input.focus();
      return;
    }
    input.value = '';
    sendMessage(text, text);
    input.focus();
  }

  var stickOnResize = true;
  scroller.addEventListener('scroll', function () {
    stickOnResize = isNearBottom();
  }, { passive: true });
  window.addEventListener('resize', function () {
    // the phone keyboard opening shrinks the viewport: keep the latest in view
    if (stickOnResize) {
      scrollToBottom();
    }
  });

  // ------------------------------------------------------------------- start

  if (!items.length) {
    addItem({ kind: 'bot', origin: 'local', text: TEXT.greeting });
  } else {
    renderAll();
  }
  scrollToBottom();

  var resumed = false;
  items.forEach(function (it) {
    if (it.kind === 'user' && it.status === 'sending') {
      // the page was reloaded mid-send: the server de-duplicates message_id
      enqueue(it);
    }
    if (it.kind === 'user' && it.status === 'sent') {
      resumed = true;
    }
  });
  if (resumed) {
    startPolling();
  }
})();
