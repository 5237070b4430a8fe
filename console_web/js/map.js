// The map: MapLibre GL JS from the maplibre wheel. Without a tile server it draws the city's
// streets from Tandem's own GeoJSON; with one (settings.tile_url) it shows its raster tiles.

const EMPTY = { type: "FeatureCollection", features: [] };

// A courier's look, the same on their lane's swatch, their route on the map and the legend: a
// colour from the palette (dark enough to read on the paper and on tiles), and past the
// palette's ten a dash pattern, so that every courier of the day has a look of their own however
// many there are (ten solid, ten dashed, ten long-short, ten in pairs, then runs of 3, 4, ...).
// Dashes are in units of the route's width (3 px), as MapLibre's line-dasharray counts them.
export const PALETTE = ["#0b5cad", "#8a4b00", "#17663a", "#6f42c1", "#a3151c", "#0a7d8c", "#b0306a", "#55600b", "#3d4852", "#c05000"];
const ROUTE_WIDTH = 3;
const DASHES = [null, [3, 1.5], [5, 1.5, 1, 1.5], [1.5, 1, 1.5, 3]];
export function dashOf(pattern) {
  if (pattern < DASHES.length) return DASHES[pattern];
  const run = Array.from({ length: pattern - 1 }, () => [1.5, 1]).flat();  // pattern - 1 dashes, then a gap
  run[run.length - 1] = 3;
  return run;
}
export function lookAt(index) {
  const i = Math.max(0, index);
  const pattern = Math.floor(i / PALETTE.length);
  return { colour: PALETTE[i % PALETTE.length], pattern, dash: dashOf(pattern), key: `${i % PALETTE.length}.${pattern}` };
}
// The look as a small line: a lane's swatch and a legend's line draw the same stroke as the map.
export function lookSwatch(look, className = "swatch") {
  const dash = look.dash ? ` stroke-dasharray="${look.dash.map((d) => d * ROUTE_WIDTH).join(" ")}"` : "";
  return `<svg class="${className}" width="30" height="8" viewBox="0 0 30 8" aria-hidden="true" focusable="false" data-look="${look.key}" data-colour="${look.colour}" data-dash="${(look.dash || []).join(" ")}">`
    + `<line x1="0" y1="4" x2="30" y2="4" stroke="${look.colour}" stroke-width="${ROUTE_WIDTH}"${dash}/></svg>`;
}

export class JobMap {
  // locale: MapLibre's own words in the reader's language ("Map.Title" labels the canvas for a
  // screen reader); relabel says them again when the language changes.
  constructor(container, { tileUrl, bounds, onSelect, locale = {} }) {
    if (!window.maplibregl) throw new Error("map library missing");
    const sources = {};
    const layers = [{ id: "paper", type: "background", paint: { "background-color": "#f2efe9" } }];
    if (tileUrl) {
      sources.tiles = { type: "raster", tiles: [tileUrl], tileSize: 256 };
      layers.push({ id: "tiles", type: "raster", source: "tiles" });
    }
    this.map = new maplibregl.Map({
      container,
      style: { version: 8, sources, layers },
      bounds: [[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
      fitBoundsOptions: { padding: 20 },
      attributionControl: { customAttribution: "© OpenStreetMap contributors" },
      locale,
    });
    this.locale = locale;
    this.data = {};  // what each layer shows now (read by the browser tests)
    this.markers = [];
    this.ready = new Promise((resolve) => this.map.on("load", resolve));
    this.ready.then(() => {
      const add = (id, source, layer) => {
        this.map.addSource(id, { type: "geojson", data: EMPTY });
        this.map.addLayer({ id, source: id, ...layer });
      };
      if (!tileUrl) add("streets", "streets", { type: "line", paint: { "line-color": "#b8b2a7", "line-width": 1 } });
      // routes: one layer per dash pattern (line-dasharray takes no per-feature value), added
      // as patterns come into use (setRoutes), all beneath the leg from a shared position
      this.map.addSource("routes", { type: "geojson", data: EMPTY });
      this.patterns = 0;
      this.addPatternLayer(0);
      // from a courier's shared position to their first planned stop: dots in their colour
      add("approach", "approach", {
        type: "line",
        layout: { "line-cap": "round" },
        paint: { "line-color": ["get", "colour"], "line-width": 4, "line-dasharray": [0, 2] },
      });
      // the selected job's path and its stops in ink, apart from the couriers' colours
      add("path", "path", { type: "line", paint: { "line-color": "#1b1f23", "line-width": 4, "line-dasharray": [2, 1] } });
      add("jobs", "jobs", {
        type: "circle",
        paint: {
          "circle-radius": ["case", ["get", "selected"], 8, 5],
          "circle-color": ["match", ["get", "kind"], "pickup", "#fff", "#1b1f23"],
          "circle-stroke-color": ["match", ["get", "kind"], "pickup", "#1b1f23", "#fff"],
          "circle-stroke-width": 2,
        },
      });
      this.map.on("click", "jobs", (e) => { const f = e.features?.[0]; if (f) onSelect(f.properties.job_id); });
      this.map.on("mouseenter", "jobs", () => { this.map.getCanvas().style.cursor = "pointer"; });
      this.map.on("mouseleave", "jobs", () => { this.map.getCanvas().style.cursor = ""; });
    });
  }

  async set(id, data) {
    this.data[id] = data;
    await this.ready;
    this.map.getSource(id)?.setData(data);
  }

  setStreets(geojson) { return this.set("streets", geojson); }

  setJobs(jobs, selected) {
    const features = [];
    for (const job of jobs) {
      for (const kind of ["pickup", "dropoff"]) {
        const place = job.request[kind];
        features.push({
          type: "Feature",
          geometry: { type: "Point", coordinates: [place.lon, place.lat] },
          properties: { job_id: job.id, kind, selected: job.id === selected },
        });
      }
    }
    return this.set("jobs", { type: "FeatureCollection", features });
  }

  // Couriers' last shared positions: [{lon, lat, colour, label}] (only ever shared with a job in
  // hand). A dot in the courier's colour and a label with their name and the position's age: a
  // position ten minutes old must not read as where they are now. (HTML markers: the map has no
  // font server for its own text.)
  setPositions(points) {
    for (const marker of this.markers) marker.remove();
    this.markers = points.map((p) => {
      const el = document.createElement("div");
      el.className = "map-position";
      const dot = document.createElement("span");
      dot.className = "dot";
      dot.style.background = p.colour;
      const text = document.createElement("span");
      text.className = "label";
      text.textContent = p.label;
      el.append(dot, text);
      el.dataset.courierId = p.courier_id;
      const marker = new maplibregl.Marker({ element: el, anchor: "left", offset: [-7, 0] }).setLngLat([p.lon, p.lat]).addTo(this.map);
      el.setAttribute("aria-label", p.label);  // who and how long ago, not MapLibre's "Map marker"
      return marker;
    });
    this.data.positions = points;
  }

  // Which look is whose route: one line per courier with a planned route, in the lanes' order;
  // then what the dots and the dashed lines are (symbols: [{kind: pickup|dropoff|path|approach, name}]).
  // The language changed: MapLibre reads its words once, so the labels it set are said again here.
  relabel(locale) {
    this.locale = locale;
    this.map.getCanvas().setAttribute("aria-label", locale["Map.Title"]);
    for (const button of this.map.getContainer().querySelectorAll(".maplibregl-ctrl-attrib-button")) {
      button.setAttribute("title", locale["AttributionControl.ToggleAttribution"]);
      button.setAttribute("aria-label", locale["AttributionControl.ToggleAttribution"]);
    }
  }

  setLegend(title, items, symbols = []) {
    if (!this.legend) {
      this.legend = document.createElement("details");
      this.legend.className = "map-legend";
      this.legend.open = items.length <= 8;  // a long one folds away (its title stays) and opens on a click
      this.legendTitle = document.createElement("summary");
      this.legendList = document.createElement("ul");
      this.legendSymbols = document.createElement("ul");
      this.legendSymbols.className = "legend-symbols";
      this.legend.append(this.legendTitle, this.legendList, this.legendSymbols);
      this.map.getContainer().append(this.legend);
    }
    this.legend.hidden = !items.length;
    this.legendTitle.textContent = title;
    const entry = (mark, name, courierId) => {
      const li = document.createElement("li");
      if (courierId) li.dataset.courierId = courierId;
      li.append(mark, document.createTextNode(name));
      return li;
    };
    const marks = symbols.map((symbol) => {
      const mark = document.createElement("span");
      mark.className = `legend-${symbol.kind}`;
      return entry(mark, symbol.name);
    });
    this.legendList.replaceChildren(...items.map((item) => {
      const line = document.createElement("span");
      line.className = "legend-line";
      line.innerHTML = lookSwatch(item.look, "look");
      return entry(line, item.name, item.courier_id);
    }));
    this.legendSymbols.replaceChildren(...marks);
  }

  // The layer that draws the routes of one dash pattern (filtered on the feature's pattern).
  addPatternLayer(pattern) {
    const dash = dashOf(pattern);
    this.map.addLayer({
      id: pattern ? `routes-${pattern}` : "routes", type: "line", source: "routes",
      filter: ["==", ["get", "pattern"], pattern],
      layout: { "line-join": "round", "line-cap": dash ? "butt" : "round" },
      paint: { "line-color": ["get", "colour"], "line-width": ROUTE_WIDTH, "line-opacity": 0.85, ...(dash ? { "line-dasharray": dash } : {}) },
    }, this.map.getLayer("approach") ? "approach" : undefined);
    this.patterns = pattern + 1;
  }

  // Route features carry their courier's look (properties colour and pattern).
  async setRoutes(lines) {
    this.data.routes = { type: "FeatureCollection", features: lines };
    await this.ready;
    const most = Math.max(0, ...lines.map((l) => l.properties.pattern || 0));
    while (this.patterns <= most) this.addPatternLayer(this.patterns);
    return this.set("routes", this.data.routes);
  }

  // Legs from couriers' fresh shared positions to their first planned stop.
  setApproach(lines) { return this.set("approach", { type: "FeatureCollection", features: lines }); }

  setPath(feature) { return this.set("path", feature || EMPTY); }

  // Bring the job into view, only if it is not already in view (no re-zoom while moving in the list).
  // "In view" is the frame less a 10 px margin: a stop on the very edge counts as off screen.
  focus(job) {
    const a = job.request.pickup, b = job.request.dropoff;
    const { clientWidth: w, clientHeight: h } = this.map.getContainer();
    const inside = (p) => { const xy = this.map.project([p.lon, p.lat]); return xy.x >= 10 && xy.y >= 10 && xy.x <= w - 10 && xy.y <= h - 10; };
    if (inside(a) && inside(b)) return;
    this.map.fitBounds([[Math.min(a.lon, b.lon), Math.min(a.lat, b.lat)], [Math.max(a.lon, b.lon), Math.max(a.lat, b.lat)]],
      { padding: 60, maxZoom: 16, duration: 300 });
  }
}
