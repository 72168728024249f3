// The post console: plate completion, keyboard shortcuts, cargo lines, permit codes (typed or
// scanned with the camera), live sync counts. The form works without this file; this only makes
// it faster. No inline script anywhere (the page's CSP forbids it).
"use strict";

(function () {
  const page = document.getElementById("console");
  const form = document.getElementById("passage-form");
  if (!page || !form) return;

  const $ = (id) => document.getElementById(id);
  const plate = $("plate");
  const vehicleClass = $("vehicle_class");
  const kind = $("kind");
  const reason = $("reason");
  const reasonKinds = (page.dataset.reasonKinds || "").split(" ");
  const normalise = (text) => text.normalize("NFKC").toUpperCase().replace(/[^\p{L}\p{N}]/gu, "");

  // -- focus: the field an error names, else the plate (after a save too) -----------------------
  const target = page.dataset.errorTarget && $(page.dataset.errorTarget);
  const first = target || plate;
  first.focus();
  if (first.select) first.select();
  if (window.location.search.includes("saved=")) {
    window.history.replaceState(null, "", "/console");
  }

  // -- plate completion from the registry pulled from HQ ---------------------------------------
  let classTouched = vehicleClass.value !== "";
  let lookup = 0;
  vehicleClass.addEventListener("change", () => { classTouched = true; });
  plate.addEventListener("input", () => {
    classTouched = false;
    const wanted = normalise(plate.value);
    const ticket = ++lookup;
    if (wanted.length < 2) return;
    fetch(`/console/api/vehicles?prefix=${encodeURIComponent(wanted)}`, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { vehicles: [] }))
      .then((data) => {
        if (ticket !== lookup) return;
        const list = $("plates");
        list.replaceChildren(...data.vehicles.map((v) => {
          const option = document.createElement("option");
          option.value = v.plate;
          option.label = v.vehicle_class;
          return option;
        }));
        const exact = data.vehicles.find((v) => normalise(v.plate) === normalise(plate.value));
        if (exact && !classTouched) vehicleClass.value = exact.vehicle_class;
      })
      .catch(() => {});
  });

  // -- a reason only for denials and turn-backs -------------------------------------------------
  const syncReason = () => {
    const needed = reasonKinds.includes(kind.value);
    reason.disabled = !needed;
    reason.required = needed;
    if (!needed) reason.value = "";
  };
  kind.addEventListener("change", syncReason);
  kind.addEventListener("input", syncReason);
  syncReason();

  // -- cargo lines ---------------------------------------------------------------------------
  const rows = $("cargo-rows");
  const renumber = () => {
    rows.querySelectorAll(".cargo-row").forEach((row, i) => {
      const [category, kg] = [row.querySelector("select"), row.querySelector("input")];
      const [categoryLabel, kgLabel] = row.querySelectorAll("label");
      category.id = `cargo-category-${i}`;
      kg.id = `cargo-kg-${i}`;
      categoryLabel.htmlFor = category.id;
      kgLabel.htmlFor = kg.id;
    });
  };
  const addCargo = () => {
    const row = $("cargo-row-template").content.firstElementChild.cloneNode(true);
    rows.appendChild(row);
    renumber();
    row.querySelector("select").focus();
  };
  const removeCargo = (row) => {
    if (!row) return;
    if (rows.querySelectorAll(".cargo-row").length === 1) {
      row.querySelector("select").value = "";
      row.querySelector("input").value = "";
      row.querySelector("select").focus();
      return;
    }
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    next.querySelector("select").focus();
  };
  $("add-cargo").addEventListener("click", addCargo);
  rows.addEventListener("click", (event) => {
    if (event.target.classList.contains("remove-cargo")) removeCargo(event.target.closest(".cargo-row"));
  });

  // -- keyboard: Enter saves from anywhere in the form, Alt+letter shortcuts -------------------
  let saving = false;
  form.addEventListener("submit", (event) => {
    if (saving) event.preventDefault();
    saving = true;
  });
  form.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (event.key === "Enter" && !event.altKey && !event.ctrlKey && tag === "SELECT") {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const choose = (select, value) => {
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const shortcuts = {
    KeyI: () => choose($("direction"), "inbound"),
    KeyO: () => choose($("direction"), "outbound"),
    KeyP: () => choose(kind, "passed"),
    KeyN: () => choose(kind, "inspected"),
    KeyD: () => { choose(kind, "denied"); reason.focus(); },
    KeyT: () => { choose(kind, "turned_back"); reason.focus(); },
    KeyA: () => choose(kind, "arrived"),
    KeyC: addCargo,
    KeyX: () => removeCargo(document.activeElement && document.activeElement.closest(".cargo-row")),
    KeyK: () => { $("permit-code").focus(); $("permit-code").select(); },
    KeyQ: () => startScan(),
  };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const action = shortcuts[event.code];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // -- permit codes: typed, pasted or scanned --------------------------------------------------
  const permitStatus = $("permit-status");
  const usePermit = (code) => {
    const wanted = code.trim();
    if (!wanted) return;
    fetch(`/console/api/permits/${encodeURIComponent(wanted)}`, { credentials: "same-origin" })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (!ok) {
          permitStatus.textContent = data.message || "Unknown permit.";
          return;
        }
        plate.value = data.plate;
        if (data.vehicle_class) vehicleClass.value = data.vehicle_class;
        classTouched = true;
        $("permit").value = data.code;
        permitStatus.textContent = `Permit ${data.code}: ${data.plate}, valid ${data.valid_from} to ${data.valid_to}.`;
        $("direction").focus();
      })
      .catch(() => { permitStatus.textContent = "Could not look the permit up."; });
  };
  $("permit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    usePermit($("permit-code").value);
  });

  const video = $("scan-video");
  const canvas = $("scan-canvas");
  const scanButton = $("scan");
  // The scan in progress, from asking for the camera until a code is read, Esc or a failure.
  // Only that scan may use the camera it gets: a second press while the camera opens (the
  // button, then Alt+Q) must neither open a second camera nor interrupt the first one's play(),
  // and Esc must also cancel a camera that is still opening.
  let scan = null;
  const stopScan = () => {
    if (scan && scan.stream) scan.stream.getTracks().forEach((track) => track.stop());
    scan = null;
    video.hidden = true;
  };
  const scanFrame = (current) => {
    if (scan !== current) return;
    if (video.readyState >= video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        stopScan();
        $("permit-code").value = code.data;
        usePermit(code.data);
        return;
      }
    }
    window.requestAnimationFrame(() => scanFrame(current));
  };
  function startScan() {
    if (scan || !navigator.mediaDevices || !window.jsQR) return;
    const current = { stream: null };
    scan = current;
    permitStatus.textContent = "Point the camera at the permit's QR code (Esc to stop).";
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then((media) => {
        if (scan !== current) {  // stopped while the camera was opening
          media.getTracks().forEach((track) => track.stop());
          return;
        }
        current.stream = media;
        video.srcObject = media;
        video.hidden = false;
        return video.play().then(() => window.requestAnimationFrame(() => scanFrame(current)));
      })
      .catch(() => {
        if (scan !== current) return;
        stopScan();
        permitStatus.textContent = "No camera available: type or paste the code.";
      });
  }
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanButton.hidden = false;
    scanButton.addEventListener("click", startScan);
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && scan) { stopScan(); permitStatus.textContent = ""; }
  });

  // -- sync counts, refreshed while the page is open -------------------------------------------
  const refresh = () => {
    fetch("/console/api/status", { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        $("pending").textContent = data.pending;
        $("synced").textContent = data.synced;
        $("last-sync").textContent = data.last_sync_at || "never";
      })
      .catch(() => {});
  };
  window.setInterval(refresh, 5000);
  document.body.dataset.ready = "console";
})();
