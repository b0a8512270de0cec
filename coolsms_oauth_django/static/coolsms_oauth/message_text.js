/* Live byte count and message type for MessageTextarea, by CoolSMS's rules (see sms.py):
   ASCII counts 1 byte, every other character 2; an SMS holds at most data-sms-max-bytes of
   code page 949 text, else the message is an LMS of at most data-lms-max-bytes. */
(function () {
  "use strict";
  var encodable = null;

  // Every character code page 949 holds: browsers decode "euc-kr" as code page 949.
  function codePage949() {
    if (encodable) { return encodable; }
    var bytes = [];
    for (var lead = 0x81; lead <= 0xfe; lead++) {
      for (var trail = 0x41; trail <= 0xfe; trail++) { bytes.push(lead, trail); }
    }
    encodable = new Set(new TextDecoder("euc-kr").decode(new Uint8Array(bytes)));
    return encodable;
  }

  function measure(text) {
    var size = 0, fits = true, set = codePage949();
    for (var ch of text) {
      if (ch.codePointAt(0) < 0x80) { size += 1; } else { size += 2; fits = fits && set.has(ch); }
    }
    return { bytes: size, fits: fits };
  }

  function update(area) {
    var counter = document.getElementById(area.id + "_counter");
    if (!counter) { return; }
    var smsMax = Number(area.dataset.smsMaxBytes), lmsMax = Number(area.dataset.lmsMaxBytes);
    var m = measure(area.value);
    var type = m.fits && m.bytes <= smsMax ? "SMS" : "LMS";
    var limit = type === "SMS" ? smsMax : lmsMax;
    counter.querySelector("[data-coolsms-bytes]").textContent = m.bytes.toLocaleString();
    counter.querySelector("[data-coolsms-limit]").textContent = limit.toLocaleString();
    counter.querySelector("[data-coolsms-type]").textContent = type;
    counter.classList.toggle("coolsms-too-long", m.bytes > limit);
  }

  function start() {
    document.querySelectorAll("textarea[data-coolsms-text]").forEach(function (area) {
      area.addEventListener("input", function () { update(area); });
      update(area);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
