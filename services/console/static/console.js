// Live parts of a page: an element with data-refresh="URL" and data-every="ms" gets its
// content from URL again and again, while the page is visible. Everything works without it.
(function () {
  "use strict";
  function refresh(element) {
    var every = parseInt(element.getAttribute("data-every"), 10) || 5000;
    function tick() {
      if (document.hidden) { window.setTimeout(tick, every); return; }
      var focused = element.contains(document.activeElement);
      fetch(element.getAttribute("data-refresh"), {
        credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, redirect: "error"
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null && !focused && html !== element.innerHTML) { element.innerHTML = html; }
      }).catch(function () { /* the next tick tries again */ })
        .then(function () { window.setTimeout(tick, every); });
    }
    window.setTimeout(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), refresh);
  });
})();
