/* The HQ workspace's script: follow the live feed (/hq/api/events) and update the page in
 * place, draw the live map, acknowledge alerts without a reload. No inline script (CSP), no
 * CDN: Leaflet is vendored. Positions arrive only for coordinators and admins (the server
 * filters the stream by role); this script never asks for them otherwise. */
"use strict";

(function () {
  const body = document.body;
  const csrf = body.dataset.csrf;
  const page = body.dataset.page;
  const status = document.getElementById("live-status");
  const announcer = document.getElementById("announcer");
  const markers = new Map();
  let map = null;

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "" : String(value);
    if (cls) el.className = cls;
    return el;
  }

  function announce(message) {
    if (announcer) announcer.textContent = message;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(url + ": " + response.status);
    return response.json();
  }

  /* -- alerts ------------------------------------------------------------------------------ */

  async function acknowledge(id, button) {
    button.disabled = true;
    const response = await fetch("/hq/api/alerts/" + id + "/acknowledge", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
    });
    const data = await response.json();
    if (!response.ok) {
      button.disabled = false;
      announce("Not acknowledged: " + data.message);
      return;
    }
    showAlert(data);
    announce("Alert " + id + " acknowledged");
  }

  function ackCell(alert) {
    const cell = text("td", "", "ack");
    if (alert.acknowledged) {
      cell.textContent = (alert.acknowledged_by || "yes") + " " + (alert.acknowledged_at || "");
    } else if (alert.id === undefined) {
      cell.textContent = "new: reload to acknowledge";
    } else if (body.dataset.role === "coordinator" || body.dataset.role === "admin") {
      const button = text("button", "Acknowledge");
      button.type = "button";
      button.setAttribute("aria-label", "Acknowledge alert " + alert.id + ": " + alert.kind);
      button.addEventListener("click", () => acknowledge(alert.id, button));
      cell.appendChild(button);
    } else {
      cell.textContent = "no";
    }
    return cell;
  }

  function alertRow(alert) {
    const row = document.createElement("tr");
    if (alert.id !== undefined) row.id = "alert-" + alert.id;
    if (alert.key) row.dataset.key = alert.key;
    row.className = "severity-" + alert.severity;
    for (const value of [alert.raised_at, alert.severity, alert.kind, alert.subject, alert.message]) {
      row.appendChild(text("td", value));
    }
    row.appendChild(text("td", alert.open ? "open" : "closed " + alert.closed_at));
    row.appendChild(ackCell(alert));
    return row;
  }

  /* The monitor's events carry key/summary/opened_at; the store's rows id/message/raised_at. */
  function normalise(a) {
    return Object.assign({}, a, {
      message: a.message || a.summary || "",
      raised_at: a.raised_at || a.opened_at || "",
      open: a.open !== undefined ? a.open : !a.closed_at,
      acknowledged: Boolean(a.acknowledged || a.acknowledged_by),
    });
  }

  function findRow(prefix, alert) {
    if (alert.id !== undefined && alert.id !== null) return document.getElementById(prefix + alert.id);
    return alert.key ? document.querySelector("[data-key=\"" + CSS.escape(alert.key) + "\"]" + (prefix === "alert-" ? "tr" : "li")) : null;
  }

  function showAlert(raw) {
    const alert = normalise(raw);
    const table = document.getElementById("alerts-body");
    if (table) {
      const old = findRow("alert-", alert);
      if (old) old.replaceWith(alertRow(alert));
      else if (document.getElementById("alerts-table").dataset.live === "true") table.prepend(alertRow(alert));
    }
    const list = document.getElementById("open-alerts");
    if (list) {
      const old = findRow("open-alert-", alert);
      if (old) old.remove();
      if (alert.open) {
        const item = text("li", alert.severity + " · " + alert.kind + " · " + (alert.subject || "") + ": " + alert.message, "severity-" + alert.severity);
        if (alert.id !== undefined) item.id = "open-alert-" + alert.id;
        if (alert.key) item.dataset.key = alert.key;
        list.prepend(item);
      }
    }
  }

  function enhanceAckForms() {
    for (const form of document.querySelectorAll("form.ack-form")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        acknowledge(form.dataset.alert, form.querySelector("button"));
      });
    }
  }

  /* -- map --------------------------------------------------------------------------------- */

  function showPosition(p) {
    const table = document.getElementById("positions");
    if (table) {
      const id = "position-" + p.device_id;
      const row = document.createElement("tr");
      row.id = id;
      row.appendChild(text("td", p.device_id));
      row.appendChild(text("td", (p.subject_kind || "unknown") + " " + (p.subject || "")));
      row.appendChild(text("td", p.fixed_at));
      const old = document.getElementById(id);
      if (old) old.replaceWith(row);
      else table.appendChild(row);
    }
    if (!map) return;
    const label = (p.subject_kind || "unknown tracker") + " " + (p.subject || p.device_id) + " at " + p.fixed_at;
    let marker = markers.get(p.device_id);
    if (marker) {
      marker.setLatLng([p.lat, p.lon]);
      marker.setTooltipContent(label);
    } else {
      marker = L.circleMarker([p.lat, p.lon], {
        radius: 7, color: p.subject_kind === "crew" ? "#7a3e00" : "#003a70", weight: 2, fillOpacity: 0.8,
      }).addTo(map);
      marker.bindTooltip(label);
      markers.set(p.device_id, marker);
    }
  }

  /* The corridor's band, route and posts in force on the day `at` (YYYY-MM-DD; HQ's default
   * day without it), as one layer group; `band` is the band's own layer, for fitting the view. */
  async function corridorLayers(at) {
    const query = at ? "?at=" + encodeURIComponent(at) : "";
    const layers = await getJSON("/api/v1/corridor" + query);
    const of = (name) => ({ type: "FeatureCollection", features: layers.features.filter((f) => f.properties.layer === name) });
    const group = L.featureGroup();
    const band = L.geoJSON(of("band"), { style: { color: "#1f5f99", weight: 1, fillOpacity: 0.12 } }).addTo(group);
    L.geoJSON(of("route"), { style: { color: "#1f5f99", weight: 2, dashArray: "4 4" } }).addTo(group);
    L.geoJSON(of("post"), {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 6, color: "#222", fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(f.properties.name || f.properties.id),
    }).addTo(group);
    return { group: group, band: band, day: layers.at };
  }

  /* Every crew's stored zone, each with a tooltip naming its crew. */
  async function zoneLayers() {
    const zones = await getJSON("/hq/api/zones");
    return L.geoJSON(zones, { style: { color: "#b35900", weight: 2, fillOpacity: 0.15 } })
      .eachLayer((layer) => layer.bindTooltip(layer.feature.properties.crew_id + ": " + layer.feature.properties.name));
  }

  async function drawMap() {
    const element = document.getElementById("map");
    if (!element || typeof L === "undefined") return;
    map = L.map("map", { zoomSnap: 0.25, keyboard: true });
    const corridor = await corridorLayers();
    corridor.group.addTo(map);
    (await zoneLayers()).addTo(map);
    map.fitBounds(corridor.band.getBounds(), { padding: [10, 10] });
    L.control.scale({ imperial: false }).addTo(map);
    element.dataset.ready = "true";
    if (element.dataset.positions === "true") {
      const found = await getJSON("/hq/api/positions");
      found.positions.forEach(showPosition);
    }
    const open = await getJSON("/hq/api/alerts?state=open&limit=100");
    open.alerts.reverse().forEach(showAlert);
  }

  /* -- live feed --------------------------------------------------------------------------- */

  function follow() {
    if (!status || typeof EventSource === "undefined") return;
    const source = new EventSource("/hq/api/events");
    source.addEventListener("hello", () => {
      status.textContent = "live";
      body.dataset.live = "connected";
    });
    source.addEventListener("alert", (event) => {
      const alert = JSON.parse(event.data);
      showAlert(alert);
      if (alert.change === "opened") announce("New " + alert.severity + " alert: " + alert.kind);
    });
    source.addEventListener("position", (event) => showPosition(JSON.parse(event.data)));
    source.addEventListener("sync", (event) => {
      const sync = JSON.parse(event.data);
      const cell = document.querySelector("#post-" + CSS.escape(sync.post) + " .last-sync");
      if (cell) cell.textContent = sync.at;
    });
    source.addEventListener("error", () => {
      status.textContent = "reconnecting…";
      body.dataset.live = "reconnecting";
    });
  }

  /* What other pages' scripts share (zone-draw.js); `maps` holds their maps by element id. */
  window.CorridorWorkspace = { getJSON: getJSON, announce: announce, corridorLayers: corridorLayers, zoneLayers: zoneLayers, maps: {} };

  document.addEventListener("DOMContentLoaded", () => {
    enhanceAckForms();
    follow();
    if (page === "map") drawMap().catch((error) => announce("The map could not load: " + error.message));
  });
})();
