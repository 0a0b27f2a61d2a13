/* The agent desk: a queue that updates itself, a live conversation (long polling, deduplicated by
   message id, reconnecting with backoff), replies without reloading, and agent assist (insert a
   suggested article or a canned response into the reply). Without JavaScript every form still works. */
(function () {
  "use strict";

  var QUEUE_EVERY_MS = 3000;
  var QUEUE_HIDDEN_EVERY_MS = 15000;
  var LONG_POLL_SECONDS = 20;
  var MAX_BACKOFF_MS = 30000;
  var SHORT_POLL_MS = 2500; // when the server answers a long poll at once (too many waiting)

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function getJSON(url, signal) {
    return window.fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      signal: signal
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") === -1) {
        // Redirected to the sign-in page: the session ended.
        var signedOut = new Error("You've been signed out. Reload the page to sign in again.");
        signedOut.status = 401;
        throw signedOut;
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var error = new Error((body.error && body.error.message) || "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return body;
      });
    });
  }

  /* ---- Times in the agent's own time zone ------------------------------------------------ */

  function localiseTimes(root) {
    var times = (root || document).querySelectorAll("time[data-local-time]");
    for (var i = 0; i < times.length; i += 1) {
      var el = times[i];
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) {
        continue;
      }
      var withDate = el.getAttribute("data-local-time") === "datetime";
      el.textContent = withDate
        ? when.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })
        : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      el.title = when.toLocaleString();
    }
  }

  /* ---- The queue --------------------------------------------------------------------------- */

  function Queue(root) {
    this.root = root;
    this.url = root.getAttribute("data-queue-url");
    this.rows = document.getElementById("queue-rows");
    this.status = document.getElementById("queue-status");
    this.html = this.rows.innerHTML;
    this.baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
    this.shown = this.rows.querySelectorAll("tr[data-id]").length;
    this.label = this.status ? this.status.textContent.replace(/:.*$/, "") : "";
    this.failures = 0;
    this.schedule();
  }

  Queue.prototype.schedule = function () {
    var self = this;
    var delay = document.hidden ? QUEUE_HIDDEN_EVERY_MS : QUEUE_EVERY_MS;
    if (this.failures) {
      delay = Math.min(MAX_BACKOFF_MS, delay * Math.pow(2, this.failures));
    }
    window.setTimeout(function () { self.refresh(); }, delay);
  };

  Queue.prototype.refresh = function () {
    var self = this;
    getJSON(this.url).then(function (data) {
      self.failures = 0;
      self.render(data);
    }).catch(function (error) {
      self.failures = Math.min(self.failures + 1, 4);
      if (self.status) {
        self.status.textContent = error.status === 401 || error.status === 403
          ? error.message
          : "Can't reach the server — retrying.";
      }
      if (error.status === 401 || error.status === 403) {
        self.stopped = true;
      }
    }).then(function () {
      if (!self.stopped) {
        self.schedule();
      }
    });
  };

  Queue.prototype.render = function (data) {
    var counts = data.counts || {};
    Object.keys(counts).forEach(function (view) {
      var badge = document.querySelector('[data-count="' + view + '"]');
      if (badge) {
        badge.textContent = String(counts[view]);
        if (view === "breached") {
          badge.classList.toggle("tab-count-alert", counts[view] > 0);
        }
      }
    });
    var waiting = counts.unassigned || 0;
    document.title = (waiting ? "(" + waiting + ") " : "") + this.baseTitle;
    if (data.html !== this.html) {
      this.replaceRows(data.html);
    }
    var shown = (data.rows || []).length;
    if (this.status && (shown !== this.shown || /retrying/.test(this.status.textContent))) {
      this.status.textContent = this.label + ": " + shown + " shown.";
      this.shown = shown;
    }
  };

  Queue.prototype.replaceRows = function (html) {
    // Keep what the agent is doing: an open priority explanation and the focused control.
    var open = [];
    var details = this.rows.querySelectorAll("details[open]");
    for (var i = 0; i < details.length; i += 1) {
      open.push(details[i].id);
    }
    var active = document.activeElement;
    var focusKey = null;
    if (active && this.rows.contains(active)) {
      var row = active.closest("tr[data-id]");
      focusKey = row ? { id: row.getAttribute("data-id"), tag: active.tagName, cls: active.className } : null;
    }
    this.rows.innerHTML = html;
    this.html = html;
    open.forEach(function (id) {
      var again = document.getElementById(id);
      if (again) {
        again.open = true;
      }
    });
    if (focusKey) {
      var sameRow = this.rows.querySelector('tr[data-id="' + focusKey.id + '"]');
      var target = sameRow && sameRow.querySelector(focusKey.tag.toLowerCase() + (focusKey.cls ? "." + focusKey.cls.split(/\s+/).join(".") : ""));
      if (target) {
        target.focus();
      }
    }
  };

  /* ---- One conversation, live -------------------------------------------------------------- */

  function Conversation(root) {
    this.root = root;
    this.url = root.getAttribute("data-messages-url");
    this.lastId = parseInt(root.getAttribute("data-last-id"), 10) || 0;
    this.seen = root.getAttribute("data-seen") || "";
    this.log = document.getElementById("transcript");
    this.status = document.getElementById("live-status");
    this.changed = document.getElementById("conv-changed");
    this.suggestions = document.getElementById("suggestions");
    this.failures = 0;
    this.unread = 0;
    this.baseTitle = document.title;
    this.known = {};
    var items = this.log.querySelectorAll("li[data-id]");
    for (var i = 0; i < items.length; i += 1) {
      this.known[items[i].getAttribute("data-id")] = true;
    }
    this.scrollToEnd();
    var self = this;
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        self.unread = 0;
        document.title = self.baseTitle;
      }
    });
    this.poll();
  }

  Conversation.prototype.nearEnd = function () {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  };

  Conversation.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Conversation.prototype.poll = function () {
    var self = this;
    var url = this.url + "?after=" + this.lastId + "&wait=" + LONG_POLL_SECONDS +
      "&seen=" + encodeURIComponent(this.seen);
    var started = Date.now();
    getJSON(url).then(function (data) {
      self.failures = 0;
      self.setOnline(true);
      var nothing = (!data.messages || data.messages.length === 0) && data.seen === self.seen;
      self.receive(data);
      // Answered at once with nothing new at all: the server is not holding polls just now (it
      // answers plainly when too many wait), so ask again in a moment rather than straight away.
      if (nothing && Date.now() - started < LONG_POLL_SECONDS * 500) {
        window.setTimeout(function () { self.poll(); }, SHORT_POLL_MS);
      } else {
        self.poll();
      }
    }).catch(function (error) {
      self.failures += 1;
      self.setOnline(false);
      if (error.status === 401 || error.status === 403 || error.status === 404) {
        self.status.textContent = error.status === 401
          ? error.message
          : "This conversation is no longer available to you.";
        return;
      }
      var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, self.failures - 1));
      window.setTimeout(function () { self.poll(); }, delay);
    });
  };

  Conversation.prototype.setOnline = function (online) {
    if (!this.status) {
      return;
    }
    this.status.classList.toggle("is-offline", !online);
    this.status.textContent = online ? "Live" : "Reconnecting…";
  };

  Conversation.prototype.receive = function (data) {
    var self = this;
    var fromCustomer = 0;
    (data.messages || []).forEach(function (message) {
      if (self.add(message) && message.sender === "customer") {
        fromCustomer += 1;
      }
    });
    if (data.suggestions_html !== undefined && this.suggestions && !this.suggestions.contains(document.activeElement)) {
      this.suggestions.innerHTML = data.suggestions_html;
    }
    if (fromCustomer && document.hidden) {
      this.unread += fromCustomer;
      document.title = "(" + this.unread + ") " + this.baseTitle;
    }
    if (data.seen && data.seen !== this.seen) {
      this.seen = data.seen;
      this.showChange(data);
    }
  };

  /* Append one message unless it is already shown; true when it was new. */
  Conversation.prototype.add = function (message) {
    var key = String(message.id);
    if (message.id > this.lastId) {
      this.lastId = message.id;
    }
    if (this.known[key] || document.getElementById("message-" + key)) {
      return false;
    }
    this.known[key] = true;
    var stick = this.nearEnd();
    var holder = document.createElement("ol");
    holder.innerHTML = message.html; // rendered by our own template, text escaped
    var item = holder.firstElementChild;
    if (!item) {
      return false;
    }
    item.classList.add("is-new");
    localiseTimes(holder);
    this.log.appendChild(item);
    if (stick || message.sender === "agent") {
      this.scrollToEnd();
    }
    return true;
  };

  Conversation.prototype.showChange = function (data) {
    var words = {
      queued: "is back in the queue",
      assigned: data.owner ? "is now with " + data.owner : "has been taken",
      resolved: "has been resolved",
      bot: "has been handed back to the bot"
    };
    var state = document.getElementById("conv-state");
    if (state) {
      state.textContent = "";
      var badge = document.createElement("span");
      badge.className = "badge state state-" + data.state;
      badge.textContent = { queued: "Waiting", assigned: "Assigned", resolved: "Resolved", bot: "With the bot" }[data.state] || data.state;
      state.appendChild(badge);
    }
    var owner = document.getElementById("conv-owner");
    if (owner) {
      owner.textContent = data.owner || "nobody yet";
    }
    if (!this.changed) {
      return;
    }
    this.changed.textContent = "This conversation " + (words[data.state] || "has changed") + ". ";
    var reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = "Reload to see what you can do now";
    this.changed.appendChild(reload);
    this.changed.hidden = false;
  };

  /* ---- Replying ---------------------------------------------------------------------------- */

  function Reply(form, conversation) {
    this.form = form;
    this.conversation = conversation;
    this.text = form.querySelector("textarea[name=text]");
    this.button = form.querySelector("[type=submit]");
    this.error = document.getElementById("reply-error");
    var self = this;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.send();
    });
    this.text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        self.send();
      }
    });
  }

  Reply.prototype.showError = function (message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  };

  Reply.prototype.send = function () {
    var self = this;
    var text = this.text.value.trim();
    if (!text || this.sending) {
      if (!text) {
        this.showError("Write a reply before sending it.");
      }
      return;
    }
    this.sending = true;
    this.button.disabled = true;
    this.showError("");
    window.fetch(this.form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify({ text: text })
    }).then(function (response) {
      if ((response.headers.get("Content-Type") || "").indexOf("json") === -1) {
        throw new Error("You've been signed out, so the reply wasn't sent. Your text is kept: copy it, then reload.");
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok || !body.message) {
          throw new Error((body.error && body.error.message) || "The reply wasn't sent (HTTP " + response.status + ").");
        }
        return body;
      });
    }).then(function (body) {
      self.text.value = "";
      if (self.conversation && body.message) {
        self.conversation.add(body.message);
      }
      self.text.focus();
    }).catch(function (error) {
      self.showError(error.message && !/fetch/i.test(error.message)
        ? error.message
        : "We couldn't send that — check your connection and try again. Your text is kept.");
    }).then(function () {
      self.sending = false;
      self.button.disabled = false;
    });
  };

  /* ---- Assist: put text into the reply ----------------------------------------------------- */

  function insertIntoReply(text) {
    var box = document.getElementById("reply-text");
    if (!box || !text) {
      return;
    }
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    var lead = before && !/\s$/.test(before) ? (/\n$/.test(before) ? "" : "\n\n") : "";
    var insert = lead + text;
    box.value = before + insert + after;
    var caret = before.length + insert.length;
    box.focus();
    box.setSelectionRange(caret, caret);
  }

  function initAssist() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-insert]");
      if (button) {
        insertIntoReply(button.getAttribute("data-insert"));
      }
    });
    var select = document.getElementById("canned-select");
    var insert = document.getElementById("canned-insert");
    if (!select || !insert) {
      return;
    }
    insert.addEventListener("click", function () {
      if (!select.value) {
        select.focus();
        return;
      }
      insert.disabled = true;
      getJSON(select.getAttribute("data-canned-base") + select.value).then(function (data) {
        insertIntoReply(data.text);
        select.value = "";
      }).catch(function (error) {
        var message = document.getElementById("reply-error");
        if (message) {
          message.textContent = error.message || "That canned response couldn't be loaded.";
          message.hidden = false;
        }
      }).then(function () {
        insert.disabled = false;
      });
    });
  }

  function init() {
    localiseTimes(document);
    if (!window.fetch) {
      return;
    }
    var queue = document.getElementById("queue");
    if (queue) {
      new Queue(queue); // eslint-disable-line no-new
    }
    var root = document.getElementById("conversation");
    var conversation = root ? new Conversation(root) : null;
    var form = document.getElementById("reply-form");
    if (form) {
      new Reply(form, conversation); // eslint-disable-line no-new
    }
    initAssist();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
