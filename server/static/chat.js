/* KefuDesk customer chat page (/chat). Plain JS, no build step, no external resources.
 *
 * Flow: start form -> POST /api/v1/visitor/sessions -> chat view with a long-poll loop on
 * GET /api/v1/visitor/messages -> rating form once the conversation is closed or the agent
 * asks for a rating (rating_requested in the poll answer).
 * All user and agent text is rendered with textContent / text nodes, never innerHTML.
 */
(function () {
  "use strict";

  var API = "/api/v1/visitor";
  var MAX_CHARS = 5000;
  var WARN_CHARS = 4500;
  var POLL_WAIT_S = 25;
  var QUEUED_POLL_WAIT_S = 10; // the queue position changes without a message; look more often
  var STAR_LABELS = ["", "非常不满意", "不满意", "一般", "满意", "非常满意"];
  var TITLE = document.title;

  // ---- small helpers ------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function memoryStore() {
    var data = {};
    return {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(data, k) ? data[k] : null; },
      setItem: function (k, v) { data[k] = String(v); },
      removeItem: function (k) { delete data[k]; }
    };
  }

  function usableStore(name) {
    try {
      var store = window[name];
      var probe = "kefu.probe";
      store.setItem(probe, "1");
      store.removeItem(probe);
      return store;
    } catch (e) {
      return memoryStore();
    }
  }

  var local = usableStore("localStorage");
  var session = usableStore("sessionStorage");

  function readJson(store, key) {
    try {
      var raw = store.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function writeJson(store, key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full: ignore */ }
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try { return window.crypto.randomUUID(); } catch (e) { /* insecure context */ }
    }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = [];
    for (var i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10, 16).join("");
  }

  function charCount(text) {
    // The server counts code points (Python len), not UTF-16 units.
    return Array.from(text).length;
  }

  // The reconnect back-off sleep; wakeUp() cuts it short (back online, or a send went through).
  var wakeSleeper = null;

  function sleep(ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        if (wakeSleeper === done) wakeSleeper = null;
        resolve();
      }
      wakeSleeper = done;
    });
  }

  function wakeUp() {
    if (wakeSleeper) wakeSleeper();
  }

  window.addEventListener("online", wakeUp);

  function clockTime(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    var hh = String(d.getHours()).padStart(2, "0");
    var mm = String(d.getMinutes()).padStart(2, "0");
    return hh + ":" + mm;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // URLs: http(s) only; stop at whitespace, quotes, CJK text and full-width punctuation.
  var URL_RE = /https?:\/\/[^\s<>"'`\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/gi;
  var TRAILING_PUNCT = /[.,;:!?)\]}]+$/;

  function appendLinkified(parent, text) {
    var last = 0;
    URL_RE.lastIndex = 0;
    var match;
    while ((match = URL_RE.exec(text)) !== null) {
      var url = match[0].replace(TRAILING_PUNCT, "");
      var start = match.index;
      var href = null;
      try {
        var parsed = new URL(url);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
      } catch (e) { href = null; }
      if (!href || !url) continue;
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      var a = document.createElement("a");
      a.href = href;
      a.textContent = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.appendChild(a);
      last = start + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  var NETWORK_ERROR = "网络连接失败，请检查网络后重试";

  function errorMessage(res) {
    if (res.body && typeof res.body.message === "string" && res.body.message) {
      return res.body.message;
    }
    return "服务暂时不可用（" + res.status + "），请稍后重试";
  }

  function api(method, path, body, timeoutMs) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeoutMs || 15000);
    var headers = {
      "Accept": "application/json",
      "Accept-Language": "zh-CN",
      "X-Kefu-Protocol": "1"
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (chat && chat.token) headers["Authorization"] = "Bearer " + chat.token;
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
      credentials: "omit"
    }).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
        return { ok: response.ok, status: response.status, body: data };
      });
    }).finally(function () { clearTimeout(timer); });
  }

  // ---- page state ---------------------------------------------------------------------------

  var params = new URLSearchParams(window.location.search);
  var company = (params.get("company") || "").trim();
  var SESSION_KEY = "kefu.chat." + (company || "-");
  var VISITOR_KEY = "kefu.visitor_key";

  function visitorKey() {
    var key = local.getItem(VISITOR_KEY);
    if (!key) {
      key = uuid4();
      local.setItem(VISITOR_KEY, key);
    }
    return key;
  }

  var chat = null;          // {token, conversationId, nickname, rated}
  var pollGeneration = 0;   // bumping it stops the running poll loop
  var lastSeq = 0;
  var convState = "";
  var shown = {};           // message id -> element
  var pending = {};         // message id -> {text, el}
  var ratingScore = 0;

  function outboxKey() { return "kefu.outbox." + (chat ? chat.conversationId : ""); }

  function saveOutbox() {
    if (!chat) return;
    var items = Object.keys(pending).map(function (id) { return { id: id, text: pending[id].text }; });
    if (items.length) writeJson(session, outboxKey(), items);
    else session.removeItem(outboxKey());
  }

  function saveChat() { if (chat) writeJson(session, SESSION_KEY, chat); }

  // ---- views --------------------------------------------------------------------------------

  var app = $("app");
  var messagesEl = $("messages");
  var composer = $("composer");
  var sendButton = $("send");
  var counter = $("counter");

  function showStart(errorText) {
    app.dataset.view = "start";
    $("start-view").hidden = false;
    $("chat-view").hidden = true;
    $("new-chat").hidden = true;
    $("conn-notice").hidden = true;
    setStatus("", "欢迎咨询，我们将尽快为您服务");
    var button = $("start");
    button.disabled = false;
    button.textContent = "开始咨询";
    showStartError(errorText || "", "");
    // Focus only where it does not pop up an on-screen keyboard uninvited.
    if (!errorText && window.matchMedia("(pointer: fine)").matches) $("nickname").focus();
  }

  function showStartError(text, code) {
    var box = $("start-error");
    box.textContent = text;
    box.dataset.code = code || "";
    box.classList.toggle("info", code === "visitor_blocked");
    box.hidden = !text;
  }

  function showChat() {
    app.dataset.view = "chat";
    $("start-view").hidden = true;
    $("chat-view").hidden = false;
    $("composer-form").hidden = false;
    $("closed-bar").hidden = true;
    $("rating").hidden = true;
    updateComposer();
    if (window.matchMedia("(pointer: fine)").matches) composer.focus();
  }

  function setStatus(state, text) {
    var status = $("status");
    status.dataset.state = state;
    status.textContent = text;
  }

  function resetConversationView() {
    messagesEl.textContent = "";
    shown = {};
    pending = {};
    lastSeq = 0;
    convState = "";
    ratingScore = 0;
    paintStars(0);
    $("rating-comment").value = "";
    $("rating-error").hidden = true;
    $("rating-form-box").hidden = false;
    $("rating-thanks").hidden = true;
    $("queue").hidden = true;
  }

  // ---- messages -----------------------------------------------------------------------------

  function nearBottom() {
    return messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 120;
  }

  function scrollToBottom() { messagesEl.scrollTop = messagesEl.scrollHeight; }

  function buildMessage(m) {
    var node;
    if (m.sender === "system") {
      node = el("div", "msg msg-system");
      node.appendChild(el("span", "system-text", m.text));
    } else if (m.sender === "agent") {
      node = el("div", "msg msg-agent");
      var name = m.agent_name || "客服";
      node.appendChild(el("div", "avatar", Array.from(name)[0] || "客"));
      var body = el("div", "msg-body");
      var meta = el("div", "meta");
      meta.appendChild(el("span", "who", name));
      meta.appendChild(el("time", "time", clockTime(m.created_at)));
      body.appendChild(meta);
      var card = m.card && m.card.type === "order" ? buildOrderCard(m.card) : null;
      if (card) {
        body.appendChild(card);
      } else {
        var bubble = el("div", "bubble");
        appendLinkified(bubble, m.text);
        body.appendChild(bubble);
      }
      node.appendChild(body);
    } else {
      node = el("div", "msg msg-customer");
      var own = el("div", "msg-body");
      own.appendChild(el("div", "bubble", m.text));
      var foot = el("div", "meta");
      foot.appendChild(el("time", "time", clockTime(m.created_at)));
      foot.appendChild(el("span", "send-state"));
      own.appendChild(foot);
      node.appendChild(own);
      node.dataset.status = "sent";
    }
    node.dataset.sender = m.sender;
    node.dataset.id = m.id;
    if (m.seq) node.dataset.seq = String(m.seq);
    return node;
  }

  // ---- order cards (H5; never the address or contact data, H11.3) --------------------------

  function yuan(cents) {
    var n = Math.round(Number(cents));
    if (!isFinite(n)) return "";
    var abs = Math.abs(n);
    return (n < 0 ? "-" : "") + "¥" + Math.floor(abs / 100) + "." +
      String(abs % 100).padStart(2, "0");
  }

  function dayTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return "";
    var pad = function (v) { return String(v).padStart(2, "0"); };
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" +
      pad(d.getMinutes());
  }

  function asText(value) { return value === undefined || value === null ? "" : String(value); }

  function buildOrderCard(card) {
    // Built with DOM nodes and textContent only: every field is data, never markup.
    var box = el("div", "bubble order-card");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "订单 " + asText(card.order_no));
    var head = el("div", "oc-head");
    head.appendChild(el("span", "oc-label", "订单"));
    head.appendChild(el("span", "oc-no", asText(card.order_no)));
    head.appendChild(el("span", "oc-status", asText(card.status)));
    box.appendChild(head);
    var lines = Array.isArray(card.lines) ? card.lines : [];
    if (lines.length) {
      var list = el("ul", "oc-lines");
      lines.forEach(function (line) {
        if (!line || typeof line !== "object") return;
        var item = el("li", "oc-line");
        item.appendChild(el("span", "oc-name", asText(line.name)));
        item.appendChild(el("span", "oc-qty", "×" + asText(line.qty)));
        list.appendChild(item);
      });
      var more = Number(card.more) || 0;
      if (more > 0) list.appendChild(el("li", "oc-more", "还有 " + more + " 件商品"));
      box.appendChild(list);
    }
    var total = el("div", "oc-total");
    total.appendChild(el("span", "oc-total-label", "合计"));
    total.appendChild(el("strong", "oc-amount", yuan(card.total_cents)));
    box.appendChild(total);
    var tracking = card.tracking;
    var track = el("div", "oc-tracking");
    if (tracking && typeof tracking === "object") {
      track.appendChild(el("span", "oc-carrier", asText(tracking.carrier)));
      track.appendChild(el("span", "oc-track-status", asText(tracking.status)));
      var when = dayTime(tracking.at);
      if (when) track.appendChild(el("time", "oc-track-at", when));
    } else {
      track.classList.add("none");
      track.textContent = "暂无物流信息";
    }
    box.appendChild(track);
    var placed = dayTime(card.created_at);
    if (placed) box.appendChild(el("div", "oc-date", "下单时间 " + placed));
    return box;
  }

  function setSendState(node, status, detail) {
    node.dataset.status = status;
    var slot = node.querySelector(".send-state");
    if (!slot) return;
    slot.textContent = "";
    if (status === "sending") {
      slot.textContent = "发送中…";
    } else if (status === "failed") {
      slot.appendChild(el("span", "failed-text", detail || "发送失败"));
      var retry = el("button", "retry", "重发");
      retry.type = "button";
      retry.addEventListener("click", function () { deliver(node.dataset.id); });
      slot.appendChild(retry);
    } else if (status === "rejected") {
      slot.appendChild(el("span", "failed-text", detail || "发送失败"));
    }
    // sent: just the time, like the other messages
  }

  function addMessages(list) {
    var stick = nearBottom();
    var agentSpoke = false;
    list.forEach(function (m) {
      if (m.seq && m.seq <= lastSeq) return;
      if (m.seq) lastSeq = m.seq;
      var existing = shown[m.id];
      if (existing) {
        if (m.seq) existing.dataset.seq = String(m.seq);
        if (pending[m.id]) {
          delete pending[m.id];
          saveOutbox();
        }
        if (existing.dataset.status !== "sent") setSendState(existing, "sent");
        return;
      }
      var node = buildMessage(m);
      shown[m.id] = node;
      messagesEl.appendChild(node);
      if (m.sender === "agent") agentSpoke = true;
    });
    if (stick) scrollToBottom();
    if (agentSpoke && document.hidden) document.title = "【新消息】" + TITLE;
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) document.title = TITLE;
  });

  // ---- sending ------------------------------------------------------------------------------

  function queueOutgoing(id, text, status) {
    var node = buildMessage({ id: id, text: text, sender: "customer", created_at: "" });
    shown[id] = node;
    pending[id] = { text: text, el: node };
    messagesEl.appendChild(node);
    setSendState(node, status);
    saveOutbox();
    scrollToBottom();
  }

  function deliver(id) {
    var item = pending[id];
    if (!item || !chat) return;
    var node = item.el;
    setSendState(node, "sending");
    api("POST", API + "/messages", { id: id, text: item.text }).then(function (res) {
      if (res.ok) {
        delete pending[id];
        saveOutbox();
        setSendState(node, "sent");
        wakeUp(); // the network is back: reconnect the long-poll now
        return;
      }
      if (res.status === 401) { sessionLost(); return; }
      var code = res.body && res.body.code;
      if (code === "conversation_closed" || code === "invalid_request" ||
          code === "message_id_conflict") {
        delete pending[id];
        saveOutbox();
        setSendState(node, "rejected", errorMessage(res));
        return;
      }
      setSendState(node, "failed", "发送失败");
    }, function () {
      setSendState(node, "failed", "发送失败");
    });
  }

  function updateComposer() {
    var text = composer.value;
    var n = charCount(text);
    var over = n > MAX_CHARS;
    counter.classList.toggle("over", over);
    if (over) counter.textContent = "已超出 " + (n - MAX_CHARS) + " 字（最多 " + MAX_CHARS + " 字）";
    else if (n >= WARN_CHARS) counter.textContent = n + " / " + MAX_CHARS;
    else counter.textContent = "";
    counter.hidden = !counter.textContent;
    sendButton.disabled = over || !text.trim() || convState === "closed";
    // grow with the text, up to a limit set in CSS (max-height)
    composer.style.height = "auto";
    composer.style.height = composer.scrollHeight + "px";
  }

  function submitComposer() {
    var text = composer.value.trim();
    if (!text || charCount(text) > MAX_CHARS || !chat || convState === "closed") return;
    var id = uuid4();
    composer.value = "";
    updateComposer();
    queueOutgoing(id, text, "sending");
    deliver(id);
  }

  composer.addEventListener("input", updateComposer);
  composer.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) return;
    // An IME (pinyin) uses Enter to confirm a candidate: that must not send.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submitComposer();
  });
  $("composer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    submitComposer();
    composer.focus();
  });

  // ---- conversation state -------------------------------------------------------------------

  function applyState(state, position, info) {
    convState = state;
    var queue = $("queue");
    if (state === "queued") {
      var ahead = Math.max(0, (position || 1) - 1);
      $("queue-text").textContent = ahead > 0
        ? "排队中，前面还有 " + ahead + " 位"
        : "排队中，马上就轮到您";
      queue.dataset.ahead = String(ahead);
      queue.hidden = false;
      setStatus("queued", "排队中，请稍候");
    } else {
      queue.hidden = true;
    }
    if (state === "open") setStatus("open", "客服已接入，正在为您服务");
    if (state === "closed") {
      setStatus("closed", "本次会话已结束");
      $("composer-form").hidden = true;
      $("closed-bar").hidden = false;
      $("new-chat").hidden = false;
    }
    // H14.4: the form appears once the chat has ended, or earlier when the agent asks for it.
    if (state === "closed" || (info && info.rating_requested)) showRating(info && info.rated);
    updateComposer();
  }

  function showRating(ratedOnServer) {
    var rating = $("rating");
    if (!rating.hidden) return;
    if (ratedOnServer && chat && !chat.rated) {
      chat.rated = true;
      saveChat();
    }
    rating.hidden = false;
    var rated = chat && chat.rated;
    $("rating-form-box").hidden = !!rated;
    $("rating-thanks").hidden = !rated;
    scrollToBottom();
  }

  function setConnected(ok) { $("conn-notice").hidden = ok; }

  async function pollLoop(generation) {
    var backoff = 1000;
    var first = true;
    while (generation === pollGeneration) {
      var wait = first ? 0 : (convState === "queued" ? QUEUED_POLL_WAIT_S : POLL_WAIT_S);
      var path = API + "/messages?after=" + lastSeq + "&wait=" + wait;
      var res = null;
      try {
        res = await api("GET", path, undefined, (wait + 20) * 1000);
      } catch (e) {
        res = null; // network error or timeout
      }
      if (generation !== pollGeneration) return;
      if (res && res.status === 401) { sessionLost(); return; }
      if (!res || !res.ok || !res.body) {
        setConnected(false);
        var delay = backoff + Math.floor(Math.random() * 500);
        backoff = Math.min(backoff * 2, 15000);
        await sleep(delay);
        continue;
      }
      setConnected(true);
      backoff = 1000;
      addMessages(res.body.messages || []);
      applyState(res.body.state, res.body.queue_position, res.body);
      if (first) {
        first = false;
        restoreOutbox();
      }
    }
  }

  function restoreOutbox() {
    // After a reload: messages that were never confirmed come back as failed, ready to resend.
    var items = readJson(session, outboxKey()) || [];
    items.forEach(function (item) {
      if (!item || !item.id || shown[item.id] || typeof item.text !== "string") return;
      queueOutgoing(item.id, item.text, "failed");
    });
  }

  function startPolling() {
    pollGeneration += 1;
    pollLoop(pollGeneration);
  }

  function stopPolling() { pollGeneration += 1; }

  function sessionLost() {
    stopPolling();
    session.removeItem(SESSION_KEY);
    var nickname = chat ? chat.nickname : "";
    chat = null;
    resetConversationView();
    $("nickname").value = nickname;
    showStart("会话已失效，请重新发起咨询");
  }

  // ---- start form ---------------------------------------------------------------------------

  $("start-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var nickname = $("nickname").value.trim();
    var orderNo = $("order-no").value.trim();
    if (!nickname) {
      showStartError("请填写昵称", "nickname_required");
      $("nickname").focus();
      return;
    }
    var body = { nickname: nickname, visitor_key: visitorKey() };
    if (orderNo) body.order_no = orderNo;
    if (company) body.company = company;
    var button = $("start");
    button.disabled = true;
    button.textContent = "正在连接…";
    showStartError("", "");
    api("POST", API + "/sessions", body).then(function (res) {
      button.disabled = false;
      button.textContent = "开始咨询";
      if (!res.ok) {
        showStartError(errorMessage(res), res.body && res.body.code);
        return;
      }
      chat = {
        token: res.body.visitor_token,
        conversationId: res.body.conversation_id,
        nickname: nickname,
        rated: false
      };
      saveChat();
      resetConversationView();
      showChat();
      startPolling();
    }, function () {
      button.disabled = false;
      button.textContent = "开始咨询";
      showStartError(NETWORK_ERROR, "network");
    });
  });

  $("new-chat").addEventListener("click", function () {
    var nickname = chat ? chat.nickname : "";
    stopPolling();
    session.removeItem(SESSION_KEY);
    chat = null;
    resetConversationView();
    $("nickname").value = nickname;
    showStart("");
  });

  // ---- rating -------------------------------------------------------------------------------

  function paintStars(score) {
    var stars = document.querySelectorAll("#stars .star");
    Array.prototype.forEach.call(stars, function (star) {
      var value = Number(star.dataset.score);
      star.classList.toggle("on", value <= score);
      star.setAttribute("aria-checked", value === score ? "true" : "false");
    });
    $("star-label").textContent = STAR_LABELS[score] || "";
    $("rating-submit").disabled = score < 1;
  }

  Array.prototype.forEach.call(document.querySelectorAll("#stars .star"), function (star) {
    star.addEventListener("click", function () {
      ratingScore = Number(star.dataset.score);
      paintStars(ratingScore);
    });
  });

  function ratingDone(text) {
    if (chat) {
      chat.rated = true;
      saveChat();
    }
    $("rating-form-box").hidden = true;
    var thanks = $("rating-thanks");
    if (text) thanks.textContent = text;
    thanks.hidden = false;
  }

  $("rating-submit").addEventListener("click", function () {
    if (ratingScore < 1 || !chat) return;
    var button = $("rating-submit");
    var errorBox = $("rating-error");
    button.disabled = true;
    errorBox.hidden = true;
    var comment = $("rating-comment").value.trim();
    api("POST", API + "/rating", { score: ratingScore, comment: comment }).then(function (res) {
      button.disabled = false;
      if (res.ok) { ratingDone(""); return; }
      if (res.body && res.body.code === "already_rated") { ratingDone(errorMessage(res)); return; }
      if (res.status === 401) { sessionLost(); return; }
      errorBox.textContent = errorMessage(res);
      errorBox.hidden = false;
    }, function () {
      button.disabled = false;
      errorBox.textContent = NETWORK_ERROR;
      errorBox.hidden = false;
    });
  });

  // ---- boot ---------------------------------------------------------------------------------

  var saved = readJson(session, SESSION_KEY);
  if (saved && saved.token && saved.conversationId) {
    chat = saved;
    resetConversationView();
    showChat();
    startPolling();
  } else {
    showStart("");
  }
})();
