/* The editor console: a live preview of the Markdown body (rendered and sanitised by the server,
   exactly as the help centre will show it), the diff layout switch, and a warning before leaving
   a form with unsaved changes. Without JavaScript every form still works; the preview then shows
   the last saved body. */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 350;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* ---- Live preview ------------------------------------------------------------------------ */

  function Preview(input) {
    this.input = input;
    this.url = input.getAttribute("data-preview-url");
    this.target = document.getElementById(input.getAttribute("data-preview-target"));
    this.status = document.getElementById("preview-status");
    this.timer = null;
    this.sent = input.value;
    this.latest = 0;
    var self = this;
    input.addEventListener("input", function () { self.schedule(); });
  }

  Preview.prototype.say = function (text, isError) {
    if (this.status) {
      this.status.textContent = text;
      this.status.classList.toggle("preview-error", Boolean(isError));
    }
  };

  Preview.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.say("Updating…");
    this.timer = window.setTimeout(function () { self.refresh(); }, PREVIEW_DELAY_MS);
  };

  Preview.prototype.refresh = function () {
    var self = this;
    var body = this.input.value;
    var ticket = this.latest += 1;
    window.fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify({ body: body })
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("json") === -1) {
        throw new Error("You've been signed out. Save your text elsewhere and reload the page.");
      }
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || "The preview failed (HTTP " + response.status + ").");
        }
        return data;
      });
    }).then(function (data) {
      if (ticket !== self.latest) {
        return; // a newer request is on its way; its answer wins
      }
      // The server sanitised this HTML with the help centre's own rules (web/rendering.py).
      self.target.innerHTML = data.html;
      self.sent = body;
      self.say("Preview up to date");
    }).catch(function (error) {
      if (ticket === self.latest) {
        self.say(error.message || "Can't reach the server; the preview is out of date.", true);
      }
    });
  };

  /* ---- Diff layout: side by side or inline, without reloading ------------------------------ */

  function initDiffToggle() {
    var links = document.querySelectorAll("[data-diff-view]");
    var views = document.querySelectorAll("[data-diff]");
    var hidden = document.querySelector('.compare-bar input[name="view"]');
    if (!links.length || !views.length) {
      return;
    }
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        var wanted = link.getAttribute("data-diff-view");
        event.preventDefault();
        Array.prototype.forEach.call(views, function (view) {
          view.hidden = view.getAttribute("data-diff") !== wanted;
        });
        Array.prototype.forEach.call(links, function (other) {
          if (other === link) {
            other.setAttribute("aria-current", "true");
          } else {
            other.removeAttribute("aria-current");
          }
        });
        if (hidden) {
          hidden.value = wanted;
        }
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", link.getAttribute("href"));
        }
      });
    });
  }

  /* ---- Unsaved changes ----------------------------------------------------------------------- */

  function initUnsavedWarning(form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  /* ---- A slug suggested from the title while the slug field is untouched (new articles) ---- */

  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/['`]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 120)
      .replace(/-+$/, "");
  }

  function initSlugSuggestion(form) {
    var title = form.querySelector('input[name="title"]');
    var slug = form.querySelector('input[name="slug"]');
    if (!title || !slug || slug.value) {
      return;
    }
    var touched = false;
    slug.addEventListener("input", function () { touched = true; });
    title.addEventListener("input", function () {
      if (!touched) {
        slug.placeholder = slugify(title.value);
      }
    });
  }

  function init() {
    var inputs = document.querySelectorAll("textarea[data-preview-url]");
    Array.prototype.forEach.call(inputs, function (input) { return new Preview(input); });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-warn-unsaved]"), function (form) {
      initUnsavedWarning(form);
      initSlugSuggestion(form);
    });
    initDiffToggle();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
