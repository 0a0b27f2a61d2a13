/* Tier0 chat widget. Any page embeds it with one tag:
 *
 *   <script src="https://help.example.com/widget.js" defer></script>
 *
 * It finds the chat API next to itself (the folder of its own src, so it works from any origin), draws a
 * launcher and a chat panel inside a shadow root (the page's CSS cannot reach in; the stylesheet is
 * /widget.css loaded with a <link>, so a Content-Security-Policy of script-src/style-src 'self' is enough)
 * and keeps the conversation in localStorage, so it survives page loads. Text from customers, the bot and
 * agents is only ever set with textContent: nothing anyone writes becomes markup. New messages arrive by long
 * polling (GET …/messages?wait=20&after=<last id>), with backoff on errors and every message shown once.
 *
 * Host pages may set, before this script loads,
 *   window.Tier0ChatConfig = {identity: {external_id, email, name, plan}, signature: "<HMAC>"}
 * and may use
 *   window.Tier0Chat.open({start: "<chat start token>"}) and window.Tier0Chat.close()
 *   <a href="/chat" data-tier0-chat-open>Chat with us</a>   opens the chat instead of following the link
 *   <div data-tier0-chat-start="<token or empty>">          opens the chat on load (with that context)
 */
(function () {
  "use strict";

  if (window.Tier0Chat && window.Tier0Chat.version) {
    return; // the tag is on the page twice
  }

  var VERSION = "1";
  var MAX_CHARS = 2000;
  var WARN_CHARS = 1800;
  var POLL_MS = 2500;
  var MAX_POLL_MS = 30000;
  var LONG_POLL_SECONDS = 20;
  var LONG_POLL_TIMEOUT_MS = (LONG_POLL_SECONDS + 10) * 1000;
  var SEND_TIMEOUT_MS = 20000;
  var FETCH_TIMEOUT_MS = 10000;
  var RATING_REQUEST = "rating_request";
  var SCORE_WORDS = ["very poor", "poor", "OK", "good", "excellent"];
  var HUMAN_PAYLOAD = "/request_human";
  var HUMAN_TITLE = "Talk to a person";
  var STATE_TEXT = {
    bot: "Our assistant answers right away",
    queued: "Waiting for a person — we'll reply here",
    assigned: "You're chatting with a person from our team",
    resolved: "This chat is resolved — write again if you need more help"
  };
  var SENDER_TEXT = { customer: "You", bot: "Assistant", agent: "Support team", system: "Note" };
  var SVG = "http://www.w3.org/2000/svg";
  var INTRO_TEXT = "Hi! Ask us anything — our assistant answers right away, and a person is one click away.";
  var INTRO_WITH_CONTEXT = "We'll pass on what you were looking at, so you won't need to repeat yourself. " +
    "What can we help with?";

  var script = document.currentScript || findOwnScript();
  var base = folderOf(script && script.src ? script.src : "/widget.js");
  var apiBase = base + "api/v1";
  var storageKey = "tier0-chat:" + base;

  /* ---- Where we are, and what we remember ------------------------------------------------ */

  function findOwnScript() {
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i -= 1) {
      if (/\/widget\.js(\?|#|$)/.test(scripts[i].src)) {
        return scripts[i];
      }
    }
    return null;
  }

  function folderOf(src) {
    var url = new URL(src, document.baseURI);
    url.search = "";
    url.hash = "";
    return url.href.replace(/[^/]*$/, "");
  }

  function readRecord() {
    try {
      var value = JSON.parse(window.localStorage.getItem(storageKey) || "null");
      return value && typeof value === "object" ? value : {};
    } catch (error) {
      return {}; // storage blocked or corrupt: the chat still works for this page
    }
  }

  function writeRecord(value) {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(value));
    } catch (error) {
      /* private mode: the conversation lasts as long as the page */
    }
  }

  function config() {
    var value = window.Tier0ChatConfig;
    return value && typeof value === "object" ? value : {};
  }

  function whoIsSignedIn() {
    var identity = config().identity;
    if (!identity || typeof identity !== "object") {
      return "";
    }
    return String(identity.external_id || identity.email || "");
  }

  /* ---- The chat API ----------------------------------------------------------------------- */

  function call(method, path, body, token, timeout) {
    var controller = window.AbortController ? new window.AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, timeout) : 0;
    var headers = { Accept: "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (token) {
      headers.Authorization = "Bearer " + token;
    }
    return window.fetch(apiBase + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
      cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        window.clearTimeout(timer);
        return { status: response.status, data: data || {} };
      });
    }, function (error) {
      window.clearTimeout(timer);
      throw error;
    });
  }

  function messagesPath(conversation) {
    return "/conversations/" + encodeURIComponent(String(conversation.id)) + "/messages";
  }

  function errorMessage(result, fallback) {
    var error = result && result.data && result.data.error;
    return (error && typeof error.message === "string" && error.message) || fallback;
  }

  /* ---- Building the DOM (textContent only) ------------------------------------------------ */

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function icon(pathData) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "t0-icon");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", pathData);
    svg.appendChild(path);
    return svg;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value), base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function countChars(text) {
    return Array.from(text).length;
  }

  function buildUi() {
    var host = el("div", { id: "tier0-chat", "data-tier0-chat": VERSION });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var sheet = el("link", { rel: "stylesheet", href: base + "widget.css" });
    var frame = el("div", { class: "t0", hidden: "" });

    var launcher = el("button", {
      type: "button", class: "t0-launcher", "aria-expanded": "false", "aria-controls": "t0-panel"
    });
    launcher.appendChild(icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"));
    launcher.appendChild(el("span", { class: "t0-launcher-text" }, "Chat with us"));
    var badge = el("span", { class: "t0-badge", hidden: "" });
    launcher.appendChild(badge);

    var panel = el("section", {
      id: "t0-panel", class: "t0-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "t0-title", "aria-describedby": "t0-state", hidden: ""
    });
    var header = el("div", { class: "t0-header" });
    var heading = el("div", { class: "t0-heading" });
    heading.appendChild(el("h2", { id: "t0-title", class: "t0-title" }, "Chat with us"));
    var stateLine = el("p", { id: "t0-state", class: "t0-state", role: "status" }, STATE_TEXT.bot);
    heading.appendChild(stateLine);
    var queueLine = el("p", { class: "t0-queue", "aria-live": "polite", hidden: "" });
    heading.appendChild(queueLine);
    var closeButton = el("button", { type: "button", class: "t0-close", "aria-label": "Close chat" });
    closeButton.appendChild(icon("M6 6l12 12M18 6L6 18"));
    header.appendChild(heading);
    header.appendChild(closeButton);
    var human = el("button", { type: "button", class: "t0-human" }, HUMAN_TITLE);

    var log = el("div", {
      class: "t0-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "Messages", tabindex: "0"
    });
    var intro = el("p", { class: "t0-intro" }, INTRO_TEXT);
    var typing = el("div", { class: "t0-typing", role: "status", hidden: "" });
    var dots = el("span", { class: "t0-dots", "aria-hidden": "true" });
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    var typingText = el("span", { class: "t0-typing-text" }, "The assistant is typing…");
    typing.appendChild(dots);
    typing.appendChild(typingText);

    var alert = el("div", { class: "t0-alert", role: "alert" });
    var form = el("form", { class: "t0-form", novalidate: "" });
    form.appendChild(el("label", { for: "t0-input", class: "t0-sr" }, "Your message"));
    var input = el("textarea", {
      id: "t0-input", class: "t0-input", rows: "1", placeholder: "Type your question…",
      "aria-describedby": "t0-hint", autocomplete: "off"
    });
    var send = el("button", { type: "submit", class: "t0-send" });
    send.appendChild(icon("M3 11l18-8-8 18-2-8-8-2z"));
    send.appendChild(el("span", { class: "t0-sr" }, "Send"));
    var hint = el("p", { id: "t0-hint", class: "t0-hint", "aria-live": "polite" });
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(human);
    panel.appendChild(intro);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(alert);
    panel.appendChild(form);
    panel.appendChild(hint);
    frame.appendChild(panel);
    frame.appendChild(launcher);
    root.appendChild(sheet);
    root.appendChild(frame);

    return {
      host: host, root: root, sheet: sheet, frame: frame, launcher: launcher, badge: badge,
      panel: panel, stateLine: stateLine, queueLine: queueLine, closeButton: closeButton, human: human,
      log: log, intro: intro, typing: typing, typingText: typingText, alert: alert, form: form, input: input,
      send: send, hint: hint
    };
  }

  /* ---- The widget ------------------------------------------------------------------------- */

  function Widget() {
    this.ui = buildUi();
    this.record = readRecord();
    this.conversation = null;
    this.state = "bot";
    this.seen = {};
    this.lastId = null;
    this.titles = {};
    this.titles[HUMAN_PAYLOAD] = HUMAN_TITLE;
    this.isOpen = false;
    this.sending = false;
    this.sendCount = 0;
    this.polling = false;
    this.pollTimer = 0;
    this.pollDelay = 0;
    this.queue = null;
    this.ratingRequest = null;
    this.ratingForm = null;
    this.unread = 0;
    this.styled = false;
    this.whenStyled = [];
    this.phone = window.matchMedia ? window.matchMedia("(max-width: 480px)") : null;
  }

  Widget.prototype.start = function () {
    var self = this;
    var ui = this.ui;
    var styledNow = function () { self.onStyled(); };
    ui.sheet.addEventListener("load", styledNow);
    ui.sheet.addEventListener("error", styledNow);
    window.setTimeout(styledNow, 4000);
    document.body.appendChild(ui.host);

    ui.launcher.addEventListener("click", function () {
      if (self.isOpen) {
        self.close();
      } else {
        self.open();
      }
    });
    ui.closeButton.addEventListener("click", function () { self.close(); });
    ui.human.addEventListener("click", function () {
      self.send({ payload: HUMAN_PAYLOAD }, HUMAN_TITLE, false);
    });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submitInput();
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submitInput();
      }
    });
    ui.input.addEventListener("input", function () {
      self.checkLength(false);
      self.fitInput();
    });
    ui.frame.addEventListener("keydown", function (event) { self.onKey(event); });
    document.addEventListener("click", function (event) {
      var target = event.target && event.target.closest ? event.target.closest("[data-tier0-chat-open]") : null;
      if (target) {
        event.preventDefault();
        self.open();
      }
    });
    document.addEventListener("visibilitychange", function () { self.schedulePoll(); });

    this.restore();
    var autoOpen = document.querySelector("[data-tier0-chat-start]");
    if (autoOpen) {
      this.open({ start: autoOpen.getAttribute("data-tier0-chat-start") || undefined });
    }
  };

  Widget.prototype.onStyled = function () {
    if (this.styled) {
      return;
    }
    this.styled = true;
    this.ui.frame.removeAttribute("hidden");
    var waiting = this.whenStyled;
    this.whenStyled = [];
    waiting.forEach(function (callback) { callback(); });
  };

  Widget.prototype.afterStyled = function (callback) {
    if (this.styled) {
      callback();
    } else {
      this.whenStyled.push(callback);
    }
  };

  /* Conversation bookkeeping */

  Widget.prototype.restore = function () {
    var record = this.record;
    if (record.who !== undefined && record.who !== whoIsSignedIn()) {
      this.forget(); // someone else signed in on this browser: their chat is not ours to show
      return;
    }
    if (record.id === undefined || record.id === null || typeof record.token !== "string") {
      return;
    }
    this.conversation = { id: record.id, token: record.token };
    this.setState(record.state || "bot");
    this.fetchNew("restore");
  };

  Widget.prototype.save = function () {
    writeRecord(this.record);
  };

  Widget.prototype.forget = function () {
    var pending = this.record.pendingStart;
    this.conversation = null;
    this.record = pending ? { pendingStart: pending } : {};
    this.save();
    this.seen = {};
    this.lastId = null;
    this.unread = 0;
    this.queue = null;
    this.ratingRequest = null;
    this.ratingForm = null;
    this.ui.log.textContent = "";
    this.ui.intro.textContent = pending ? INTRO_WITH_CONTEXT : INTRO_TEXT;
    this.ui.intro.hidden = false;
    this.showBadge();
    this.setState("bot");
  };

  /* The conversation, started on first use; a bad chat link or identity falls back to a plain chat. */
  Widget.prototype.ensureConversation = function () {
    var self = this;
    if (this.conversation) {
      return Promise.resolve(this.conversation);
    }
    var settings = config();
    var body = {};
    if (this.record.pendingStart) {
      body.start = this.record.pendingStart;
    }
    if (settings.identity) {
      body.identity = settings.identity;
      body.signature = settings.signature;
    }
    var create = function () {
      return call("POST", "/conversations", body, null, SEND_TIMEOUT_MS).then(function (result) {
        if (result.status === 201 || result.status === 200) {
          self.conversation = { id: result.data.id, token: result.data.token };
          self.record = {
            id: result.data.id, token: result.data.token, last: null, state: "bot",
            start: body.start || null, who: whoIsSignedIn()
          };
          self.save();
          return self.conversation;
        }
        var drop = withoutWhat(result, body);
        if (drop) {
          delete body[drop]; // never let an expired link or a bad signature stop anyone from chatting
          if (drop === "identity") {
            delete body.signature;
          }
          return create();
        }
        result.starting = true;
        throw result;
      });
    };
    return create();
  };

  function withoutWhat(result, body) {
    var error = result.data && result.data.error;
    var fields = (error && error.fields) || {};
    if (body.start && (fields.start || result.status === 404)) {
      return "start";
    }
    if (body.identity && (fields.identity || result.status === 403)) {
      return "identity";
    }
    return body.start && result.status === 400 ? "start" : null;
  }

  /* Opening and closing */

  Widget.prototype.open = function (options) {
    var self = this;
    var start = options && typeof options.start === "string" && options.start ? options.start : null;
    if (start && start !== this.record.start && start !== this.record.pendingStart) {
      this.record.pendingStart = start; // a new context (an article, a search) starts a new chat
      this.forget();
    }
    this.isOpen = true;
    this.ui.panel.hidden = false;
    this.ui.frame.classList.add("t0-open");
    this.ui.launcher.setAttribute("aria-expanded", "true");
    this.ui.panel.setAttribute("aria-modal", this.isPhone() ? "true" : "false");
    this.unread = 0;
    this.showBadge();
    this.afterStyled(function () {
      if (self.isOpen) {
        self.ui.input.focus();
        self.scrollToEnd();
      }
    });
    this.schedulePoll(true);
  };

  Widget.prototype.close = function () {
    if (!this.isOpen) {
      return;
    }
    this.isOpen = false;
    this.ui.panel.hidden = true;
    this.ui.frame.classList.remove("t0-open");
    this.ui.launcher.setAttribute("aria-expanded", "false");
    this.ui.launcher.focus();
    this.schedulePoll();
  };

  Widget.prototype.isPhone = function () {
    return Boolean(this.phone && this.phone.matches);
  };

  Widget.prototype.onKey = function (event) {
    if (event.key === "Escape" && this.isOpen) {
      event.preventDefault();
      this.close();
      return;
    }
    if (event.key === "Tab" && this.isOpen && this.isPhone()) {
      this.keepFocusInside(event); // full screen on phones: the page behind is covered
    }
  };

  Widget.prototype.keepFocusInside = function (event) {
    var items = Array.prototype.filter.call(
      this.ui.panel.querySelectorAll("button, textarea, input, a[href], [tabindex='0']"),
      function (node) { return !node.disabled && node.offsetParent !== null; }
    );
    if (!items.length) {
      return;
    }
    var active = this.ui.root.activeElement || document.activeElement;
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && active === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  };

  /* Sending */

  Widget.prototype.submitInput = function () {
    var text = this.ui.input.value.trim();
    if (!text || this.sending) {
      return;
    }
    if (!this.checkLength(true)) {
      this.ui.input.focus();
      return;
    }
    this.ui.input.value = "";
    this.checkLength(false);
    this.fitInput();
    this.send({ text: text }, text, true);
  };

  Widget.prototype.checkLength = function (submitting) {
    var count = countChars(this.ui.input.value);
    var hint = this.ui.hint;
    var tooLong = count > MAX_CHARS;
    this.ui.input.setAttribute("aria-invalid", tooLong ? "true" : "false");
    hint.classList.toggle("t0-hint-error", tooLong);
    if (tooLong) {
      hint.textContent = "That's a bit long for one message — please keep it under 2,000 characters " +
        "(it's " + count.toLocaleString("en") + " now). You can send the rest in a second message.";
    } else if (count > WARN_CHARS) {
      hint.textContent = (MAX_CHARS - count).toLocaleString("en") + " characters left.";
    } else {
      hint.textContent = "";
    }
    return !(submitting && tooLong);
  };

  Widget.prototype.fitInput = function () {
    var input = this.ui.input;
    input.style.height = "auto"; // CSSOM, not a style attribute: allowed by style-src 'self'
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
  };

  Widget.prototype.send = function (body, echo, fromInput) {
    var self = this;
    if (this.sending) {
      return;
    }
    this.sending = true;
    this.sendCount += 1;
    this.showAlert(null);
    this.ui.intro.hidden = true;
    var pending = this.addBubble({ sender: "customer", text: echo }, true);
    this.hideQuickReplies();
    this.showTyping(true);
    this.scrollToEnd();

    var attempt = function (mayStartAgain) {
      return self.ensureConversation().then(function (conversation) {
        return call("POST", messagesPath(conversation), body, conversation.token, SEND_TIMEOUT_MS);
      }).then(function (result) {
        if ((result.status === 403 || result.status === 404) && mayStartAgain) {
          self.forget(); // the chat is gone on the server: start a new one and send again
          self.ui.intro.hidden = true;
          self.ui.log.appendChild(pending);
          return attempt(false);
        }
        return result;
      });
    };
    var finish = function () {
      self.sending = false;
      self.showTyping(false);
      self.schedulePoll();
    };
    attempt(true).then(function (result) {
      finish();
      if (result.status >= 200 && result.status < 300) {
        var messages = Array.isArray(result.data.messages) ? result.data.messages : [];
        var echoed = messages.some(function (message) { return message && message.sender === "customer"; });
        if (echoed) {
          pending.remove();
        } else {
          pending.classList.remove("t0-pending");
        }
        self.apply(result.data, "send");
        return;
      }
      self.failed(result, pending, body, echo, fromInput);
    }, function (error) {
      finish();
      self.failed(error, pending, body, echo, fromInput);
    });
  };

  Widget.prototype.failed = function (result, pending, body, echo, fromInput) {
    var self = this;
    pending.remove();
    this.refreshQuickReplies();
    if (fromInput && !this.ui.input.value) {
      this.ui.input.value = echo; // keep what the customer typed
      this.checkLength(false);
      this.fitInput();
    }
    var status = result && typeof result.status === "number" ? result.status : 0;
    if (status === 429) {
      this.showAlert("Too many messages, wait a moment and try again.");
    } else if (status === 400) {
      this.showAlert(errorMessage(result, "We couldn't send that message."));
    } else if (result && result.starting && status >= 400 && status < 500) {
      this.showAlert(errorMessage(result, "We couldn't start the chat. Please try again later."));
    } else if (status === 403 || status === 404) {
      this.showAlert("This chat has ended. Send your message again to start a new one.");
    } else {
      this.showAlert("Couldn't send — ", "retry", function () {
        if (fromInput) {
          self.submitInput();
        } else {
          self.send(body, echo, false);
        }
      });
    }
  };

  Widget.prototype.showAlert = function (text, actionText, action) {
    var alert = this.ui.alert;
    alert.textContent = "";
    alert.classList.toggle("t0-alert-shown", Boolean(text));
    if (!text) {
      return;
    }
    alert.appendChild(el("span", {}, text));
    if (actionText && action) {
      var button = el("button", { type: "button", class: "t0-link" }, actionText);
      button.addEventListener("click", action);
      alert.appendChild(button);
    }
  };

  Widget.prototype.showTyping = function (shown) {
    var ui = this.ui;
    ui.typingText.textContent = this.state === "bot" ? "The assistant is typing…" : "Sending…";
    ui.typing.hidden = !shown;
    ui.panel.setAttribute("aria-busy", shown ? "true" : "false");
  };

  /* Receiving */

  /* Show messages we have not shown yet; ``mode`` is "send", "poll" or "restore" (for the unread count). */
  Widget.prototype.apply = function (data, mode) {
    var self = this;
    var fresh = 0;
    var seenUpTo = mode === "restore" ? this.record.last : mode === "poll" ? this.lastId : undefined;
    var messages = Array.isArray(data.messages) ? data.messages : [];
    messages.forEach(function (message) {
      if (!message || message.id === undefined || message.id === null) {
        return;
      }
      var key = String(message.id);
      if (!self.seen[key]) {
        self.seen[key] = true;
        var bubble = self.addBubble(message, false);
        if (message.sender === "system" && message.kind === RATING_REQUEST) {
          self.ratingRequest = { id: message.id, bubble: bubble };
        }
        var unseen = seenUpTo === null || (seenUpTo !== undefined && isLater(message.id, seenUpTo));
        if (message.sender !== "customer" && unseen) {
          fresh += 1;
        }
      }
      if (self.lastId === null || isLater(message.id, self.lastId)) {
        self.lastId = message.id;
      }
    });
    if (messages.length) {
      this.ui.intro.hidden = true;
      this.record.last = this.lastId;
      this.save();
      this.refreshQuickReplies();
      this.scrollToEnd();
    }
    if (Object.prototype.hasOwnProperty.call(data, "queue")) {
      this.queue = data.queue && typeof data.queue === "object" ? data.queue : null;
    }
    if (typeof data.state === "string") {
      this.setState(data.state);
    }
    this.showQueue();
    this.refreshRating();
    if (fresh && !this.isOpen) {
      this.unread += fresh;
      this.showBadge();
    }
  };

  function isLater(id, than) {
    var a = Number(id);
    var b = Number(than);
    return isFinite(a) && isFinite(b) ? a > b : String(id) > String(than);
  }

  Widget.prototype.setState = function (state) {
    if (!Object.prototype.hasOwnProperty.call(STATE_TEXT, state)) {
      return;
    }
    var changed = state !== this.state;
    this.state = state;
    this.ui.panel.setAttribute("data-state", state);
    if (changed || this.ui.stateLine.textContent !== STATE_TEXT[state]) {
      this.ui.stateLine.textContent = STATE_TEXT[state];
    }
    if (this.record.id !== undefined && this.record.state !== state) {
      this.record.state = state;
      this.save();
    }
    this.showQueue();
    this.refreshRating();
    if (changed) {
      this.schedulePoll();
    }
  };

  function minutesText(minutes) {
    var value = Math.max(1, Math.round(Number(minutes) || 0));
    if (value < 60) {
      return value === 1 ? "1 minute" : value + " minutes";
    }
    var hours = Math.round(value / 60);
    if (hours < 48) {
      return hours === 1 ? "1 hour" : hours + " hours";
    }
    return Math.round(hours / 24) + " days";
  }

  /* "You're number 2 in the queue · about 6 minutes", while queued and the API says where. */
  Widget.prototype.showQueue = function () {
    var line = this.ui.queueLine;
    var queue = this.queue;
    var position = queue ? Number(queue.position) : 0;
    if (this.state !== "queued" || !queue || !isFinite(position) || position < 1) {
      line.hidden = true;
      line.textContent = "";
      return;
    }
    var place = position === 1 ? "You're next in the queue" : "You're number " + position + " in the queue";
    var wait = minutesText(queue.estimated_wait_minutes);
    var text = Number(queue.agents_online) > 0
      ? place + " · about " + wait
      : place + " · nobody from our team is online right now, so it may take about " + wait;
    if (line.textContent !== text) {
      line.textContent = text;
    }
    line.hidden = false;
  };

  Widget.prototype.addBubble = function (message, pending) {
    var self = this;
    var sender = SENDER_TEXT[message.sender] ? message.sender : "bot";
    var item = el("div", { class: "t0-msg t0-from-" + sender + (pending ? " t0-pending" : "") });
    if (message.id !== undefined && message.id !== null) {
      item.setAttribute("data-id", String(message.id));
    }
    // Messages from the server go before a message still being sent, so the order stays the server's.
    var before = pending ? null : this.ui.log.querySelector(".t0-pending");
    var previous = before ? before.previousElementSibling : this.ui.log.lastElementChild;
    var who = SENDER_TEXT[sender];
    if (sender === "agent" && typeof message.author === "string" && message.author) {
      who = message.author;
    }
    if (sender === "agent") {
      item.setAttribute("data-author", who);
    }
    // An agent's name shows above their first message in a row (and when another agent writes).
    var named = sender === "agent" &&
      !(previous && previous.classList.contains("t0-from-agent") && previous.getAttribute("data-author") === who);
    var label = el("span", { class: named ? "t0-sender" : "t0-sender t0-sr" }, who + ":");
    item.appendChild(label);
    var text = typeof message.text === "string" ? message.text : "";
    if (sender === "customer" && this.titles[text]) {
      text = this.titles[text]; // a button the customer pressed: show its title, not its payload
    }
    if (text) {
      item.appendChild(el("p", { class: "t0-text" }, text));
    }
    var articles = Array.isArray(message.articles) ? message.articles : [];
    if (articles.length) {
      var list = el("ul", { class: "t0-articles", "aria-label": "Articles" });
      articles.forEach(function (article) {
        if (!article || !article.title) {
          return;
        }
        var entry = el("li");
        var url = safeUrl(article.url);
        var card = url
          ? el("a", { class: "t0-card", href: url, target: "_blank", rel: "noopener noreferrer" })
          : el("span", { class: "t0-card" });
        card.appendChild(el("span", { class: "t0-card-kind" }, "Help article"));
        card.appendChild(el("span", { class: "t0-card-title" }, article.title));
        if (url) {
          card.appendChild(el("span", { class: "t0-sr" }, " (opens in a new tab)"));
        }
        entry.appendChild(card);
        list.appendChild(entry);
      });
      item.appendChild(list);
    }
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (buttons.length && !pending) {
      var group = el("div", { class: "t0-replies", role: "group", "aria-label": "Quick replies" });
      buttons.forEach(function (button) {
        if (!button || !button.title || typeof button.payload !== "string") {
          return;
        }
        self.titles[button.payload] = String(button.title);
        var reply = el("button", { type: "button", class: "t0-reply" }, button.title);
        reply.addEventListener("click", function () {
          self.send({ payload: button.payload }, String(button.title), false);
        });
        group.appendChild(reply);
      });
      item.appendChild(group);
    }
    this.ui.log.insertBefore(item, before);
    return item;
  };

  Widget.prototype.hideQuickReplies = function () {
    Array.prototype.forEach.call(this.ui.log.querySelectorAll(".t0-replies"), function (group) {
      group.hidden = true;
    });
  };

  /* Quick replies belong to the latest turn: hide those before the customer's last message. */
  Widget.prototype.refreshQuickReplies = function () {
    var afterCustomer = false;
    var items = this.ui.log.children;
    for (var i = items.length - 1; i >= 0; i -= 1) {
      var group = items[i].querySelector(".t0-replies");
      if (group) {
        group.hidden = afterCustomer;
      }
      if (items[i].classList.contains("t0-from-customer")) {
        afterCustomer = true;
      }
    }
  };

  Widget.prototype.scrollToEnd = function () {
    var log = this.ui.log;
    log.scrollTop = log.scrollHeight;
  };

  Widget.prototype.showBadge = function () {
    var badge = this.ui.badge;
    badge.hidden = this.unread === 0;
    badge.textContent = this.unread === 0 ? "" : this.unread === 1 ? "1 new message" : this.unread + " new messages";
  };

  /* Rating the help from a person */

  /* Offer the rating form under the latest rating request, unless it was answered or the chat moved on. */
  Widget.prototype.refreshRating = function () {
    var request = this.ratingRequest;
    var answered = request && this.record.rated !== undefined && this.record.rated !== null &&
      !isLater(request.id, this.record.rated);
    var wanted = Boolean(request) && !answered && (this.state === "resolved" || this.state === "bot");
    var form = this.ratingForm;
    if (form && (!wanted || form.requestId !== request.id)) {
      if (!form.done) {
        form.node.remove();
      }
      this.ratingForm = null;
    }
    if (wanted && !this.ratingForm) {
      this.ratingForm = this.buildRatingForm(request);
      request.bubble.appendChild(this.ratingForm.node);
      this.scrollToEnd();
    }
  };

  Widget.prototype.buildRatingForm = function (request) {
    var self = this;
    var form = el("form", { class: "t0-rating", novalidate: "" });
    var group = el("fieldset", { class: "t0-scores" });
    group.appendChild(el("legend", { class: "t0-rating-legend" }, "Rate this conversation"));
    var choices = el("div", { class: "t0-score-row" });
    SCORE_WORDS.forEach(function (word, index) {
      var score = String(index + 1);
      var id = "t0-score-" + score;
      var choice = el("input", { type: "radio", name: "t0-score", id: id, value: score, class: "t0-score-input" });
      var label = el("label", { for: id, class: "t0-score" }, score);
      label.appendChild(el("span", { class: "t0-sr" }, " – " + word));
      choices.appendChild(choice);
      choices.appendChild(label);
    });
    group.appendChild(choices);
    var scale = el("p", { class: "t0-score-scale", "aria-hidden": "true" });
    scale.appendChild(el("span", {}, "Very poor"));
    scale.appendChild(el("span", {}, "Excellent"));
    group.appendChild(scale);
    form.appendChild(group);
    form.appendChild(el("label", { for: "t0-rating-comment", class: "t0-rating-label" }, "Comment (optional)"));
    var comment = el("textarea", {
      id: "t0-rating-comment", class: "t0-rating-comment", rows: "2", maxlength: "2000"
    });
    form.appendChild(comment);
    var submit = el("button", { type: "submit", class: "t0-rating-send" }, "Send rating");
    form.appendChild(submit);
    var problem = el("p", { class: "t0-rating-problem", role: "alert" });
    form.appendChild(problem);
    var state = { node: form, requestId: request.id, done: false };
    form.addEventListener("change", function () {
      problem.textContent = "";
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submitRating(state, form, comment, submit, problem);
    });
    return state;
  };

  Widget.prototype.submitRating = function (state, form, comment, submit, problem) {
    var self = this;
    var chosen = form.querySelector("input[name='t0-score']:checked");
    problem.textContent = "";
    if (!chosen) {
      problem.textContent = "Choose a score from 1 to 5 first.";
      form.querySelector("input[name='t0-score']").focus();
      return;
    }
    var conversation = this.conversation;
    if (!conversation || submit.disabled) {
      return;
    }
    var body = { score: Number(chosen.value) };
    var text = comment.value.trim();
    if (text) {
      body.comment = text;
    }
    submit.disabled = true;
    var path = "/conversations/" + encodeURIComponent(String(conversation.id)) + "/rating";
    var settle = function (message, answered) {
      state.done = true;
      var note = el("p", { class: "t0-rating-done", role: "status", tabindex: "-1" }, message);
      form.replaceWith(note);
      state.node = note;
      if (answered) {
        self.record.rated = state.requestId;
        self.save();
      }
      note.focus();
    };
    call("POST", path, body, conversation.token, SEND_TIMEOUT_MS).then(function (result) {
      submit.disabled = false;
      if (result.status === 200) {
        settle("Thanks for your rating!", true);
      } else if (result.status === 409) {
        settle(errorMessage(result, "There is nothing to rate right now."), false);
      } else if (result.status === 429) {
        problem.textContent = "Too many tries, wait a moment and send it again.";
      } else if (result.status === 400) {
        problem.textContent = errorMessage(result, "We couldn't take that rating.");
      } else {
        problem.textContent = "Couldn't send your rating — please try again.";
      }
    }, function () {
      submit.disabled = false;
      problem.textContent = "Couldn't send your rating — please try again.";
    });
  };

  /* Long polling for agent replies */

  Widget.prototype.wantsPolling = function () {
    return Boolean(this.conversation) && (this.isOpen || this.state === "queued" || this.state === "assigned");
  };

  /* Start the next long poll after ``pollDelay``, unless one is out (it schedules the next when it returns). */
  Widget.prototype.schedulePoll = function (soon) {
    var self = this;
    window.clearTimeout(this.pollTimer);
    this.pollTimer = 0;
    if (!this.wantsPolling() || document.hidden || this.polling) {
      return;
    }
    if (soon) {
      this.pollDelay = 0;
    }
    this.pollTimer = window.setTimeout(function () { self.poll(); }, this.pollDelay);
  };

  Widget.prototype.poll = function () {
    var self = this;
    this.pollTimer = 0;
    if (this.polling || this.sending) {
      return; // the send, or the poll that is out, schedules the next one
    }
    this.polling = true;
    var started = Date.now();
    this.fetchNew("poll").then(function (count) {
      self.polling = false;
      if (count < 0) {
        self.pollDelay = Math.min(Math.max(self.pollDelay * 2, POLL_MS), MAX_POLL_MS); // back off
      } else if (count === 0 && Date.now() - started < LONG_POLL_SECONDS * 500) {
        self.pollDelay = POLL_MS; // answered empty at once: the server (or a proxy) does not hold polls
      } else {
        self.pollDelay = 0;
      }
      self.schedulePoll();
    });
  };

  /* GET the messages after the newest one we have (long-polling when ``mode`` is "poll"); resolves to how
     much is new (messages, a new state, a new place in the queue), or -1 when the server could not be
     reached or refused. */
  Widget.prototype.fetchNew = function (mode) {
    var self = this;
    var conversation = this.conversation;
    var sendCount = this.sendCount;
    if (!conversation) {
      return Promise.resolve(-1);
    }
    var after = this.lastId === null ? 0 : this.lastId;
    var query = "?after=" + encodeURIComponent(String(after));
    var timeout = FETCH_TIMEOUT_MS;
    if (mode === "poll") {
      query = "?wait=" + LONG_POLL_SECONDS + "&state=" + encodeURIComponent(this.state);
      if (this.state === "queued" && this.queue && Number(this.queue.position) >= 1) {
        query += "&position=" + encodeURIComponent(String(this.queue.position));
      }
      query += "&after=" + encodeURIComponent(String(after));
      timeout = LONG_POLL_TIMEOUT_MS;
    }
    return call("GET", messagesPath(conversation) + query, undefined, conversation.token, timeout).then(
      function (result) {
        if (conversation !== self.conversation || (mode === "poll" && sendCount !== self.sendCount)) {
          return 1; // a send started meanwhile and brings these messages itself
        }
        if (result.status === 200) {
          var state = self.state;
          var position = self.queue ? self.queue.position : null;
          self.apply(result.data, mode);
          var news = Array.isArray(result.data.messages) ? result.data.messages.length : 0;
          return news + (self.state !== state ? 1 : 0) +
            ((self.queue ? self.queue.position : null) !== position ? 1 : 0);
        }
        if (result.status === 403 || result.status === 404) {
          self.forget();
        }
        return -1;
      },
      function () {
        return -1;
      }
    );
  };

  /* ---- Public API ------------------------------------------------------------------------- */

  var widget = null;
  var queued = null;

  function boot() {
    if (widget || !document.body) {
      return;
    }
    widget = new Widget();
    widget.start();
    if (queued) {
      widget.open(queued);
    }
  }

  window.Tier0Chat = {
    version: VERSION,
    open: function (options) {
      if (widget) {
        widget.open(options || {});
      } else {
        queued = options || {};
      }
    },
    close: function () {
      if (widget) {
        widget.close();
      } else {
        queued = null;
      }
    }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
