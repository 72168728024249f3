/* The crews page's zone map: the corridor's band and route (workspace.js draws them), the zones
 * already stored, and Leaflet.draw's polygon tool. The drawn polygon becomes the form's GeoJSON
 * file (a File in the same <input type="file"> an upload uses), so HQ receives and checks a
 * drawing exactly as it does an uploaded file: one server path, one set of errors. The last
 * action wins: drawing replaces a chosen file, choosing a file removes the drawing. No inline
 * script (CSP); Leaflet and Leaflet.draw are vendored. */
"use strict";

(function () {
  const DRAWN_FILE = "drawn-zone.geojson";
  const DAY = /^(\d{4}-\d{2}-\d{2})/;

  /* Leaflet.draw 1.0.4 predates Leaflet 1.7, which renamed Polyline._flat to LineUtil.isFlat
   * and made the old name warn on the console at every edit: give it the new function. */
  function shimLeaflet() {
    if (L.LineUtil.isFlat) {
      L.Polyline._flat = L.LineUtil.isFlat;
      L.LineUtil._flat = L.LineUtil.isFlat;
    }
  }

  function setUp(element, shared) {
    shimLeaflet();
    const form = document.getElementById("zone-form");
    const input = document.getElementById("z-file");
    const from = document.getElementById("z-from");
    const status = document.getElementById("zone-drawn");
    const clear = document.getElementById("zone-clear");
    const dayLabel = document.getElementById("zone-map-day");
    const map = L.map(element, { zoomSnap: 0.25, keyboard: true });
    shared.maps[element.id] = map;
    const drawn = L.featureGroup().addTo(map);
    let corridor = null;
    let drawnFile = null;

    // The toolbar's buttons carry these as their titles and screen-reader text.
    L.drawLocal.draw.toolbar.buttons.polygon = "Draw the zone (click each corner)";
    L.drawLocal.edit.toolbar.buttons.edit = "Move the drawn zone's corners";
    L.drawLocal.edit.toolbar.buttons.editDisabled = "No zone drawn to edit";
    L.drawLocal.edit.toolbar.buttons.remove = "Delete the drawn zone";
    L.drawLocal.edit.toolbar.buttons.removeDisabled = "No zone drawn to delete";
    map.addControl(new L.Control.Draw({
      position: "topleft",
      draw: {
        polygon: {
          allowIntersection: false,
          showArea: false, // Leaflet.draw 1.0.4's area label throws under strict mode
          drawError: { color: "#9b1c1c", message: "A zone's edges may not cross" },
          shapeOptions: { color: "#7a3e00", weight: 3, fillOpacity: 0.2 },
        },
        polyline: false, rectangle: false, circle: false, marker: false, circlemarker: false,
      },
      edit: { featureGroup: drawn, remove: true, poly: { allowIntersection: false } },
    }));

    function polygon() {
      const layers = drawn.getLayers();
      return layers.length ? layers[0] : null;
    }

    /* The drawing (or its absence) into the file input and the status line. */
    function fill() {
      const layer = polygon();
      if (!layer) {
        if (drawnFile && input.files.length && input.files[0] === drawnFile) input.value = "";
        drawnFile = null;
        clear.hidden = true;
        status.textContent = "No zone drawn.";
        return;
      }
      const geometry = layer.toGeoJSON().geometry; // a Polygon, its ring closed, lon/lat
      drawnFile = new File([JSON.stringify(geometry)], DRAWN_FILE, { type: "application/geo+json" });
      const transfer = new DataTransfer();
      transfer.items.add(drawnFile);
      input.files = transfer.files;
      const corners = geometry.coordinates[0].length - 1;
      const km2 = L.GeometryUtil.geodesicArea(layer.getLatLngs()[0]) / 1e6;
      clear.hidden = false;
      status.textContent = "Drawn zone: " + corners + " corners, about " + km2.toFixed(km2 < 1 ? 3 : 1) +
        " km², ready to save (it replaces any file chosen).";
    }

    map.on(L.Draw.Event.CREATED, (event) => {
      drawn.clearLayers(); // a zone is one polygon: a new drawing replaces the old one
      drawn.addLayer(event.layer);
      fill();
    });
    // Edits count as soon as a corner moves (saving the form need not wait for the toolbar's
    // Save); Cancel puts the old corners back and ends the mode, so refill then too.
    const changes = [
      L.Draw.Event.EDITED, L.Draw.Event.EDITVERTEX, L.Draw.Event.EDITMOVE, L.Draw.Event.EDITSTOP,
      L.Draw.Event.DELETED, L.Draw.Event.DELETESTOP,
    ];
    map.on(changes.join(" "), fill);
    drawn.on("layerremove", fill);
    clear.addEventListener("click", () => {
      drawn.clearLayers();
      shared.announce("The drawn zone is removed.");
    });
    input.addEventListener("change", () => {
      // The user chose a file (a script setting .files fires no change event).
      if (input.files.length && input.files[0] !== drawnFile && polygon()) {
        drawnFile = null;
        drawn.clearLayers();
        status.textContent = "A file is chosen: the file will be saved, the drawing is removed.";
      }
    });
    form.addEventListener("submit", fill);

    /* The band in force on the day the zone starts (HQ's default day until one is given). */
    async function showCorridor(day) {
      const layers = await shared.corridorLayers(day);
      const first = corridor === null;
      if (corridor) corridor.group.remove();
      corridor = layers;
      corridor.group.addTo(map);
      corridor.group.bringToBack();
      dayLabel.textContent = layers.day;
      element.dataset.day = layers.day;
      if (first) map.fitBounds(layers.band.getBounds(), { padding: [10, 10] });
    }

    from.addEventListener("change", () => {
      const day = DAY.exec(from.value.trim());
      if (!day || day[1] === element.dataset.day) return;
      showCorridor(day[1]).catch(() => shared.announce("The map cannot show the band for " + day[1] + "."));
    });

    return (async () => {
      const day = DAY.exec(from.value.trim());
      await showCorridor(day ? day[1] : undefined);
      (await shared.zoneLayers()).addTo(map);
      drawn.bringToFront();
      L.control.scale({ imperial: false }).addTo(map);
      element.dataset.ready = "true";
    })();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const element = document.getElementById("zone-map");
    const shared = window.CorridorWorkspace;
    if (!element || !shared || typeof L === "undefined" || !L.Control.Draw) return;
    setUp(element, shared).catch((error) => shared.announce("The map could not load: " + error.message));
  });
})();
