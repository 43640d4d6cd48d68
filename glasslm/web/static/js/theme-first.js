// Loaded as a classic, blocking script in <head> (not inline: the guide's Content-Security-Policy
// allows only its own files).
// Apply the theme before the first paint (no flash): the learner's choice, else the system's.
(function () {
  let t = null;
  try { t = localStorage.getItem("glasslm.theme"); } catch (e) {}
  if (t !== "light" && t !== "dark") t = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  document.documentElement.dataset.theme = t;
})();
