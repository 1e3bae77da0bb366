// Large-text mode: a cookie so the server renders the page large from the first paint.
(function () {
  var toggle = document.getElementById("large-text-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", function () {
    var on = !document.body.classList.contains("large-text");
    document.body.classList.toggle("large-text", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    document.cookie = "large_text=" + (on ? "1" : "0") + "; path=/; max-age=31536000; SameSite=Lax";
  });
})();
