// The map: MapLibre GL JS from the maplibre wheel. Without a tile server it draws the city's
// streets from Tandem's own GeoJSON; with one (settings.tile_url) it shows its raster tiles.

const EMPTY = { type: "FeatureCollection", features: [] };

export class JobMap {
  constructor(container, { tileUrl, bounds, onSelect }) {
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
    });
    this.data = {};  // what each layer shows now (read by the browser tests)
    this.markers = [];
    this.ready = new Promise((resolve) => this.map.on("load", resolve));
    this.ready.then(() => {
      const add = (id, source, layer) => {
        this.map.addSource(id, { type: "geojson", data: EMPTY });
        this.map.addLayer({ id, source: id, ...layer });
      };
      if (!tileUrl) add("streets", "streets", { type: "line", paint: { "line-color": "#b8b2a7", "line-width": 1 } });
      add("routes", "routes", {
        type: "line",
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": ["get", "colour"], "line-width": 3, "line-opacity": 0.8 },
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
      return new maplibregl.Marker({ element: el, anchor: "left", offset: [-7, 0] }).setLngLat([p.lon, p.lat]).addTo(this.map);
    });
    this.data.positions = points;
  }

  // Which colour is whose route: one line per courier with a planned route, in the lanes' order;
  // then what the dots and the dashed line are (symbols: [{kind: pickup|dropoff|path, name}]).
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
      line.style.background = item.colour;
      return entry(line, item.name, item.courier_id);
    }));
    this.legendSymbols.replaceChildren(...marks);
  }

  setRoutes(lines) { return this.set("routes", { type: "FeatureCollection", features: lines }); }

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
