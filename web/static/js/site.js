/* Help centre behaviour: instant search (an ARIA combobox) and "Was this helpful?" without reloads.
   Everything here is an enhancement: without JavaScript the forms submit and the pages work. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var MAX_CHARS = 300;

  function normalise(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  /* ---- Instant search ------------------------------------------------------------------ */

  function InstantSearch(form) {
    this.form = form;
    this.endpoint = form.getAttribute("data-instant-search");
    this.input = form.querySelector('input[name="q"]');
    this.panel = form.querySelector("[data-instant-panel]");
    this.list = form.querySelector('[role="listbox"]');
    this.status = form.querySelector("[data-instant-status]");
    this.live = form.querySelector("[data-instant-live]");
    this.allLink = form.querySelector("[data-instant-all]");
    this.timer = null;
    this.controller = null;
    this.options = [];
    this.active = -1;
    this.shownQuery = "";
    if (!this.endpoint || !this.input || !this.panel || !this.list || !window.fetch) {
      return;
    }
    this.bind();
  }

  InstantSearch.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () { self.schedule(); });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("focus", function () {
      if (self.options.length && normalise(self.input.value) === self.shownQuery) {
        self.open();
      }
    });
    this.form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !self.form.contains(event.relatedTarget)) {
        self.close();
      }
    });
    this.list.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep focus in the input while choosing with the mouse
    });
    this.list.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) {
        window.location.assign(option.getAttribute("data-href"));
      }
    });
  };

  InstantSearch.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    var query = normalise(this.input.value);
    if (query.length < MIN_CHARS || query.length > MAX_CHARS) {
      this.abort();
      this.clear();
      this.close();
      return;
    }
    this.timer = window.setTimeout(function () { self.fetch(query); }, DEBOUNCE_MS);
  };

  InstantSearch.prototype.abort = function () {
    if (this.controller) {
      this.controller.abort();
      this.controller = null;
    }
  };

  InstantSearch.prototype.fetch = function (query) {
    var self = this;
    this.abort(); // a newer query makes any request still running stale
    var controller = window.AbortController ? new AbortController() : null;
    this.controller = controller;
    this.setStatus("Searching…");
    this.open();
    window.fetch(this.endpoint + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }).then(function (data) {
      if (self.controller !== controller || normalise(self.input.value) !== data.query) {
        return; // the customer has typed on since
      }
      self.controller = null;
      self.render(data);
    }).catch(function (error) {
      if (error && error.name === "AbortError") {
        return;
      }
      self.clear();
      self.setStatus("Suggestions aren't available right now — press Enter to search.");
    });
  };

  InstantSearch.prototype.render = function (data) {
    var self = this;
    this.clear();
    this.shownQuery = data.query;
    var listId = this.list.id;
    data.hits.forEach(function (hit, index) {
      var option = document.createElement("li");
      option.id = listId + "-option-" + index;
      option.className = "instant-option instant-option-" + hit.source;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-href", hit.url);
      var title = document.createElement("span");
      title.className = "instant-title";
      title.textContent = hit.title;
      var meta = document.createElement("span");
      meta.className = "instant-meta";
      var badge = document.createElement("span");
      badge.className = "badge " + (hit.source === "community" ? "badge-community" : "badge-official");
      badge.textContent = hit.badge;
      meta.appendChild(badge);
      if (hit.category) {
        var category = document.createElement("span");
        category.textContent = hit.category;
        meta.appendChild(category);
      }
      var snippet = document.createElement("span");
      snippet.className = "instant-snippet";
      snippet.innerHTML = hit.snippet_html; // escaped by the server; only <mark> is markup
      option.appendChild(title);
      option.appendChild(meta);
      option.appendChild(snippet);
      self.list.appendChild(option);
      self.options.push(option);
    });
    if (this.allLink) {
      this.allLink.href = data.search_url;
      this.allLink.textContent = "See all results for “" + data.query + "”";
    }
    var message;
    if (!data.hits.length) {
      message = "No results — press Enter to see all options";
      this.setStatus(message);
    } else {
      if (data.decision === "handover") {
        this.setStatus("These may not answer your question — press Enter for more options.");
      } else if (data.corrected_query) {
        this.setStatus("Showing results for “" + data.corrected_query + "”");
      } else {
        this.setStatus("");
      }
      message = data.hits.length + (data.hits.length === 1 ? " suggestion" : " suggestions") +
        ". Use the up and down arrow keys to choose one.";
    }
    this.announce(message);
    this.open();
  };

  InstantSearch.prototype.onKey = function (event) {
    var key = event.key;
    if (key === "ArrowDown" || key === "ArrowUp") {
      if (!this.options.length) {
        return;
      }
      event.preventDefault();
      if (this.panel.hidden) {
        this.open();
      }
      var step = key === "ArrowDown" ? 1 : -1;
      var next = this.active + step;
      if (next >= this.options.length) {
        next = 0;
      } else if (next < -1) {
        next = this.options.length - 1;
      }
      this.setActive(next);
    } else if (key === "Enter") {
      if (!this.panel.hidden && this.active >= 0) {
        event.preventDefault();
        window.location.assign(this.options[this.active].getAttribute("data-href"));
      } // otherwise the form submits to the full results page
    } else if (key === "Escape") {
      if (!this.panel.hidden) {
        event.preventDefault();
        this.close();
      }
    }
  };

  InstantSearch.prototype.setActive = function (index) {
    if (this.active >= 0 && this.options[this.active]) {
      this.options[this.active].setAttribute("aria-selected", "false");
    }
    this.active = index;
    if (index >= 0) {
      var option = this.options[index];
      option.setAttribute("aria-selected", "true");
      this.input.setAttribute("aria-activedescendant", option.id);
      if (option.scrollIntoView) {
        option.scrollIntoView({ block: "nearest" });
      }
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  InstantSearch.prototype.clear = function () {
    this.setActive(-1);
    this.options = [];
    while (this.list.firstChild) {
      this.list.removeChild(this.list.firstChild);
    }
  };

  InstantSearch.prototype.open = function () {
    this.panel.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  InstantSearch.prototype.close = function () {
    this.setActive(-1);
    this.panel.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
  };

  InstantSearch.prototype.setStatus = function (text) {
    if (this.status) {
      this.status.textContent = text;
    }
  };

  InstantSearch.prototype.announce = function (text) {
    if (this.live) {
      this.live.textContent = text;
    }
  };

  /* ---- Was this helpful? ------------------------------------------------------------------ */

  function showFeedbackError(form, message) {
    var error = form.querySelector("[data-feedback-error]");
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.setAttribute("role", "alert");
      error.setAttribute("data-feedback-error", "");
      form.appendChild(error);
    }
    error.textContent = message;
  }

  function onFeedbackSubmit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-feedback-form]") || !window.fetch || !window.FormData) {
      return;
    }
    var submitter = event.submitter;
    if (submitter && submitter.hasAttribute("data-no-fetch")) {
      return; // "Chat with us" is a normal navigation
    }
    event.preventDefault();
    var section = form.closest("[data-feedback]");
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    section.setAttribute("aria-busy", "true");
    window.fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": String(data.get("csrf_token") || "") }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      section.removeAttribute("aria-busy");
      if (!result.ok) {
        showFeedbackError(form, (result.body.error && result.body.error.message) || "That didn't work — please try again.");
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = result.body.html; // rendered by our own template
      var fresh = holder.querySelector("[data-feedback]");
      section.parentNode.replaceChild(fresh, section);
      var heading = fresh.querySelector("h2");
      if (heading) {
        heading.focus();
      }
    }).catch(function () {
      section.removeAttribute("aria-busy");
      showFeedbackError(form, "We couldn't send that — check your connection and try again.");
    });
  }

  function init() {
    var forms = document.querySelectorAll("form[data-instant-search]");
    for (var i = 0; i < forms.length; i += 1) {
      new InstantSearch(forms[i]); // eslint-disable-line no-new
    }
    document.addEventListener("submit", onFeedbackSubmit);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
