/* Live occupancy in the browser: join the page's room, apply each update, keep "N min ago" current.
   Pages work without this file (they reload themselves); this only makes them immediate. */
(function () {
  "use strict";
  var LEVELS = {
    closed: ["利用停止中", "Not in use"], vacant: ["空いています", "Vacant"], some: ["やや混雑", "Somewhat crowded"],
    crowded: ["混雑", "Crowded"], full: ["満", "Full"], stale: ["確認中", "Being checked"]
  };
  var STATES = {
    standby: ["未開設", "Standby"], opening: ["開設準備", "Opening"], open: ["開設", "Open"],
    closing: ["閉鎖準備", "Closing"], closed: ["閉鎖", "Closed"]
  };
  var en = (document.documentElement.lang || "ja") === "en";
  var root = document.querySelector("[data-live-room]");
  var staleMinutes = root ? Number(root.dataset.staleMinutes || 60) : 60;
  var latest = {};

  function t(pair) { return en ? pair[1] : pair[0]; }

  // The page's own words (in the reader's language, from the server's catalogs; markup: ruby kept),
  // or, on a page without them, the ja/en pairs above.
  var WORDS = (function () {
    var el = document.getElementById("live-words");
    try { return el ? JSON.parse(el.dataset.words) : null; } catch (err) { return null; }
  })();
  function levelWords(level) { return WORDS ? WORDS.levels[level] || WORDS.levels.closed : t(LEVELS[level] || LEVELS.closed); }
  function stateWords(state) { return WORDS && WORDS.states[state] ? WORDS.states[state] : t(STATES[state] || [state, state]); }
  function setWords(el, words) { if (WORDS) { el.innerHTML = words; } else { el.textContent = words; } }

  function minutesAgo(stamp) {
    if (!stamp) { return null; }
    return Math.max(0, Math.floor((Date.now() - Date.parse(stamp)) / 60000));
  }

  function agoText(stamp) {
    var n = minutesAgo(stamp);
    if (WORDS) { return n === null ? WORDS.never : n === 0 ? WORDS.now : WORDS.ago.replace("{n}", n); }
    if (n === null) { return en ? "Not confirmed yet" : "未確認"; }
    if (n === 0) { return en ? "Confirmed just now" : "たった今確認"; }
    return en ? "Confirmed " + n + " min ago" : n + "分前に確認";
  }

  function shownLevel(rec) {
    var stale = rec.stale || (rec.state === "open" && (minutesAgo(rec.updated_at) || 0) > staleMinutes);
    return rec.state === "open" && stale ? "stale" : rec.level;
  }

  function setLevelClass(el, level) {
    // classList, not className: map markers are SVG elements
    Array.prototype.slice.call(el.classList).forEach(function (name) {
      if (name.indexOf("level-") === 0 && name !== "level-badge") { el.classList.remove(name); }
    });
    el.classList.add("level-" + level);
    var shape = el.querySelector && el.querySelector("use.shape");  // a map marker: its shape is the level's too
    if (shape) { shape.setAttribute("href", "#shape-" + level); }
  }

  function setField(scope, field, value) {
    scope.querySelectorAll('[data-field="' + field + '"]').forEach(function (el) { el.textContent = value; });
  }

  function applyZones(rec) {
    if (rec.undecided !== undefined) { setField(document, "undecided", rec.undecided); }
    (rec.zones || []).forEach(function (zone) {
      document.querySelectorAll('[data-zone="' + zone.id + '"]').forEach(function (el) {
        setField(el, "zone-occupancy", zone.occupancy);
        setField(el, "zone-unplaced", zone.unplaced || 0);
        setField(el, "zone-capacity", zone.capacity);
        var bar = el.querySelector(".bar > span");
        if (bar) {
          var share = zone.capacity > 0 ? Math.min(1, zone.occupancy / zone.capacity) : (zone.occupancy > 0 ? 1 : 0);
          bar.style.width = Math.round(share * 100) + "%";
          bar.parentNode.setAttribute("aria-label", Math.round(share * 100) + "%");
          // the zone's level in a word and a shape (the badge's class): the server's, by LEVEL_THRESHOLDS
          var level = zone.level || "vacant";
          setLevelClass(bar.parentNode, level);
          el.querySelectorAll('[data-field="zone-level"]').forEach(function (badge) {
            setWords(badge, levelWords(level));
            setLevelClass(badge, level);
          });
        }
      });
    });
  }

  function apply(rec, batch) {
    if (!rec || !rec.kyotsu_id) { return; }
    latest[rec.kyotsu_id] = rec;
    var level = shownLevel(rec);
    document.querySelectorAll('[data-kyotsu="' + rec.kyotsu_id + '"]').forEach(function (el) {
      setLevelClass(el, level);
      el.dataset.state = rec.state;
      setField(el, "occupancy", rec.occupancy);
      setField(el, "capacity", rec.capacity);
      if (rec.present !== undefined) { setField(el, "present", rec.present); }
      if (rec.desk) { setField(el, "pending", rec.desk.pending); setField(el, "outside", rec.desk.outside); }
      el.querySelectorAll('[data-field="label"]').forEach(function (badge) {
        setWords(badge, levelWords(level));
        setLevelClass(badge, level);
      });
      el.querySelectorAll('[data-field="updated"]').forEach(function (span) {
        span.dataset.updated = rec.updated_at || "";
        setWords(span, rec.state === "open" ? agoText(rec.updated_at) : "");
      });
      el.querySelectorAll('[data-field="basis"]').forEach(function (span) {
        setWords(span, WORDS ? WORDS.basis.replace("{m2}", rec.m2_per_person)
          : en ? "Basis: " + rec.m2_per_person + " m² per person" : "基準: 1人あたり" + rec.m2_per_person + " m²");
      });
      el.querySelectorAll('[data-field="level-words"]').forEach(function (span) {  // ja and en side by side
        span.textContent = LEVELS[level][0] + " / " + LEVELS[level][1];
      });
      if (rec.alert !== undefined) { el.classList.toggle("alert", !!rec.alert); }
      el.querySelectorAll('[data-field="state"]').forEach(function (badge) {
        setWords(badge, stateWords(rec.state));
        Array.prototype.slice.call(badge.classList).forEach(function (name) {
          if (name.indexOf("state-") === 0) { badge.classList.remove(name); }
        });
        badge.classList.add("state-" + rec.state);
      });
    });
    applyZones(rec);
    if (rec.alert !== undefined && !batch) { renderAlerts(); renderTotals(); }
  }

  function applyAll(records) {  // a snapshot: every shelter, then the alerts and totals once
    (records || []).forEach(function (rec) { apply(rec, true); });
    renderAlerts(); renderTotals();
  }

  function renderTotals() {
    var box = document.getElementById("hq-totals");
    if (!box) { return; }
    var open = 0, occ = 0, cap = 0, present = 0, full = 0;
    Object.keys(latest).forEach(function (k) {
      var r = latest[k];
      if (r.state !== "open") { return; }
      open += 1; occ += r.occupancy; cap += r.capacity; present += r.present || 0;
      if (r.level === "full") { full += 1; }
    });
    setField(box, "total-open", open);
    setField(box, "total-present", present);
    setField(box, "total-occupancy", occ);
    setField(box, "total-capacity", cap);
    setField(box, "total-full", full);
  }

  function renderAlerts() {
    var list = document.getElementById("alerts");
    if (!list) { return; }
    var items = Object.keys(latest).map(function (k) { return latest[k]; }).filter(function (r) { return r.alert; });
    list.textContent = "";
    items.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "notice error";
      var head = document.createElement("strong");
      head.textContent = (en && r.name_en ? r.name_en : r.name) + ": " + r.occupancy + " / " + r.capacity +
        " (" + t(LEVELS[r.level] || LEVELS.full) + ")";
      li.appendChild(head);
      var near = document.createElement("div");
      near.textContent = (en ? "Nearest open with space: " : "近くの空きのある開設避難所: ") + (r.nearest || []).map(function (n) {
        return (en && n.name_en ? n.name_en : n.name) + " " + n.km + " km (" + (en ? "free " : "空き") + n.free + ")";
      }).join(" / ");
      li.appendChild(near);
      list.appendChild(li);
    });
    var none = document.getElementById("alerts-none");
    if (none) { none.hidden = items.length > 0; }
  }

  function tick() {
    document.querySelectorAll('[data-field="updated"]').forEach(function (span) {
      var holder = span.closest("[data-state]");
      if (holder && holder.dataset.state === "open") { setWords(span, agoText(span.dataset.updated)); }
    });
    applyAll(Object.keys(latest).map(function (k) { return latest[k]; }));
  }

  var locate = document.querySelector("[data-geolocate]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var params = new URLSearchParams(window.location.search);
        params.set("lat", pos.coords.latitude.toFixed(5));
        params.set("lon", pos.coords.longitude.toFixed(5));
        window.location.search = params.toString();
      }, function () {
        var error = document.getElementById("locate-error");
        if (error) { error.hidden = false; }
      }, {timeout: 10000, maximumAge: 300000});
    });
  }

  setInterval(tick, 30000);
  if (!root || typeof io === "undefined") { return; }
  var socket = io({auth: {rooms: [root.dataset.liveRoom]}});
  socket.on("snapshot", function (data) { applyAll(data.shelters); });
  socket.on("occupancy", function (rec) { apply(rec); });
  socket.on("card_tap", function (result) {  // a reader on the server: the desk shows it (desk.js)
    document.dispatchEvent(new CustomEvent("shelter-ops:card-tap", {detail: result}));
  });
  socket.on("withdrawn", function (data) {  // HQ hid a shelter: it leaves the public screens at once
    document.querySelectorAll('[data-kyotsu="' + data.kyotsu_id + '"]').forEach(function (el) {
      if (el.classList.contains("display")) { el.hidden = true; } else { el.remove(); }
    });
  });
  socket.on("connect", function () { document.body.classList.remove("offline"); });
  socket.on("disconnect", function () { document.body.classList.add("offline"); });
}());
