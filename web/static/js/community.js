/* Community behaviour, layered on forms that already work without JavaScript:
 * - live "similar questions" while a question title is typed (debounced);
 * - voting without a page reload.
 * No inline scripts (the Content-Security-Policy forbids them); text is set with textContent only.
 */
(function () {
  "use strict";

  var SIMILAR_DELAY_MS = 350;
  var MIN_TITLE = 3;

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function renderSimilar(box, data) {
    box.replaceChildren();
    if (!data) return;
    if (!data.results.length) {
      box.appendChild(element("p", "muted similar-none", box.dataset.emptyText || "Nothing similar found."));
      return;
    }
    var heading = element("h2", "similar-title", "These may already answer your question");
    heading.id = "similar-title";
    var list = element("ul", "similar-list");
    list.setAttribute("aria-labelledby", heading.id);
    data.results.forEach(function (item) {
      var li = element("li", "similar-item");
      var link = element("a", "", item.title);
      link.href = item.url;
      li.appendChild(link);
      li.appendChild(element("span", "badge " + (item.source === "community" ? "badge-community" : "badge-official"), item.label));
      if (item.snippet) li.appendChild(element("p", "similar-snippet", item.snippet));
      list.appendChild(li);
    });
    box.appendChild(heading);
    box.appendChild(list);
  }

  function initSimilar(input) {
    var url = input.getAttribute("data-similar-url");
    var box = document.getElementById("similar-results");
    if (!url || !box || !window.fetch) return;
    var eventField = input.form ? input.form.querySelector("input[name='event_id']") : null;
    var last = input.value.trim();
    var controller = null;

    var update = debounce(function () {
      var title = input.value.trim();
      if (title === last) return;
      last = title;
      if (controller) controller.abort();
      if (title.length < MIN_TITLE) {
        renderSimilar(box, null);
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      box.setAttribute("aria-busy", "true");
      fetch(url + "?title=" + encodeURIComponent(title), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          renderSimilar(box, data);
          if (eventField && data.event_id) eventField.value = data.event_id;
        })
        .catch(function () { /* aborted or offline: keep what is shown */ })
        .then(function () { box.removeAttribute("aria-busy"); });
    }, SIMILAR_DELAY_MS);

    input.addEventListener("input", update);
  }

  function showVoteMessage(form, text) {
    var box = form.parentNode.querySelector(".vote-message");
    if (!box) {
      box = element("p", "vote-message");
      box.setAttribute("role", "status");
      form.parentNode.appendChild(box);
    }
    box.textContent = text;
  }

  function vote(form, button) {
    var body = new FormData(form);
    body.set("value", button.value);
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          window.location.assign(response.url);  // e.g. sent to sign in first
          return null;
        }
        return response.json().then(function (data) {
          if (!response.ok) {
            showVoteMessage(form, (data.error && data.error.message) || "That vote didn't work.");
            return;
          }
          form.querySelector(".score-value").textContent = data.score;
          form.querySelectorAll(".vote-button").forEach(function (other) {
            other.setAttribute("aria-pressed", String(Number(other.value) === data.vote));
          });
          showVoteMessage(form, "");
        });
      })
      .catch(function () { showVoteMessage(form, "We couldn't reach the server. Try again."); })
      .then(function () { form.removeAttribute("aria-busy"); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("vote-form")) return;
    var button = event.submitter;
    if (!button || !window.fetch || !window.FormData) return;  // the plain form still works
    event.preventDefault();
    vote(form, button);
  });

  document.querySelectorAll("input[data-similar-url]").forEach(initSimilar);
})();

/* After a form comes back with problems, move focus to the summary so they are announced. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();
