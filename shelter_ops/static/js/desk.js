// The reception desk: keyboard-wedge scanner capture, scans without a page reload, count taps, live camera.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // A scanner "types" the code. Read the physical key (KeyboardEvent.code), never the character:
  // with the Japanese IME on, or a JIS layout, the characters come out garbled or as kana.
  var SHIFTED = {Semicolon: ":", Digit4: "$", Digit5: "%", Digit8: "*", Equal: "+", Slash: "/"};
  var PLAIN = {Minus: "-", NumpadSubtract: "-", Period: ".", NumpadDecimal: ".", Slash: "/", Space: " ",
               Equal: "=", NumpadAdd: "+", NumpadMultiply: "*", NumpadDivide: "/", Semicolon: ";"};
  function charFor(e) {
    var code = e.code || "";
    if (/^Key[A-Z]$/.test(code)) return code.charAt(3);
    if (/^Digit[0-9]$/.test(code)) return e.shiftKey ? (SHIFTED[code] || "") : code.charAt(5);
    if (/^Numpad[0-9]$/.test(code)) return code.charAt(6);
    if (e.shiftKey && SHIFTED[code]) return SHIFTED[code];
    return PLAIN[code] || "";
  }

  function post(url, body, accept) {
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRFToken": csrf, "Accept": accept || "application/json"}})
      .then(function (r) { return r.json(); });
  }

  function messageOf(result) {  // a reader on the server sends both languages; the desk's own scans one
    if (result.message) return result.message;
    return ((document.documentElement.lang || "ja") === "en" ? result.message_en : result.message_ja) || "";
  }

  function show(result) {
    var box = document.getElementById("result");
    if (!box) return;
    box.className = "scan-result result-" + result.result;
    var words = {ok: box.dataset.ok, already: box.dataset.already, unknown: box.dataset.unknown};
    var html = '<p class="result-words"></p><p class="result-detail"></p><p class="result-names"></p>';
    box.innerHTML = html;
    var icon = {ok: "✔ ", already: "● ", unknown: "✖ "}[result.result] || "";
    var card = result.card, message = messageOf(result);
    // a card's answer is a sentence saying what happened to whom ("山田 花子さん 退所しました")
    box.querySelector(".result-words").textContent = icon + (card || result.result !== "unknown" ? message : (words.unknown || ""));
    if (result.household) {
      var h = result.household;
      box.querySelector(".result-detail").textContent = h.number + " · " + h.people + " " + (box.dataset.people || "");
      if (!card) box.querySelector(".result-names").textContent = h.names.join("、");
    } else if (!card) {
      box.querySelector(".result-detail").textContent = message;
    }
    if (card && card.evacuee) {  // the same words in the person's own language, for them to read
      var own = document.createElement("p");
      own.className = "result-evacuee"; own.lang = card.evacuee.lang; own.textContent = card.evacuee.text;
      box.appendChild(own);
    }
    if (card && card.unknown) offerLink(box, card);
    (result.warnings || []).forEach(function (w) {
      var p = document.createElement("p"); p.className = "notice error"; p.textContent = w; box.appendChild(p);
    });
    if (result.counts) {  // the figures as the server has them now, not a sum kept on this tablet
      ["present", "pending", "outside"].forEach(function (key) {
        document.querySelectorAll('.desk-counts [data-field="' + key + '"]').forEach(function (el) {
          el.textContent = String(result.counts[key]);
        });
      });
    }
  }

  // What a card tap records at this desk (check in / out, or a pickup): kept per tablet.
  function cardMode() {
    var checked = document.querySelector('#card-modes input[name="mode"]:checked');
    return checked ? checked.value : "inout";
  }

  function offerLink(box, card) {  // an unknown card: link it here, from the holder's reception number
    var template = document.getElementById("card-offer-template");
    if (!template) return;
    var form = template.content.firstElementChild.cloneNode(true);
    form.action = card.link_url;
    form.querySelector('input[name="card"]').value = card.id;
    form.querySelectorAll("input[data-wedge]").forEach(wedgeInput);
    box.appendChild(form);
  }

  function scanCode(code) {
    var box = document.getElementById("scanbox");
    var body = new FormData();
    body.append("code", code);
    body.append("mode", cardMode());
    return post(box.dataset.scanUrl, body).then(show).catch(function () {
      show({result: "unknown", message: "⚠ " + (document.getElementById("result").dataset.network || "")});
    });
  }

  var scanbox = document.getElementById("scanbox");
  if (scanbox) {
    var buffer = "", timer = null;
    var shown = document.getElementById("scanbuffer");
    var flush = function () {
      clearTimeout(timer);
      var code = buffer.trim();
      buffer = ""; shown.textContent = "";
      if (code) scanCode(code);
    };
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (t && t !== scanbox && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName)) return;
      if (e.ctrlKey || e.altKey || e.metaKey) return;
      if (e.code === "Enter" || e.code === "NumpadEnter" || e.code === "Tab") {
        if (buffer) { e.preventDefault(); flush(); }
        return;
      }
      var ch = charFor(e);
      if (!ch) return;
      e.preventDefault();
      buffer += ch; shown.textContent = buffer;
      clearTimeout(timer);
      // scanners that send no Enter: a pause after a full code submits it
      timer = setTimeout(function () { if (buffer.replace(/[-\s]/g, "").length >= 7) flush(); }, 500);
    }, true);
    scanbox.focus();
    scanbox.addEventListener("click", function () { scanbox.focus(); });

    var manual = document.getElementById("manual");
    manual.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = manual.querySelector("input[name=code]");
      scanCode(input.value).then(function () { input.value = ""; scanbox.focus(); });
    });
    var modes = document.getElementById("card-modes");
    if (modes) {
      var key = "shelter-ops:card-mode:" + scanbox.dataset.scanUrl;
      var kept = null;
      try { kept = window.localStorage.getItem(key); } catch (err) { kept = null; }
      var keptInput = kept && modes.querySelector('input[value="' + kept + '"]');
      if (keptInput) keptInput.checked = true;
      var tapped = false;  // chosen with a finger or a mouse (not with the arrow keys)
      modes.addEventListener("pointerdown", function () { tapped = true; });
      modes.addEventListener("change", function () {
        try { window.localStorage.setItem(key, cardMode()); } catch (err) { /* private mode: not kept */ }
        // after a tap the reader types into the scan box, not into the radio buttons; a keyboard user
        // stays in the group, so the arrow keys go on choosing (WCAG 3.2.2: no jump on input)
        if (tapped) scanbox.focus();
        tapped = false;
      });
    }
    document.addEventListener("shelter-ops:card-tap", function (e) { show(e.detail); });

    var photo = document.getElementById("photo");
    photo.addEventListener("submit", function (e) {
      e.preventDefault();
      show({result: "already", message: "…"});
      post(photo.action, new FormData(photo)).then(show).then(function () { photo.reset(); scanbox.focus(); });
    });
  }

  // A field a card reader or a scanner types into (linking a card, a reception number): read the physical
  // keys as the scan box does, whatever the IME makes of them; Enter sends the field's form.
  function wedgeInput(input) {
    var buffer = input.value;
    input.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.altKey || e.metaKey) return;
      if (e.code === "Enter" || e.code === "NumpadEnter") {
        e.preventDefault();
        input.value = buffer;
        if (buffer.trim() && input.form) {
          if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
        }
        return;
      }
      var ch = charFor(e);
      if (!ch) return;
      e.preventDefault();
      buffer += ch; input.value = buffer;
    });
    input.addEventListener("input", function (e) {
      var kind = e.inputType || "";
      if (kind === "insertFromPaste" || kind.indexOf("delete") === 0) buffer = input.value;  // pasted or erased
      else input.value = buffer;  // what an IME composed from the keys: replaced by the keys themselves
    });
    input.addEventListener("compositionend", function () { input.value = buffer; });
  }
  document.querySelectorAll("input[data-wedge]").forEach(wedgeInput);

  // A refused form: its error summary takes the focus, so a screen reader reads it first (autofocus does too).
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) summary.focus();

  // The household form: "More people" reveals hidden person blocks instead of reloading the page.
  var more = document.getElementById("more-people");
  if (more) {
    more.addEventListener("click", function (e) {
      var hidden = document.querySelectorAll("fieldset.person[hidden]");
      if (!hidden.length) return;  // all shown: the link reloads with more
      e.preventDefault();
      for (var i = 0; i < Math.min(2, hidden.length); i++) hidden[i].hidden = false;
      hidden[0].querySelector("input").focus();
    });
  }

  // Count-only mode: one tap, one person, no reload.
  var grid = document.getElementById("count-grid");
  if (grid) {
    grid.addEventListener("click", function (e) {
      var button = e.target.closest("button[name=delta]");
      if (!button) return;
      e.preventDefault();
      var form = button.form, body = new FormData(form);
      body.append("delta", button.value);
      post(grid.dataset.url, body).then(function (r) {
        if (r.error) { alert(r.error.message); return; }
        document.getElementById("headtotal").textContent = r.total;
        document.getElementById("present").textContent = r.present;
        grid.querySelectorAll(".count-n").forEach(function (n) { n.textContent = r.groups[n.dataset.key] || 0; });
      });
    });
  }

  // Live camera: only in a secure context (HTTPS); the decoder's .wasm comes from this server.
  var camera = document.getElementById("camera");
  var start = document.getElementById("camera-start");
  if (camera && start && window.isSecureContext && window.BarcodeDetectionAPI && navigator.mediaDevices) {
    var api = window.BarcodeDetectionAPI;
    var wasm = camera.dataset.wasm;
    start.hidden = false;
    document.getElementById("camera-note").hidden = true;
    api.prepareZXingModule({overrides: {locateFile: function (path, prefix) {
      return path.endsWith(".wasm") ? wasm : prefix + path;
    }}});
    start.addEventListener("click", function () {
      var video = document.getElementById("camera-video");
      var detector = new api.BarcodeDetector({formats: ["qr_code"]});
      var last = "", lastAt = 0;
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
        video.srcObject = stream; video.hidden = false; video.play(); start.hidden = true;
        var tick = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              var text = codes[0].rawValue, now = Date.now();
              if (text !== last || now - lastAt > 3000) { last = text; lastAt = now; scanCode(text); }
            }
          }).catch(function () {}).then(function () { setTimeout(tick, 250); });
        };
        tick();
      }).catch(function (err) { camera.insertAdjacentText("beforeend", " " + err.name); });
    });
  }
})();
