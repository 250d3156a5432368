/* A screen that refreshes itself without reloading: every data-refresh seconds the page is fetched again and its
   <main> and <header> are swapped in place, so a reader (a screen reader too) keeps their place. Old browsers
   without fetch reload the page instead; without scripts the page's <noscript> refresh does. */
(function () {
  "use strict";
  var seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds) { return; }
  function swap() {
    if (!window.fetch || !window.DOMParser) { window.location.reload(); return; }
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["header", "main"].forEach(function (tag) {
          var now = document.querySelector(tag), next = fresh.querySelector(tag);
          if (now && next && now.innerHTML !== next.innerHTML) { now.innerHTML = next.innerHTML; }
        });
      })
      .catch(function () { /* the network is down: keep what is shown, try again next time */ })
      .then(function () { window.setTimeout(swap, seconds * 1000); });
  }
  window.setTimeout(swap, seconds * 1000);
}());
