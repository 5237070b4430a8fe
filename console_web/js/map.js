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
    this.ready = new Promise((resolve) => this.map.on("load", resolve));
    this.ready.then(() => {
      const add = (id, source, layer) => {
        this.map.addSource(id, { type: "geojson", data: EMPTY });
        this.map.addLayer({ id, source: id, ...layer });
      };
      if (!tileUrl) add("streets", "streets", { type: "line", paint: { "line-color": "#b8b2a7", "line-width": 1 } });
      add("routes", "routes", { type: "line", paint: { "line-color": ["get", "colour"], "line-width": 2, "line-opacity": 0.7 } });
      add("path", "path", { type: "line", paint: { "line-color": "#0b5cad", "line-width": 4 } });
      add("positions", "positions", {
        type: "circle",
        paint: { "circle-radius": 7, "circle-color": ["get", "colour"], "circle-stroke-color": "#fff", "circle-stroke-width": 3 },
      });
      add("jobs", "jobs", {
        type: "circle",
        paint: {
          "circle-radius": ["case", ["get", "selected"], 8, 5],
          "circle-color": ["match", ["get", "kind"], "pickup", "#0b5cad", "#17663a"],
          "circle-stroke-color": "#fff",
          "circle-stroke-width": 1.5,
        },
      });
      this.map.on("click", "jobs", (e) => { const f = e.features?.[0]; if (f) onSelect(f.properties.job_id); });
      this.map.on("mouseenter", "jobs", () => { this.map.getCanvas().style.cursor = "pointer"; });
      this.map.on("mouseleave", "jobs", () => { this.map.getCanvas().style.cursor = ""; });
    });
  }

  async set(id, data) {
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

  // Couriers' last shared positions: [{lon, lat, colour}] (only ever shared with a job in hand).
  setPositions(points) {
    return this.set("positions", {
      type: "FeatureCollection",
      features: points.map((p) => ({ type: "Feature", geometry: { type: "Point", coordinates: [p.lon, p.lat] }, properties: { colour: p.colour } })),
    });
  }

  setRoutes(lines) { return this.set("routes", { type: "FeatureCollection", features: lines }); }

  setPath(feature) { return this.set("path", feature || EMPTY); }

  // Bring the job into view, only if it is not already in view (no re-zoom while moving in the list).
  focus(job) {
    const a = job.request.pickup, b = job.request.dropoff;
    const view = this.map.getBounds();
    if (view.contains([a.lon, a.lat]) && view.contains([b.lon, b.lat])) return;
    this.map.fitBounds([[Math.min(a.lon, b.lon), Math.min(a.lat, b.lat)], [Math.max(a.lon, b.lon), Math.max(a.lat, b.lat)]],
      { padding: 60, maxZoom: 16, duration: 300 });
  }
}
