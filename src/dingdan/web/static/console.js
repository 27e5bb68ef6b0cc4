// dingdan console pages: live rows and notices, sound switch, order-entry lines, stock chart.
(function () {
  "use strict";
  var body = document.body;

  function notify(text) {
    var box = document.getElementById("live-notices");
    if (!box || !text) return;
    var item = document.createElement("p");
    item.className = "live-notice";
    item.textContent = text;
    box.prepend(item);
    while (box.children.length > 4) box.lastElementChild.remove();
    setTimeout(function () { item.remove(); }, 10000);
  }

  function fetchRow(ref) {
    return fetch("/console/orders/" + encodeURIComponent(ref) + "/row", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; });
  }

  function rowFromHtml(html) {
    var table = document.createElement("tbody");
    table.innerHTML = html.trim();
    return table.querySelector("tr");
  }

  function bumpCount(tab) {
    var el = document.querySelector('[data-testid="count-' + tab + '"]');
    if (el) el.textContent = String(parseInt(el.textContent || "0", 10) + 1);
  }

  // Events of one order may arrive late or out of order: a row already showing the order at
  // this sequence number or later is not fetched again, and an older answer never replaces it.
  function seqOf(row) { return parseInt((row && row.dataset.seq) || "0", 10) || 0; }

  function onOrderEvent(data) {
    var rows = document.getElementById("order-rows");
    if (rows) {
      var existing = rows.querySelector('tr[data-number="' + data.ref + '"]');
      var stale = existing && data.seq && seqOf(existing) >= data.seq;
      var statuses = (rows.dataset.liveStatuses || "").split(",").filter(Boolean);
      var wanted = rows.dataset.livePrepend && data.topic === "order.placed" &&
        (!statuses.length || statuses.indexOf(data.status) >= 0);
      if (data.topic === "order.placed") { bumpCount("all"); if (data.status) bumpCount(data.status); }
      if (!stale && (existing || wanted)) {
        fetchRow(data.ref).then(function (html) {
          var row = html && rowFromHtml(html);
          if (!row) return;
          var again = rows.querySelector('tr[data-number="' + data.ref + '"]');
          if (again && seqOf(again) > seqOf(row)) return;
          if (again) { again.replaceWith(row); } else { row.classList.add("fresh"); rows.prepend(row); }
          var empty = document.getElementById("no-orders");
          if (empty) empty.remove();
        });
      }
    }
    var head = document.getElementById("order-head");
    if (head && head.dataset.order === data.ref && data.topic !== "order.note_added") {
      var changed = document.getElementById("order-changed");
      if (changed) changed.hidden = false;
    }
  }

  body.addEventListener("dd:live", function (e) {
    var data = e.detail || {};
    notify(data.text);
    if (data.kind === "order") onOrderEvent(data);
  });

  var sound = document.getElementById("sound-toggle");
  if (sound) {
    var on = function () { return localStorage.getItem("dd-sound") === "on"; };
    sound.setAttribute("aria-pressed", String(on()));
    sound.addEventListener("click", function () {
      localStorage.setItem("dd-sound", on() ? "off" : "on");
      sound.setAttribute("aria-pressed", String(on()));
    });
  }

  var pickAll = document.getElementById("pick-all");
  if (pickAll) {
    pickAll.addEventListener("change", function () {
      document.querySelectorAll('#order-rows input[name="number"]').forEach(function (box) { box.checked = pickAll.checked; });
    });
  }

  document.addEventListener("change", function (e) {
    var select = e.target.closest && e.target.closest("select[data-postal-target]");
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var postal = document.getElementById(select.dataset.postalTarget);
    if (postal && option && option.dataset.postal) postal.value = option.dataset.postal;
  });

  document.addEventListener("click", function (e) {
    var add = e.target.closest && e.target.closest(".add-product");
    if (add) {
      var lines = document.querySelector("#new-lines tbody");
      var present = lines.querySelector('input[name="sku"][value="' + add.dataset.sku + '"]');
      if (present) {
        var qty = present.closest("tr").querySelector('input[name="quantity"]');
        qty.value = String(parseInt(qty.value || "0", 10) + 1);
        qty.focus();
        return;
      }
      var row = document.getElementById("line-template").content.firstElementChild.cloneNode(true);
      row.querySelector('input[name="sku"]').value = add.dataset.sku;
      row.querySelector(".line-name").textContent = add.dataset.name;
      row.querySelector(".line-sku").textContent = add.dataset.sku;
      row.querySelector('input[name="unit_price"]').placeholder = add.dataset.price;
      lines.appendChild(row);
      row.querySelector('input[name="quantity"]').focus();
      return;
    }
    var remove = e.target.closest && e.target.closest(".remove-line");
    if (remove) remove.closest("tr").remove();
  });

  var canvas = document.getElementById("stock-chart");
  if (canvas) {
    window.addEventListener("load", function () {
      if (!window.Chart) return;
      fetch(canvas.dataset.historyUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (h) {
        var days = h.points.map(function (p) { return p.day.slice(5); });
        new window.Chart(canvas, {
          type: "line",
          data: {
            labels: days,
            datasets: [
              { label: canvas.dataset.labelOnHand, data: h.points.map(function (p) { return p.on_hand; }), borderColor: "#0969da", tension: 0.2 },
              { label: canvas.dataset.labelAvailable, data: h.points.map(function (p) { return p.available; }), borderColor: "#1a7f37", tension: 0.2 },
              { label: canvas.dataset.labelThreshold, data: h.points.map(function () { return h.threshold; }), borderColor: "#cf222e", borderDash: [6, 4], pointRadius: 0 }
            ]
          },
          options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
        });
      });
    });
  }
})();
