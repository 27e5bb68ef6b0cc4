// dingdan console: live updates over server-sent events, with a badge and an optional sound.
(function () {
  "use strict";
  var badge = document.getElementById("live-badge");
  var source = document.body.dataset.liveUrl;
  if (!source || !window.EventSource) return;
  var unseen = 0;
  var events = new EventSource(source);
  function beep() {
    if (localStorage.getItem("dd-sound") !== "on") return;
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880; osc.connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (e) { /* sound is optional */ }
  }
  events.addEventListener("message", function (msg) {
    var data = {};
    try { data = JSON.parse(msg.data); } catch (e) { return; }
    unseen += 1;
    if (badge) { badge.hidden = false; badge.textContent = unseen; }
    if (data.topic === "order.placed" || data.topic === "order.payment_needs_refund") beep();
    document.body.dispatchEvent(new CustomEvent("dd:live", { detail: data }));
  });
})();
