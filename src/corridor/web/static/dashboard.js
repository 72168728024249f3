/* The public dashboard: fetch the JSON API and draw the map, the charts and the table.
 *
 * No inline handlers, no innerHTML with data (text goes in through textContent), no external
 * resources: Leaflet and Chart.js are vendored under static/vendor/. When a part is drawn its
 * name is added to <body data-ready="...">, which the browser test waits for.
 */
"use strict";

(function () {
  const body = document.body;
  const API = body.dataset.api || "api/v1";
  const LANG = document.documentElement.lang || "en";
  const numbers = new Intl.NumberFormat(LANG);
  const tonnes = new Intl.NumberFormat(LANG, { maximumFractionDigits: 1 });
  // The page's words, translated on the server (pages/dashboard.py, script_messages).
  const MESSAGES = JSON.parse(document.getElementById("messages").textContent);

  function t(key, values) {
    return MESSAGES[key].replace(/\{(\w+)\}/g, (_m, name) => String(values[name]));
  }

  // One colour per vehicle class / cargo category, in vocabulary order (docs/data-model.md).
  const PALETTE = ["#2f6f9f", "#e07b39", "#3f9b5f", "#c0392b", "#8e6cb8", "#8c6d3f", "#d4a017"];

  function markReady(part) {
    const parts = new Set((body.dataset.ready || "").split(" ").filter(Boolean));
    parts.add(part);
    body.dataset.ready = Array.from(parts).sort().join(" ");
  }

  function showError(message) {
    const box = document.getElementById("load-error");
    box.textContent = message;
    box.hidden = false;
  }

  async function getJSON(path) {
    const response = await fetch(API + "/" + path, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        detail = (await response.json()).message || detail;
      } catch (_) {
        /* not JSON: keep the status text */
      }
      throw new Error(path + ": " + response.status + " " + detail);
    }
    return response.json();
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // The log's codes (turned_back, humanitarian_other, ...) in the reader's language
  // (web/labels.py); a code without a label (a newer log) shows as the code.
  const LABELS = JSON.parse(document.getElementById("labels").textContent);

  function label(vocabulary, code) {
    return (LABELS[vocabulary] || {})[code] || String(code);
  }

  // -- headline figures ------------------------------------------------------------------------

  function drawTiles(summary) {
    const passed = summary.passages.passed || { inbound: 0, outbound: 0 };
    const people = Object.values(summary.people).reduce((a, b) => a + b, 0);
    const cargo = Object.values(summary.cargo_tonnes).reduce((a, b) => a + b, 0);
    const denials = Object.values(summary.denials_by_reason).reduce((a, b) => a + b, 0);
    const set = (id, text) => (document.getElementById(id).textContent = text);
    set("tile-events", numbers.format(summary.events));
    set("tile-inbound", numbers.format(passed.inbound));
    set("tile-outbound", numbers.format(passed.outbound));
    set("tile-people", numbers.format(people));
    set("tile-returnees", numbers.format(summary.returnees_cumulative));
    set("tile-cargo", tonnes.format(cargo));
    set("tile-denials", numbers.format(denials));
    if (summary.first_day) {
      const range = summary.first_day === summary.last_day
        ? summary.first_day
        : t("day_range", { first: summary.first_day, last: summary.last_day });
      document.getElementById("period").textContent = t("data_range", { range: range });
    }
    markReady("tiles");
  }

  // -- map -------------------------------------------------------------------------------------

  function postPopup(props) {
    const box = element("div");
    box.appendChild(element("div", "popup-title", props.label));
    const kind = props.kind === "checkpoint" ? t("checkpoint", {}) : t("observation", {});
    box.appendChild(element("div", null, t("post_of_kind", { id: props.id, kind: kind })));
    box.appendChild(
      element("div", null, t("chainage", { km: tonnes.format(props.chainage_m / 1000) }))
    );
    if (!props.in_band) box.appendChild(element("div", null, t("outside_band", {})));
    return box;
  }

  function routePopup(props) {
    const box = element("div");
    box.appendChild(
      element("div", "popup-title", t("route_version", { version: props.route_version }))
    );
    const period = props.effective_to
      ? t("in_force_until", { from: props.effective_from, to: props.effective_to })
      : t("in_force_from", { from: props.effective_from });
    box.appendChild(element("div", null, period));
    box.appendChild(element("div", null, t("length_km", { km: tonnes.format(props.length_m / 1000) })));
    if (props.description) box.appendChild(element("p", null, props.description));
    return box;
  }

  function bandPopup(props) {
    const box = element("div");
    box.appendChild(element("div", "popup-title", props.corridor_label));
    box.appendChild(element("div", null, t("band_width", { km: tonnes.format(props.width_m / 1000) })));
    return box;
  }

  function drawMap(layers) {
    const map = L.map("map", { zoomSnap: 0.25, scrollWheelZoom: false });
    const byLayer = (name) => ({
      type: "FeatureCollection",
      features: layers.features.filter((f) => f.properties.layer === name),
    });
    const band = L.geoJSON(byLayer("band"), {
      style: { className: "corridor-band", color: "#2f6f9f", weight: 1, fillOpacity: 0.15 },
      onEachFeature: (feature, layer) => layer.bindPopup(bandPopup(feature.properties)),
    }).addTo(map);
    L.geoJSON(byLayer("route"), {
      style: { className: "corridor-route", color: "#1f2933", weight: 3 },
      onEachFeature: (feature, layer) => layer.bindPopup(routePopup(feature.properties)),
    }).addTo(map);
    L.geoJSON(byLayer("post"), {
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, {
          className: "corridor-post post-" + feature.properties.kind,
          radius: feature.properties.kind === "checkpoint" ? 8 : 6,
          color: "#ffffff",
          weight: 2,
          fillColor: feature.properties.kind === "checkpoint" ? "#c0392b" : "#e07b39",
          fillOpacity: 1,
        }),
      onEachFeature: (feature, layer) => {
        layer.bindPopup(postPopup(feature.properties));
        layer.bindTooltip(element("span", null, feature.properties.label), {
          className: "post-label",
          direction: "right",
          offset: [8, 0],
        });
      },
    }).addTo(map);
    map.fitBounds(band.getBounds(), { padding: [12, 12] });
    L.control.scale({ imperial: false }).addTo(map);
    document.getElementById("map-caption").textContent = t("map_caption", {
      version: routeVersion(layers),
      day: layers.at,
    });
    markReady("map");
  }

  function routeVersion(layers) {
    const route = layers.features.find((f) => f.properties.layer === "route");
    return route ? route.properties.route_version : "?";
  }

  // -- charts ----------------------------------------------------------------------------------

  const chartOptions = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
  };

  function drawDaily(counts) {
    const days = counts.days.map((d) => d.day);
    const directions = ["inbound", "outbound"];
    const classes = counts.days.length
      ? Object.keys(counts.days[0].passed.inbound)
      : [];
    const datasets = [];
    directions.forEach((direction) => {
      classes.forEach((vehicleClass, n) => {
        datasets.push({
          label: t("class_direction", {
            class: label("vehicle_classes", vehicleClass),
            direction: label("directions", direction),
          }),
          vehicleClass: vehicleClass,
          data: counts.days.map((d) => d.passed[direction][vehicleClass]),
          backgroundColor: PALETTE[n % PALETTE.length] + (direction === "inbound" ? "" : "99"),
          stack: direction,
        });
      });
    });
    const chart = new Chart(document.getElementById("chart-daily"), {
      type: "bar",
      data: { labels: days, datasets: datasets },
      options: Object.assign({}, chartOptions, {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: t("vehicles", {}) } },
        },
        plugins: {
          legend: {
            labels: {
              // One legend entry per class; clicking it shows or hides both directions.
              filter: (item, data) => data.datasets[item.datasetIndex].stack === "inbound",
              generateLabels: (c) =>
                Chart.defaults.plugins.legend.labels.generateLabels(c).map((item) =>
                  Object.assign(item, {
                    text: label("vehicle_classes", c.data.datasets[item.datasetIndex].vehicleClass),
                  })
                ),
            },
            onClick: (_event, item, legend) => {
              const target = legend.chart.data.datasets[item.datasetIndex].vehicleClass;
              legend.chart.data.datasets.forEach((dataset, index) => {
                if (dataset.vehicleClass === target) {
                  const meta = legend.chart.getDatasetMeta(index);
                  meta.hidden = meta.hidden === null ? true : !meta.hidden;
                }
              });
              legend.chart.update();
            },
          },
        },
      }),
    });
    return chart;
  }

  function drawReturnees(returnees) {
    return new Chart(document.getElementById("chart-returnees"), {
      type: "line",
      data: {
        labels: returnees.days.map((d) => d.day),
        datasets: [
          {
            label: t("returnees_cumulative", {}),
            data: returnees.days.map((d) => d.cumulative),
            borderColor: "#3f9b5f",
            backgroundColor: "#3f9b5f33",
            fill: true,
            tension: 0.1,
          },
        ],
      },
      options: Object.assign({}, chartOptions, {
        scales: { y: { beginAtZero: true, title: { display: true, text: t("people", {}) } } },
      }),
    });
  }

  function drawCargo(cargo) {
    const categories = Object.keys(cargo.by_category_tonnes);
    return new Chart(document.getElementById("chart-cargo"), {
      type: "bar",
      data: {
        labels: categories.map((c) => label("cargo", c)),
        datasets: [
          {
            label: t("tonnes", {}),
            data: categories.map((c) => cargo.by_category_tonnes[c]),
            backgroundColor: categories.map((_, n) => PALETTE[n % PALETTE.length]),
          },
        ],
      },
      options: Object.assign({}, chartOptions, {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: { display: true, text: t("tonnes", {}) } } },
      }),
    });
  }

  // -- latest passages -------------------------------------------------------------------------

  let nextBefore = null;

  function passageRow(p) {
    const row = document.createElement("tr");
    const people = p.people.residents + p.people.returnees + p.people.crew + p.people.other;
    const cells = [
      [p.log_index, "num"],
      [p.observed_at.replace("T", " ").replace("Z", ""), null],
      [p.post, null],
      [label("kinds", p.kind), null],
      [label("directions", p.direction), null],
      [label("vehicle_classes", p.vehicle_class), null],
      [p.vehicle.slice(0, 12) + "…", "mono"],
      [numbers.format(people), "num"],
      [numbers.format(p.cargo_kg), "num"],
      [p.reason ? label("reasons", p.reason) : "", null],
      [p.convoy || "", null],
    ];
    cells.forEach(([text, className]) => row.appendChild(element("td", className, text)));
    row.children[6].title = p.vehicle;
    return row;
  }

  async function loadPassages() {
    const query = "passages?limit=25" + (nextBefore === null ? "" : "&before=" + nextBefore);
    const page = await getJSON(query);
    const tbody = document.querySelector("#passages tbody");
    page.passages.forEach((p) => tbody.appendChild(passageRow(p)));
    nextBefore = page.next_before;
    document.getElementById("more-passages").hidden = nextBefore === null;
    markReady("passages");
  }

  // -- start -----------------------------------------------------------------------------------

  async function start() {
    Chart.defaults.font.family = getComputedStyle(body).fontFamily;
    document.getElementById("more-passages").addEventListener("click", () => {
      loadPassages().catch((error) => showError(t("load_error", { detail: error.message })));
    });
    const [summary, layers, counts, returnees, cargo] = await Promise.all([
      getJSON("summary"),
      getJSON("corridor"),
      getJSON("counts/daily"),
      getJSON("returnees"),
      getJSON("cargo"),
    ]);
    drawTiles(summary);
    drawMap(layers);
    drawDaily(counts);
    drawReturnees(returnees);
    drawCargo(cargo);
    markReady("charts");
    await loadPassages();
  }

  document.addEventListener("DOMContentLoaded", () => {
    start().catch((error) => {
      showError(t("load_error", { detail: error.message }));
      console.error(error);
    });
  });
})();
