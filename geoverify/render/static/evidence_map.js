/* geoverify evidence map: draws the frames embedded in the page's data.
 *
 * Every value that came from a claims file is put into the page with
 * textContent / setAttribute / createElement, never as HTML. Popups are
 * built when a marker is clicked. Only http(s) URLs become links. Values
 * read from the URL hash are only ever used as lookups (a clip name that
 * must exist, verdicts that must exist, numbers that must be finite).
 *
 * Frames are clustered by the page itself on a pixel grid at every zoom
 * (no marker per frame is created up front), so that each cluster can show
 * its mix of verdicts and 100 000 frames stay interactive.
 */
(function () {
  "use strict";

  // ---- small helpers -----------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function svgEl(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  function safeHttpUrl(value) {
    if (typeof value !== "string") { return null; }
    var text = value.trim();
    if (!/^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i.test(text)) { return null; }
    try {
      var url = new URL(text);
      if ((url.protocol === "http:" || url.protocol === "https:") && url.host) { return url.href; }
    } catch (e) { /* not a URL: shown as text */ }
    return null;
  }

  function formatDistance(metres) {
    if (metres === null || metres === undefined || !isFinite(metres)) { return null; }
    if (Math.abs(metres) < 1000) { return metres.toFixed(metres % 1 === 0 ? 0 : 1) + " m"; }
    return (metres / 1000).toFixed(metres < 100000 ? 2 : 1) + " km";
  }

  function isoDate(value) {
    if (typeof value !== "string") { return null; }
    var m = /^\s*(\d{4}-\d{2}-\d{2})/.exec(value);
    return m ? m[1] : null;
  }

  function own(table, key) {
    // lookups keyed by data: "constructor" or "__proto__" must not reach Object.prototype
    return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
  }

  function placeText(place) {
    if (place === null || place === undefined) { return null; }
    if (typeof place !== "object") { return String(place); }
    var name = place.name, code = place.code;
    if (name && code && name !== code) { return name + " (" + code + ")"; }
    return name || code || null;
  }

  function objectText(value) {
    if (value === null || value === undefined) { return null; }
    if (typeof value !== "object") { return String(value); }
    var parts = [];
    Object.keys(value).forEach(function (key) {
      var v = value[key];
      if (v === null || v === undefined) { return; }
      parts.push(key + ": " + (typeof v === "object" ? JSON.stringify(v) : String(v)));
    });
    return parts.join(", ");
  }

  // decode [x0, y0, dx, dy, ...] micro-degrees into Leaflet [lat, lon] pairs
  function decodeRing(flat) {
    var out = new Array(flat.length / 2), x = 0, y = 0;
    for (var k = 0, j = 0; k < flat.length; k += 2, j++) {
      x += flat[k]; y += flat[k + 1];
      out[j] = [y / 1e6, x / 1e6];
    }
    return out;
  }

  // the page's data: JSON, gzip-compressed and base64-encoded
  function readData(node) {
    var format = node.getAttribute("data-encoding");
    var text = node.textContent;
    if (format !== "gzip+base64") { return Promise.resolve(JSON.parse(text)); }
    var bin = atob(text.replace(/\s+/g, ""));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  // Web Mercator in [0, 1] (Leaflet's EPSG:3857 pixel space divided by 256 * 2^zoom)
  function mercX(lon) { return (lon + 180) / 360; }
  function mercY(lat) {
    var s = Math.sin(Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  // ---- the map -------------------------------------------------------------

  function init(map, dataElementId) {
    var node = document.getElementById(dataElementId);
    var container = map.getContainer();
    container.classList.add("gv-map", "gv-loading");
    return readData(node).then(function (data) { return start(map, data); }).catch(function (err) {
      var status = document.getElementById("gv-status");
      if (status) { status.textContent = "The map could not be drawn: " + err; }
      throw err;
    });
  }

  function start(map, data) {
    var n = data.n;
    var cols = data.columns;
    var style = data.style;
    var unit = data.distanceUnit;
    var V = data.verdicts.length;
    var container = map.getContainer();

    // coded columns: constant, direct, or dictionary + indexes
    function get(col, i) {
      if (col.k === "c") { return col.v; }
      if (col.k === "d") { return col.v[i]; }
      return col.s[col.v[i]];
    }
    function str(col, i) { var v = get(col, i); return v === undefined ? null : v; }
    var obj = str;
    function coordsText(i) {
      var t = str(cols.coordinates_text, i);
      return t === 0 ? String(cols.lat[i]) + ", " + String(cols.lon[i]) : t;
    }
    function distance(col, i) {
      var d = col ? col[i] : null;
      return d === null || d === undefined ? null : d * unit;
    }
    function rowOf(i) { return cols.row ? cols.row[i] : i + 1; }
    function verdictOf(i) { return data.verdicts[cols.verdict[i]]; }
    function clipName(c) { var name = data.clips[c]; return name === null ? data.noClipName : name; }
    function colourOfIndex(v) { return own(style.verdictColours, data.verdicts[v]) || style.unknownColour; }

    // -- panes: fills under region lines under claimed under borders under labels under markers
    function pane(name, z, cls) {
      var p = map.createPane(name);
      p.style.zIndex = String(z);
      if (cls) { p.classList.add(cls); }
      return name;
    }
    pane("gvCountries", 310);
    pane("gvRegions", 320);
    pane("gvClaimed", 330);
    pane("gvBorders", 340);
    pane("gvLabels", 350, "gv-label-pane");
    pane("gvFrames", 620);
    var renderers = {};
    ["gvCountries", "gvRegions", "gvClaimed", "gvBorders"].forEach(function (p) {
      renderers[p] = L.canvas({ pane: p, padding: 0.3 });
    });

    // -- boundaries (display only; exact near the frames, simplified further away)
    var geo = data.geo;
    function latlngsOf(polys) {
      return polys.map(function (rings) { return rings.map(decodeRing); });
    }
    // Outlines without the edges of the detailed area: the polygons are cut there,
    // and a cut is not a border (no line may run along the cut).
    var ext = geo.extent;
    // The zones of detail are unions of grid cells (geo.zones.near degrees; the mid cells are
    // multiples of it): a piece of outline that runs exactly along a grid line is where a
    // region was cut between two levels of detail, never a drawn border.
    var cell = (geo.zones && geo.zones.near) || 0;
    function onGrid(v) {
      if (!cell) { return false; }
      var q = v / cell;
      return Math.abs(q - Math.round(q)) < 1e-5;
    }
    function onCut(a, b) {
      if (!ext) { return false; }
      var e = 1e-6;
      function same(u, v, w) { return Math.abs(u - w) < e && Math.abs(v - w) < e; }
      if (same(a[1], b[1], ext[0]) || same(a[1], b[1], ext[2]) || same(a[0], b[0], ext[1]) || same(a[0], b[0], ext[3])) {
        return true;
      }
      return (Math.abs(a[1] - b[1]) < e && onGrid(a[1])) || (Math.abs(a[0] - b[0]) < e && onGrid(a[0]));
    }
    function outlineOf(ll) {
      var lines = [];
      ll.forEach(function (rings) {
        rings.forEach(function (ring) {
          var current = [];
          for (var k = 0; k < ring.length; k++) {
            var a = ring[k], b = ring[(k + 1) % ring.length];
            if (onCut(a, b)) {
              if (current.length > 1) { lines.push(current); }
              current = [];
              continue;
            }
            if (!current.length) { current.push(a); }
            current.push(b);
          }
          if (current.length > 1) { lines.push(current); }
        });
      });
      return lines;
    }
    // with a tile basemap the fills are a light wash, so the tiles show through
    var fillOpacity = data.hasTiles ? 0.3 : 1;
    (geo.backdrop || []).forEach(function (b) {
      var ll = latlngsOf(b.polys);
      L.polygon(ll, { pane: "gvCountries", renderer: renderers.gvCountries, interactive: false, stroke: false,
        fillColor: b.fill, fillOpacity: data.hasTiles ? 0 : 1 }).addTo(map);
    });
    var regionShapes = geo.regions.map(function (r) { return { r: r, ll: latlngsOf(r.polys) }; });
    regionShapes.forEach(function (s) {
      L.polygon(s.ll, { pane: "gvCountries", renderer: renderers.gvCountries, interactive: false, stroke: false,
        fillColor: s.r.fill, fillOpacity: fillOpacity }).addTo(map);
    });
    regionShapes.forEach(function (s) {
      if (s.r.stroke === false) { return; }
      L.polyline(outlineOf(s.ll), { pane: "gvRegions", renderer: renderers.gvRegions, interactive: false,
        color: s.r.level === "adm0" ? "#9a9a9a" : style.regionLine, weight: 1, opacity: 0.9 }).addTo(map);
    });
    if (geo.thinBorders && geo.thinBorders.length) {
      // land borders away from the frames (coarse): thin, so the detail never ends at an edge
      L.polyline(geo.thinBorders.map(decodeRing), { pane: "gvRegions", renderer: renderers.gvRegions,
        interactive: false, color: "#6f6f6f", weight: 1.1, opacity: 0.9 }).addTo(map);
    }
    if (geo.borders.length) {
      var borderLines = geo.borders.map(decodeRing);
      L.polyline(borderLines, { pane: "gvBorders", renderer: renderers.gvBorders, interactive: false,
        color: "#ffffff", weight: 6, opacity: 0.85 }).addTo(map);
      L.polyline(borderLines, { pane: "gvBorders", renderer: renderers.gvBorders, interactive: false,
        color: style.border, weight: 2.5, opacity: 1 }).addTo(map);
    }
    var claimedLayer = L.layerGroup().addTo(map);
    var countryShapes = {};
    geo.countries.forEach(function (c) { if (c.polys.length) { countryShapes[c.code] = c; } });

    // -- labels: countries, regions (anchors are inside their polygon, never in a hole), places
    var labelLayer = L.layerGroup().addTo(map);
    var labelItems = [];
    geo.countries.forEach(function (c) {
      c.anchors.forEach(function (a, k) {
        if (c.name) { labelItems.push({ kind: "country", text: c.name, lat: a[1], lon: a[0], minZoom: k ? 6 : 3, maxZoom: 9, prio: 0 }); }
      });
    });
    var DYNAMIC_ZOOM = 10;  // from here on, region labels go inside the visible part of the region
    geo.regions.forEach(function (r) {
      if (!r.name || r.level !== "adm1") { return; }
      var text = r.country ? r.name + " (" + r.country + ")" : r.name;
      r.anchors.forEach(function (a, k) {
        labelItems.push({ kind: "region", text: text, lat: a[1], lon: a[0], minZoom: k ? 8 : 6,
          maxZoom: DYNAMIC_ZOOM - 1, prio: 2 });
      });
    });
    // Widest run inside the polygon (even-odd over every ring, holes included) on a few
    // horizontal lines: a point inside the visible part, never in a hole.
    function insidePoint(rings) {
      var minY = Infinity, maxY = -Infinity;
      rings[0].forEach(function (p) { if (p.y < minY) { minY = p.y; } if (p.y > maxY) { maxY = p.y; } });
      var best = null, bestWidth = 0;
      [0.5, 0.35, 0.65, 0.2, 0.8].forEach(function (t) {
        var y = minY + (maxY - minY) * t + 0.01, xs = [];
        rings.forEach(function (pts) {
          for (var i = 0, j = pts.length - 1; i < pts.length; j = i++) {
            var a = pts[i], b = pts[j];
            if ((a.y > y) !== (b.y > y)) { xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)); }
          }
        });
        xs.sort(function (u, v) { return u - v; });
        for (var k = 0; k + 1 < xs.length; k += 2) {
          if (xs[k + 1] - xs[k] > bestWidth) { bestWidth = xs[k + 1] - xs[k]; best = L.point((xs[k] + xs[k + 1]) / 2, y); }
        }
      });
      return best && bestWidth > 40 ? best : null;
    }
    function ringArea(pts) {
      var a = 0;
      for (var i = 0, j = pts.length - 1; i < pts.length; j = i++) { a += (pts[j].x + pts[i].x) * (pts[j].y - pts[i].y); }
      return Math.abs(a / 2);
    }
    function visibleRegionLabels() {
      var out = [], size = map.getSize(), viewLL = map.getBounds();
      var view = L.bounds(map.containerPointToLayerPoint([20, 20]), map.containerPointToLayerPoint([size.x - 20, size.y - 20]));
      regionShapes.forEach(function (s) {
        var r = s.r;
        if (!r.name || r.level !== "adm1") { return; }
        if (!s.bounds) { s.bounds = L.latLngBounds([].concat.apply([], s.ll.map(function (rings) { return rings[0]; }))); }
        if (!s.bounds.intersects(viewLL)) { return; }
        var bestRings = null, bestArea = 0;
        s.ll.forEach(function (rings) {
          var clipped = rings.map(function (ring) {
            return L.PolyUtil.clipPolygon(ring.map(function (ll) { return map.latLngToLayerPoint(ll); }), view);
          }).filter(function (pts) { return pts.length > 2; });
          if (!clipped.length) { return; }
          var area = ringArea(clipped[0]);
          if (area > bestArea) { bestArea = area; bestRings = clipped; }
        });
        if (!bestRings || bestArea < 4000) { return; }
        var at = insidePoint(bestRings);
        if (!at) { return; }
        var ll = map.layerPointToLatLng(at);
        out.push({ kind: "region", text: r.country ? r.name + " (" + r.country + ")" : r.name, lat: ll.lat, lon: ll.lng,
          minZoom: 0, maxZoom: 30, prio: 2 });
      });
      return out;
    }
    var placeMinZoom = style.placeMinZoom;
    geo.places.forEach(function (p) {
      labelItems.push({ kind: "place", rank: p[3], text: p[0], lat: p[2], lon: p[1], minZoom: placeMinZoom[p[3]], maxZoom: 30,
        prio: 1, population: p[4] });
    });
    var placedLabels = [];
    function placeLabels() {
      labelLayer.clearLayers();
      placedLabels = [];
      var zoom = map.getZoom(), bounds = map.getBounds().pad(0.05), size = map.getSize();
      var placed = [];
      var candidates = zoom >= DYNAMIC_ZOOM ? labelItems.concat(visibleRegionLabels()) : labelItems;
      var ordered = candidates.filter(function (it) {
        return zoom >= it.minZoom && zoom <= it.maxZoom && bounds.contains([it.lat, it.lon]);
      });
      // countries first, then places (biggest first: they come sorted), then regions
      ordered.sort(function (a, b) { return a.prio - b.prio; });
      var budget = 160;
      for (var k = 0; k < ordered.length && budget > 0; k++) {
        var it = ordered[k];
        var pt = map.latLngToContainerPoint([it.lat, it.lon]);
        if (pt.x < 0 || pt.y < 0 || pt.x > size.x || pt.y > size.y) { continue; }
        var charW = it.kind === "country" ? 10 : it.kind === "region" ? 6.5 : (it.rank <= 1 ? 7.5 : 6.5);
        var w = it.text.length * charW + 12, h = it.kind === "place" ? 15 : 18;
        var x0 = it.kind === "place" ? pt.x - 4 : pt.x - w / 2;
        var box = [x0, pt.y - h / 2, x0 + w, pt.y + h / 2];
        var clash = false;
        for (var q = 0; q < placed.length; q++) {
          var o = placed[q];
          if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) { clash = true; break; }
        }
        if (clash) { continue; }
        placed.push(box);
        placedLabels.push({ kind: it.kind, text: it.text, lat: it.lat, lon: it.lon });
        budget--;
        var cls = "gv-label gv-label-" + it.kind + (it.kind === "place" ? " gv-place-rank-" + it.rank : "");
        var span = el("span", "gv-label-text", it.text);
        if (it.kind === "place") { span.setAttribute("title", it.text + ": population " + it.population); }
        L.marker([it.lat, it.lon], {
          pane: "gvLabels", interactive: false, keyboard: false,
          icon: L.divIcon({ className: cls, html: span, iconSize: null })
        }).addTo(labelLayer);
      }
    }

    // -- scale bar and a one-line, expandable attribution
    L.control.scale({ position: "bottomleft", imperial: false, maxWidth: 140 }).addTo(map);
    var attribution = map.attributionControl;
    if (data.attributionHtml && attribution) {
      // Escaped by geoverify when the page was built.
      attribution.addAttribution(data.attributionHtml);
    }
    if (attribution) {
      var attrNode = attribution.getContainer();
      attrNode.classList.add("gv-attribution");
      attrNode.setAttribute("title", "Map data sources (click to show in full)");
      attrNode.setAttribute("tabindex", "0");
      attrNode.addEventListener("click", function (e) {
        if (e.target && e.target.tagName === "A") { return; }
        attrNode.classList.toggle("gv-attribution-open");
      });
      attrNode.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { attrNode.classList.toggle("gv-attribution-open"); e.preventDefault(); }
      });
    }
    function fitAttribution() {
      if (!attribution) { return; }
      var scaleNode = container.querySelector(".leaflet-control-scale");
      var room = map.getSize().x - (scaleNode ? scaleNode.offsetWidth + 30 : 20);
      attribution.getContainer().style.maxWidth = Math.max(80, room) + "px";
    }
    map.on("resize", fitAttribution);

    // -- frames: positions in Web Mercator, filters, grid clustering per zoom
    var locIdx = [], dates = new Array(n), hasDates = !!data.dateRange, rowIndex = Object.create(null);
    for (var i = 0; i < n; i++) {
      rowIndex[rowOf(i)] = i;
      if (hasDates) { dates[i] = isoDate(str(cols.date, i)); }
      if (cols.lat[i] !== null && cols.lon[i] !== null) { locIdx.push(i); }
    }
    var M = locIdx.length;
    var mx = new Float64Array(M), my = new Float64Array(M);
    for (var j = 0; j < M; j++) { mx[j] = mercX(cols.lon[locIdx[j]]); my[j] = mercY(cols.lat[locIdx[j]]); }
    var selected = new Uint8Array(n);
    var frameLayer = L.layerGroup().addTo(map);
    var drawn = { markers: 0, clusters: 0 };
    var focused = -1;

    var filter = { clip: null, verdicts: null, from: null, to: null, undated: true };
    function passesExceptVerdict(i) {
      if (filter.clip !== null && cols.clip[i] !== filter.clip) { return false; }
      if (filter.from || filter.to) {
        var d = dates[i];
        if (!d) { return filter.undated; }
        if (filter.from && d < filter.from) { return false; }
        if (filter.to && d > filter.to) { return false; }
      }
      return true;
    }
    function verdictOn(v) { return filter.verdicts === null || filter.verdicts[v] === 1; }

    function markerIcon(i) {
      var v = cols.verdict[i], c = cols.clip[i];
      var fill = colourOfIndex(v);
      var svg;
      if (filter.clip !== null) {
        // a selected clip: numbered circles in frame order (as in the frame table)
        var num = String(cols.seq[i]);
        var r = num.length > 2 ? 12 : 10.5;
        svg = '<svg class="gv-shape" viewBox="0 0 ' + (2 * r + 2) + " " + (2 * r + 2) + '" width="' + (2 * r + 2) +
          '" height="' + (2 * r + 2) + '" aria-hidden="true"><circle cx="' + (r + 1) + '" cy="' + (r + 1) + '" r="' + r +
          '" fill="' + fill + '" stroke="#1b1b1b" stroke-width="1.5"/><text x="' + (r + 1) + '" y="' + (r + 1) +
          '" dy="0.35em" text-anchor="middle" class="gv-num">' + num + "</text></svg>";
        return L.divIcon({ className: "gv-marker gv-marker-numbered", html: svg, iconSize: [2 * r + 2, 2 * r + 2],
          iconAnchor: [r + 1, r + 1], popupAnchor: [0, -r] });
      }
      var shapes = style.shapes, outlines = style.outlines;
      svg = '<svg class="gv-shape" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">' +
        '<g fill="' + fill + '" stroke="' + outlines[Math.floor(c / shapes.length) % outlines.length] +
        '" stroke-width="1.6" stroke-linejoin="round">' + shapes[c % shapes.length] + "</g></svg>";
      return L.divIcon({ className: "gv-marker", html: svg, iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -8] });
    }

    function addMarker(i) {
      var m = L.marker([cols.lat[i], cols.lon[i]], { icon: markerIcon(i), pane: "gvFrames", keyboard: true,
        riseOnHover: true });
      m.on("add", function () {
        var icon = m.getElement();
        if (!icon) { return; }
        icon.setAttribute("data-gv-row", String(rowOf(i)));
        icon.setAttribute("data-gv-verdict", verdictOf(i));
        if (filter.clip !== null) { icon.setAttribute("data-gv-seq", String(cols.seq[i])); }
        var frame = str(cols.frame, i);
        var label = (filter.clip !== null ? cols.seq[i] + ". " : "") + verdictOf(i) + ": " + clipName(cols.clip[i]) +
          (frame ? " at " + frame : "");
        icon.setAttribute("aria-label", label);
        icon.setAttribute("title", label);
      });
      m.on("click", function () { openPopup(i); });
      m.addTo(frameLayer);
      drawn.markers++;
    }

    // a cluster: a ring of verdict colours around the total, and the mismatch count on a red badge
    function clusterIcon(total, counts) {
      var size = total < 10 ? 34 : total < 100 ? 40 : total < 1000 ? 46 : 52;
      var r = size / 2 - 4, circ = 2 * Math.PI * r, c = size / 2;
      var svg = svgEl("svg", { viewBox: "0 0 " + size + " " + size, width: size, height: size, "aria-hidden": "true" });
      svg.appendChild(svgEl("circle", { cx: c, cy: c, r: r + 3.5, fill: "#ffffff", "fill-opacity": 0.92 }));
      var offset = 0;
      var order = style.ringOrder;
      for (var k = 0; k < order.length; k++) {
        var v = data.verdicts.indexOf(order[k]);
        var cnt = v < 0 ? 0 : counts[v];
        if (!cnt) { continue; }
        var len = circ * cnt / total;
        svg.appendChild(svgEl("circle", { cx: c, cy: c, r: r, fill: "none", stroke: colourOfIndex(v), "stroke-width": 6,
          "stroke-dasharray": len + " " + (circ - len), "stroke-dashoffset": -offset, transform: "rotate(-90 " + c + " " + c + ")" }));
        offset += len;
      }
      for (var u = 0; u < V; u++) {  // verdicts this page's style does not know
        if (order.indexOf(data.verdicts[u]) >= 0 || !counts[u]) { continue; }
        var l2 = circ * counts[u] / total;
        svg.appendChild(svgEl("circle", { cx: c, cy: c, r: r, fill: "none", stroke: colourOfIndex(u), "stroke-width": 6,
          "stroke-dasharray": l2 + " " + (circ - l2), "stroke-dashoffset": -offset, transform: "rotate(-90 " + c + " " + c + ")" }));
        offset += l2;
      }
      var t = svgEl("text", { x: c, y: c, dy: "0.35em", "text-anchor": "middle", "class": "gv-cluster-total" });
      t.textContent = String(total);
      svg.appendChild(t);
      var wrap = el("div", "gv-cluster-inner");
      wrap.appendChild(svg);
      var mis = data.verdicts.indexOf("mismatch");
      var parts = [];
      for (var w = 0; w < V; w++) { if (counts[w]) { parts.push(counts[w] + " " + data.verdicts[w]); } }
      if (mis >= 0 && counts[mis]) {
        var badge = el("span", "gv-cluster-mismatch", counts[mis]);
        badge.setAttribute("title", counts[mis] + " mismatch");
        wrap.appendChild(badge);
      }
      wrap.setAttribute("data-gv-counts", parts.join(", "));
      return { icon: L.divIcon({ className: "gv-cluster", html: wrap, iconSize: [size, size], iconAnchor: [c, c] }),
        label: total + " frames: " + parts.join(", ") };
    }

    function addCluster(cell) {
      var made = clusterIcon(cell.count, cell.counts);
      var m = L.marker(unprojectNorm(cell.sx / cell.count, cell.sy / cell.count), { icon: made.icon, pane: "gvFrames",
        keyboard: true, title: made.label, alt: made.label });
      m.on("add", function () {
        var e = m.getElement();
        if (e) { e.setAttribute("aria-label", made.label); e.setAttribute("data-gv-count", String(cell.count)); }
      });
      m.on("click", function () {
        var spread = Math.max(cell.maxX - cell.minX, cell.maxY - cell.minY) * 256 * Math.pow(2, map.getZoom());
        if (spread < 4 || map.getZoom() >= map.getMaxZoom()) {
          openList(cell, m.getLatLng());
        } else {
          map.fitBounds(L.latLngBounds(unprojectNorm(cell.minX, cell.maxY), unprojectNorm(cell.maxX, cell.minY)),
            { padding: [60, 60], maxZoom: map.getMaxZoom() });
        }
      });
      m.addTo(frameLayer);
      drawn.clusters++;
    }

    function unprojectNorm(x, y) {
      var lon = x * 360 - 180;
      var lat = (2 * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - Math.PI / 2) * 180 / Math.PI;
      return L.latLng(lat, lon);
    }

    var CELL = 52;
    function redraw() {
      frameLayer.clearLayers();
      drawn.markers = 0; drawn.clusters = 0;
      var zoom = map.getZoom(), scale = 256 * Math.pow(2, zoom);
      var pb = map.getPixelBounds();
      var cellPx = zoom >= 16 ? 22 : zoom >= 13 ? 34 : CELL;
      var x0 = pb.min.x - cellPx, y0 = pb.min.y - cellPx, x1 = pb.max.x + cellPx, y1 = pb.max.y + cellPx;
      var cells = new Map(), singles = [];
      var inView = new Array(V).fill(0), viewBounds = map.getBounds();
      var south = viewBounds.getSouth(), north = viewBounds.getNorth(), west = viewBounds.getWest(), east = viewBounds.getEast();
      var outside = 0, shown = 0;
      for (var j = 0; j < M; j++) {
        var i = locIdx[j];
        if (!selected[i]) { continue; }
        shown++;
        var la = cols.lat[i], lo = cols.lon[i];
        if (la >= south && la <= north && lo >= west && lo <= east) { inView[cols.verdict[i]]++; } else { outside++; }
        var px = mx[j] * scale, py = my[j] * scale;
        if (px < x0 || px > x1 || py < y0 || py > y1) { continue; }
        if (i === focused) { singles.push(i); continue; }
        var key = Math.floor(px / cellPx) * 4194304 + Math.floor(py / cellPx);
        var cell = cells.get(key);
        if (!cell) {
          cell = { count: 0, counts: new Array(V).fill(0), sx: 0, sy: 0, first: i, members: [],
            minX: 2, minY: 2, maxX: -1, maxY: -1 };
          cells.set(key, cell);
        }
        cell.count++;
        cell.counts[cols.verdict[i]]++;
        cell.sx += mx[j]; cell.sy += my[j];
        if (mx[j] < cell.minX) { cell.minX = mx[j]; } if (mx[j] > cell.maxX) { cell.maxX = mx[j]; }
        if (my[j] < cell.minY) { cell.minY = my[j]; } if (my[j] > cell.maxY) { cell.maxY = my[j]; }
        if (cell.members.length < 60) { cell.members.push(i); }
      }
      // merge neighbouring cells whose icons would overlap (biggest first)
      var list = Array.from(cells.values()).sort(function (a, b) { return b.count - a.count || a.first - b.first; });
      var kept = [], reach = cellPx * 0.9;
      list.forEach(function (cell) {
        var cx = cell.sx / cell.count * scale, cy = cell.sy / cell.count * scale;
        for (var q = 0; q < kept.length; q++) {
          var k = kept[q];
          if (cell.count === 1 && k.count === 1) { continue; }
          var dx = k.px - cx, dy = k.py - cy;
          if (dx * dx + dy * dy < reach * reach) {
            k.count += cell.count; k.sx += cell.sx; k.sy += cell.sy;
            for (var w = 0; w < V; w++) { k.counts[w] += cell.counts[w]; }
            k.minX = Math.min(k.minX, cell.minX); k.maxX = Math.max(k.maxX, cell.maxX);
            k.minY = Math.min(k.minY, cell.minY); k.maxY = Math.max(k.maxY, cell.maxY);
            for (var mm = 0; mm < cell.members.length && k.members.length < 60; mm++) { k.members.push(cell.members[mm]); }
            return;
          }
        }
        cell.px = cx; cell.py = cy;
        kept.push(cell);
      });
      kept.forEach(function (cell) {
        if (cell.count === 1) { singles.push(cell.first); } else { addCluster(cell); }
      });
      singles.sort(function (a, b) { return a - b; });
      singles.forEach(addMarker);
      viewState.inView = inView;
      viewState.outside = outside;
      viewState.shown = shown;
      updateViewControls();
    }
    var viewState = { inView: new Array(V).fill(0), outside: 0, shown: 0 };

    // -- on-map controls: what is in view, and what is outside it
    var ViewBox = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = el("div", "gv-inview leaflet-bar");
        box.setAttribute("role", "status");
        box.setAttribute("aria-live", "polite");
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    var viewBox = new ViewBox().addTo(map);
    var OutsideBox = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "gv-outside leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    var outsideBox = new OutsideBox().addTo(map);

    function updateViewControls() {
      var box = viewBox.getContainer();
      box.textContent = "";
      box.appendChild(el("div", "gv-inview-title", "In this view"));
      var any = false;
      style.ringOrder.concat(data.verdicts.filter(function (v) { return style.ringOrder.indexOf(v) < 0; }))
        .forEach(function (name) {
          var v = data.verdicts.indexOf(name);
          if (v < 0 || !viewState.inView[v]) { return; }
          any = true;
          var line = el("div", "gv-inview-item");
          line.setAttribute("data-verdict", name);
          var dot = el("span", "gv-dot");
          dot.style.backgroundColor = colourOfIndex(v);
          line.appendChild(dot);
          line.appendChild(el("span", "gv-inview-count", viewState.inView[v]));
          line.appendChild(el("span", "gv-inview-name", " " + name));
          box.appendChild(line);
        });
      if (!any) { box.appendChild(el("div", "gv-inview-item", "no frames")); }
      var out = outsideBox.getContainer();
      out.textContent = "";
      if (viewState.outside > 0) {
        out.style.display = "";
        out.appendChild(el("span", "gv-outside-text",
          viewState.outside + (viewState.outside === 1 ? " frame" : " frames") + " outside this view"));
        var b = el("button", "gv-show-all", "Show all");
        b.type = "button";
        b.addEventListener("click", function () { fitSelection(); });
        out.appendChild(b);
      } else {
        out.style.display = "none";
      }
    }

    // -- popups: one shared popup, content built on click
    var popup = L.popup({ maxWidth: 380, minWidth: 260, maxHeight: 420, autoPanPadding: [24, 24], className: "gv-popup-wrap" });

    function row(dl, label, value, cls) {
      if (value === null || value === undefined || value === "") { return null; }
      var dt = el("dt", null, label);
      var dd = el("dd", cls || null);
      if (value instanceof Node) { dd.appendChild(value); } else { dd.textContent = String(value); }
      dl.appendChild(dt);
      dl.appendChild(dd);
      return dd;
    }

    function sourceNode(value) {
      var url = safeHttpUrl(value);
      if (!url) { return el("span", "gv-source-text", value); }
      var a = el("a", "gv-source-link", value.trim());
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }

    function coordsNode(i) {
      var wrap = el("span", "gv-coords-wrap");
      var text = cols.lat[i].toFixed(6) + ", " + cols.lon[i].toFixed(6);
      var code = el("code", "gv-coords", text);
      wrap.appendChild(code);
      var button = el("button", "gv-copy", "copy");
      button.type = "button";
      button.title = "Copy latitude, longitude";
      button.addEventListener("click", function () {
        function selectIt() {
          var range = document.createRange();
          range.selectNodeContents(code);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(function () { button.textContent = "copied"; }, selectIt);
        } else {
          selectIt();
        }
      });
      wrap.appendChild(button);
      return wrap;
    }

    function buildPopup(i) {
      var v = verdictOf(i);
      var root = el("div", "gv-popup");
      root.setAttribute("data-gv-row", String(rowOf(i)));
      var head = el("div", "gv-popup-head");
      var swatch = el("span", "gv-swatch");
      swatch.style.backgroundColor = colourOfIndex(cols.verdict[i]);
      head.appendChild(swatch);
      head.appendChild(el("strong", "gv-popup-verdict", v));
      var label = own(style.verdictLabels, v);
      if (label) { head.appendChild(el("span", "gv-popup-verdict-desc", label)); }
      root.appendChild(head);

      var title = el("div", "gv-popup-title");
      title.appendChild(el("span", "gv-popup-seq", cols.seq[i] + ". "));
      title.appendChild(el("span", "gv-popup-clip", clipName(cols.clip[i])));
      var frame = str(cols.frame, i);
      if (frame !== null) {
        title.appendChild(document.createTextNode(" at "));
        title.appendChild(el("span", "gv-popup-frame", frame));
      }
      root.appendChild(title);

      var dl = el("dl", "gv-popup-fields");
      var claim = obj(cols.claim, i);
      row(dl, "Claimed", str(cols.claimed, i), "gv-field-claimed");
      if (claim) { row(dl, "Claim read as", placeText(claim) + (claim.level ? " [" + claim.level + "]" : ""), "gv-field-claim"); }
      row(dl, "Found country", placeText(obj(cols.country, i)), "gv-field-country");
      row(dl, "Found region", placeText(obj(cols.adm1, i)), "gv-field-adm1");
      row(dl, "Disputed", objectText(obj(cols.disputed, i)), "gv-field-disputed");
      row(dl, "To country border", formatDistance(distance(cols.distance_to_border_m, i)), "gv-field-border");
      row(dl, "To region border", formatDistance(distance(cols.distance_to_region_border_m, i)), "gv-field-region-border");
      row(dl, "To claimed place", formatDistance(distance(cols.distance_to_claimed_m, i)), "gv-field-claimed-distance");
      row(dl, "Coordinates", coordsNode(i), "gv-field-coords");
      row(dl, "As given", coordsText(i), "gv-field-coordinates-text");
      row(dl, "Notation", str(cols.notation, i), "gv-field-notation");
      var precision = formatDistance(distance(cols.precision_m, i));
      row(dl, "Precision", precision === null ? null : "\u00b1 " + precision, "gv-field-precision");
      row(dl, "Date", str(cols.date, i), "gv-field-date");
      row(dl, "Role", str(cols.role, i), "gv-field-role");
      var src = str(cols.source, i);
      if (src !== null) { row(dl, "Source", sourceNode(src), "gv-field-source"); }
      row(dl, "Id", str(cols.id, i), "gv-field-id");
      row(dl, "Row", rowOf(i), "gv-field-row");
      root.appendChild(dl);

      var findings = obj(cols.findings, i);
      if (findings && findings.length) {
        var ul = el("ul", "gv-popup-findings");
        findings.forEach(function (f) {
          var li = el("li", "gv-finding gv-severity-" + (/^[a-z]+$/.test(f.severity || "") ? f.severity : "other"));
          li.appendChild(el("span", "gv-finding-code", f.code || ""));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "gv-finding-message", f.message || ""));
          ul.appendChild(li);
        });
        root.appendChild(el("div", "gv-popup-subhead", "Findings"));
        root.appendChild(ul);
      }

      if (data.extraKeys.length) {
        var extra = el("dl", "gv-popup-extra");
        data.extraKeys.forEach(function (key, k) {
          row(extra, key, str(data.extra[k], i), "gv-field-extra");
        });
        if (extra.childNodes.length) {
          root.appendChild(el("div", "gv-popup-subhead", "Other columns and fields"));
          root.appendChild(extra);
        }
      }
      return root;
    }

    function openPopup(i) {
      popup.setLatLng([cols.lat[i], cols.lon[i]]).setContent(buildPopup(i)).openOn(map);
    }

    // frames at one spot (or too many to separate at this zoom): a list to pick from
    function openList(cell, latlng) {
      var root = el("div", "gv-popup gv-popup-list");
      root.appendChild(el("div", "gv-popup-subhead", cell.count + " frames here"));
      var ul = el("ul", "gv-list");
      cell.members.forEach(function (i) {
        var li = el("li");
        var b = el("button", "gv-list-item");
        b.type = "button";
        b.setAttribute("data-gv-row", String(rowOf(i)));
        var dot = el("span", "gv-dot");
        dot.style.backgroundColor = colourOfIndex(cols.verdict[i]);
        b.appendChild(dot);
        var frame = str(cols.frame, i);
        b.appendChild(document.createTextNode(" " + verdictOf(i) + ": " + clipName(cols.clip[i]) + (frame ? " at " + frame : "")));
        b.addEventListener("click", function () { openPopup(i); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      root.appendChild(ul);
      if (cell.count > cell.members.length) { root.appendChild(el("p", "gv-note", "and " + (cell.count - cell.members.length) + " more")); }
      popup.setLatLng(latlng).setContent(root).openOn(map);
    }

    // -- panel: legend (verdict filter), clip list (search, sort), selected clip
    var legendItems = document.querySelectorAll("#gv-legend .gv-legend-item");
    var legendCounts = document.querySelectorAll("#gv-legend .gv-count");
    var statusNode = document.getElementById("gv-status");
    var counts = new Array(V).fill(0), selectedCount = 0, shownCount = 0;

    function updateLegend() {
      Array.prototype.forEach.call(legendCounts, function (node) {
        var k = data.verdicts.indexOf(node.getAttribute("data-verdict"));
        node.textContent = String(k < 0 ? 0 : counts[k]);
      });
      Array.prototype.forEach.call(legendItems, function (item) {
        var k = data.verdicts.indexOf(item.getAttribute("data-verdict"));
        var on = k >= 0 && verdictOn(k);
        item.classList.toggle("gv-off", !on);
        item.setAttribute("aria-pressed", filter.verdicts === null ? "false" : on ? "true" : "false");
      });
      var reset = document.getElementById("gv-verdict-reset");
      if (reset) { reset.hidden = filter.verdicts === null; }
    }

    function verdictNames() {
      if (filter.verdicts === null) { return null; }
      return data.verdicts.filter(function (v, k) { return filter.verdicts[k] === 1; });
    }

    function updateStatus() {
      if (!statusNode) { return; }
      var what = filter.clip === null ? "all clips" : "clip \u201c" + clipName(filter.clip) + "\u201d";
      var vs = verdictNames();
      statusNode.textContent = "Showing " + selectedCount + " of " + n + " frames (" + what +
        (vs ? "; verdicts: " + vs.join(", ") : "") + "); " + shownCount + " on the map.";
    }

    // per-clip counts under the current filters (dates and verdicts)
    var clipCount = data.clips.length;
    var clipTotals = new Int32Array(clipCount), clipShown = new Int32Array(clipCount), clipMismatch = new Int32Array(clipCount);
    var misIndex = data.verdicts.indexOf("mismatch");
    for (var f = 0; f < n; f++) { clipTotals[cols.clip[f]]++; }
    var listState = { query: "", sort: "file", limit: 100 };
    var clipList = document.getElementById("gv-clip-list");
    var clipSearch = document.getElementById("gv-clip-search");
    var clipSort = document.getElementById("gv-clip-sort");
    var clipMore = document.getElementById("gv-clip-more");
    var clipMatches = document.getElementById("gv-clip-matches");

    function clipOrder() {
      var q = listState.query.trim().toLowerCase();
      var idx = [];
      for (var c = 0; c < clipCount; c++) {
        if (!clipShown[c]) { continue; }
        if (q && clipName(c).toLowerCase().indexOf(q) < 0) { continue; }
        idx.push(c);
      }
      if (listState.sort === "mismatch") {
        idx.sort(function (a, b) { return clipMismatch[b] - clipMismatch[a] || clipShown[b] - clipShown[a] || a - b; });
      } else if (listState.sort === "frames") {
        idx.sort(function (a, b) { return clipShown[b] - clipShown[a] || a - b; });
      } else if (listState.sort === "name") {
        idx.sort(function (a, b) { var x = clipName(a), y = clipName(b); return x < y ? -1 : x > y ? 1 : a - b; });
      }
      return idx;
    }

    function clipButton(c) {
      var b = el("button", "gv-clip-option");
      b.type = "button";
      b.setAttribute("data-clip-index", String(c));
      var on = filter.clip === c;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) { b.classList.add("gv-selected"); }
      var shapes = style.shapes, outlines = style.outlines;
      b.insertAdjacentHTML("beforeend", '<svg class="gv-shape" viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">' +
        '<g fill="#bdbdbd" stroke="' + outlines[Math.floor(c / shapes.length) % outlines.length] +
        '" stroke-width="1.6" stroke-linejoin="round">' + shapes[c % shapes.length] + "</g></svg>");
      b.appendChild(el("span", "gv-clip-name", clipName(c)));
      if (misIndex >= 0 && clipMismatch[c]) {
        var badge = el("span", "gv-clip-mismatch", clipMismatch[c]);
        badge.setAttribute("title", clipMismatch[c] + " mismatch");
        b.appendChild(badge);
      }
      var total = clipTotals[c], shown = clipShown[c];
      b.appendChild(el("span", "gv-clip-rows", (shown === total ? total : shown + " of " + total) + " frames"));
      b.addEventListener("click", function () { selectClipIndex(filter.clip === c ? null : c); });
      return b;
    }

    function renderClipList() {
      if (!clipList) { return; }
      var idx = clipOrder();
      clipList.textContent = "";
      var frag = document.createDocumentFragment();
      for (var k = 0; k < idx.length && k < listState.limit; k++) {
        var li = el("li", "gv-clip");
        li.setAttribute("data-clip-index", String(idx[k]));
        li.appendChild(clipButton(idx[k]));
        frag.appendChild(li);
      }
      clipList.appendChild(frag);
      if (clipMatches) {
        clipMatches.textContent = idx.length === clipCount ? clipCount + " clips" :
          idx.length + " of " + clipCount + " clips match";
      }
      if (clipMore) {
        clipMore.hidden = idx.length <= listState.limit;
        clipMore.textContent = "Show more (" + (idx.length - Math.min(idx.length, listState.limit)) + " left)";
      }
      var all = document.querySelector(".gv-clip-all");
      if (all) {
        all.classList.toggle("gv-selected", filter.clip === null);
        all.setAttribute("aria-pressed", filter.clip === null ? "true" : "false");
      }
    }
    if (clipSearch) {
      clipSearch.addEventListener("input", function () { listState.query = clipSearch.value; listState.limit = 100; renderClipList(); scheduleHash(); });
    }
    if (clipSort) {
      clipSort.addEventListener("change", function () { listState.sort = clipSort.value; renderClipList(); scheduleHash(); });
    }
    if (clipMore) { clipMore.addEventListener("click", function () { listState.limit += 200; renderClipList(); }); }
    var allButton = document.querySelector(".gv-clip-all");
    if (allButton) { allButton.addEventListener("click", function () { selectClipIndex(null); }); }

    // the selected clip: its summary, tallies and frames in frame order (numbered as on the map)
    var detail = document.getElementById("gv-clip-detail");
    function countList(kind, map, label) {
      var keys = Object.keys(map);
      if (!keys.length) { return null; }
      var box = el("div", "gv-counts gv-counts-" + kind);
      box.appendChild(el("h4", null, label));
      var ul = el("ul");
      keys.sort(function (a, b) { return map[b].n - map[a].n || (a < b ? -1 : a > b ? 1 : 0); });
      keys.forEach(function (key) {
        var li = el("li", "gv-count-item");
        li.setAttribute("data-key", key);
        li.appendChild(el("span", "gv-count-label", map[key].label));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "gv-count", map[key].n));
        ul.appendChild(li);
      });
      box.appendChild(ul);
      return box;
    }
    function renderDetail() {
      if (!detail) { return; }
      detail.textContent = "";
      if (filter.clip === null) { detail.hidden = true; return; }
      detail.hidden = false;
      var c = filter.clip;
      detail.appendChild(el("h3", "gv-detail-name", clipName(c)));
      var summary = get(data.clipSummaries, c);
      if (summary) { detail.appendChild(el("p", "gv-clip-summary", summary)); }
      var frames = [];
      for (var i = 0; i < n; i++) { if (cols.clip[i] === c) { frames.push(i); } }
      frames.sort(function (a, b) { return cols.seq[a] - cols.seq[b]; });
      var byVerdict = {}, byCountry = {}, byRegion = {}, byRole = {};
      function bump(table, key, label) {
        if (key === null || key === undefined || key === "") { return; }
        if (!own(table, key)) { table[key] = { n: 0, label: label }; }
        table[key].n++;
      }
      frames.forEach(function (i) {
        bump(byVerdict, verdictOf(i), verdictOf(i));
        var co = obj(cols.country, i), ad = obj(cols.adm1, i);
        if (co && co.code) { bump(byCountry, co.code, placeText(co)); }
        if (ad && ad.code) { bump(byRegion, ad.code, placeText(ad)); }
        bump(byRole, str(cols.role, i), str(cols.role, i));
      });
      var counts = el("div", "gv-clip-counts");
      [countList("verdicts", byVerdict, "Verdicts"), countList("countries", byCountry, "Countries"),
        countList("regions", byRegion, "Regions"), countList("roles", byRole, "Roles")].forEach(function (b) {
        if (b) { counts.appendChild(b); }
      });
      detail.appendChild(counts);
      var table = el("table", "gv-frame-table");
      table.id = "gv-frame-table";
      var head = el("tr");
      ["No.", "Frame", "Verdict", "Found in", "To border"].forEach(function (h) { head.appendChild(el("th", null, h)); });
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      var body = el("tbody");
      frames.forEach(function (i) {
        var tr = el("tr", "gv-frame-row");
        tr.setAttribute("data-gv-row", String(rowOf(i)));
        tr.setAttribute("data-gv-seq", String(cols.seq[i]));
        tr.appendChild(el("td", "gv-seq", cols.seq[i]));
        tr.appendChild(el("td", "gv-frame", str(cols.frame, i)));
        var vc = el("td", "gv-verdict");
        var dot = el("span", "gv-dot"); dot.style.backgroundColor = colourOfIndex(cols.verdict[i]);
        vc.appendChild(dot); vc.appendChild(document.createTextNode(" " + verdictOf(i)));
        tr.appendChild(vc);
        tr.appendChild(el("td", "gv-place", placeText(obj(cols.adm1, i)) || placeText(obj(cols.country, i)) || ""));
        tr.appendChild(el("td", "gv-dist", formatDistance(distance(cols.distance_to_border_m, i)) || ""));
        if (!verdictOn(cols.verdict[i]) || !passesExceptVerdict(i)) { tr.classList.add("gv-off"); }
        if (cols.lat[i] !== null) {
          tr.tabIndex = 0;
          tr.addEventListener("click", function () { revealIndex(i).then(function () { openPopup(i); }); });
          tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { revealIndex(i).then(function () { openPopup(i); }); } });
        }
        body.appendChild(tr);
      });
      table.appendChild(body);
      detail.appendChild(table);
    }

    // -- applying the filters
    var busy = 0, waiters = [];
    function settle() {
      if (busy > 0) { return; }
      container.classList.remove("gv-loading");
      var ws = waiters; waiters = [];
      ws.forEach(function (resolve) { resolve(); });
      document.dispatchEvent(new CustomEvent("geoverify:idle"));
    }
    function whenIdle() {
      if (busy === 0 && !moving) { return Promise.resolve(); }
      return new Promise(function (resolve) { waiters.push(resolve); });
    }

    var claimKey = null;
    function updateClaimed(claimCodes) {
      var key = Object.keys(claimCodes).sort().join("\u0000");
      if (key === claimKey) { return; }
      claimKey = key;
      claimedLayer.clearLayers();
      var drawnCodes = {};
      function draw(ll) {
        L.polygon(ll, { pane: "gvClaimed", renderer: renderers.gvClaimed, interactive: false, stroke: false,
          fillColor: style.claimed, fillOpacity: 0.06 }).addTo(claimedLayer);
        L.polyline(outlineOf(ll), { pane: "gvClaimed", renderer: renderers.gvClaimed, interactive: false,
          color: style.claimed, weight: 2.5, dashArray: "8 6" }).addTo(claimedLayer);
      }
      geo.regions.forEach(function (r, k) {
        if (r.code && own(claimCodes, r.code) && r.level === "adm1") {
          drawnCodes[r.code] = true;
          draw(regionShapes[k].ll);
        }
      });
      Object.keys(claimCodes).forEach(function (code) {
        if (own(drawnCodes, code)) { return; }
        var c = own(countryShapes, code);
        if (c) { draw(latlngsOf(c.polys)); }
      });
    }

    function apply(fit) {
      busy++;
      container.classList.add("gv-loading");
      counts = new Array(V).fill(0);
      var claimCodes = Object.create(null);
      selectedCount = 0; shownCount = 0;
      clipShown.fill(0); clipMismatch.fill(0);
      for (var i = 0; i < n; i++) {
        selected[i] = 0;
        if (!passesExceptVerdict(i)) {
          continue;
        }
        var v = cols.verdict[i];
        counts[v]++;
        if (!verdictOn(v)) { continue; }
        selected[i] = 1;
        selectedCount++;
        if (cols.lat[i] !== null) { shownCount++; }
        var c = obj(cols.claim, i);
        if (c && c.code) { claimCodes[c.code] = true; }
      }
      // clip list counts: dates and verdicts apply, the clip choice does not
      for (var k = 0; k < n; k++) {
        var vv = cols.verdict[k];
        if (!verdictOn(vv)) { continue; }
        if (filter.from || filter.to) {
          var d = dates[k];
          if (!d ? !filter.undated : (filter.from && d < filter.from) || (filter.to && d > filter.to)) { continue; }
        }
        clipShown[cols.clip[k]]++;
        if (vv === misIndex) { clipMismatch[cols.clip[k]]++; }
      }
      map.closePopup();
      updateLegend();
      updateStatus();
      updateClaimed(claimCodes);
      renderClipList();
      renderDetail();
      if (fit) { fitSelection(); }
      redraw();
      scheduleHash();
      busy--;
      settle();
    }

    function fitSelection() {
      var south = 90, west = 180, north = -90, east = -180, any = false;
      for (var j = 0; j < M; j++) {
        var i = locIdx[j];
        if (!selected[i]) { continue; }
        any = true;
        var la = cols.lat[i], lo = cols.lon[i];
        if (la < south) { south = la; } if (la > north) { north = la; }
        if (lo < west) { west = lo; } if (lo > east) { east = lo; }
      }
      if (!any) { return; }
      if (south === north && west === east) {
        map.setView([south, west], 14, { animate: false });
      } else {
        map.fitBounds([[south, west], [north, east]], { paddingTopLeft: [40, 60], paddingBottomRight: [150, 40], maxZoom: 15,
          animate: false });
      }
    }

    function selectClipIndex(index) {
      if (index !== null && !(index >= 0 && index < data.clips.length)) {
        throw new Error("no clip number " + index);
      }
      filter.clip = index;
      focused = -1;
      apply(true);
      return whenIdle();
    }

    function clipIndexOfName(name) {
      var index = data.clips.indexOf(name);
      if (index < 0 && name === data.noClipName) { index = data.clips.indexOf(null); }
      return index;
    }

    function selectClip(name) {
      if (name === null || name === undefined) { return selectClipIndex(null); }
      var index = clipIndexOfName(name);
      if (index < 0) { throw new Error("no clip named " + JSON.stringify(name)); }
      return selectClipIndex(index);
    }

    function setVerdicts(names) {
      if (names === null || names === undefined) { filter.verdicts = null; }
      else {
        var set = new Uint8Array(V), any = false;
        names.forEach(function (name) { var k = data.verdicts.indexOf(name); if (k >= 0) { set[k] = 1; any = true; } });
        filter.verdicts = any ? set : null;
      }
      apply(false);
      return whenIdle();
    }

    // legend: a click shows only that verdict; further clicks add or remove verdicts
    Array.prototype.forEach.call(legendItems, function (item) {
      function toggle() {
        var k = data.verdicts.indexOf(item.getAttribute("data-verdict"));
        if (k < 0) { return; }
        var names = verdictNames();
        if (names === null) { names = [data.verdicts[k]]; }
        else if (names.indexOf(data.verdicts[k]) >= 0) { names = names.filter(function (v) { return v !== data.verdicts[k]; }); }
        else { names.push(data.verdicts[k]); }
        setVerdicts(names.length ? names : null);
      }
      item.addEventListener("click", toggle);
      item.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
    });
    var verdictReset = document.getElementById("gv-verdict-reset");
    if (verdictReset) { verdictReset.addEventListener("click", function () { setVerdicts(null); }); }

    var fromInput = document.getElementById("gv-date-from");
    var toInput = document.getElementById("gv-date-to");
    var undatedInput = document.getElementById("gv-date-undated");
    var resetButton = document.getElementById("gv-date-reset");
    function setDateRange(from, to, includeUndated) {
      filter.from = isoDate(from || "") || null;
      filter.to = isoDate(to || "") || null;
      if (includeUndated !== undefined) { filter.undated = !!includeUndated; }
      if (fromInput) { fromInput.value = filter.from || ""; }
      if (toInput) { toInput.value = filter.to || ""; }
      if (undatedInput) { undatedInput.checked = filter.undated; }
      apply(false);
      return whenIdle();
    }
    function onDateInput() {
      setDateRange(fromInput.value, toInput.value, undatedInput ? undatedInput.checked : true);
    }
    if (fromInput && toInput) {
      fromInput.addEventListener("change", onDateInput);
      toInput.addEventListener("change", onDateInput);
      if (undatedInput) { undatedInput.addEventListener("change", onDateInput); }
      if (resetButton) { resetButton.addEventListener("click", function () { setDateRange(null, null, true); }); }
    }

    // -- the URL hash: clip, verdicts, dates, search, sort and view, so a link reopens the same view
    var hashTimer = null, applyingHash = false, lastHash = null;
    function hashText() {
      var parts = [];
      if (filter.clip !== null) { parts.push("clip=" + encodeURIComponent(clipName(filter.clip))); }
      var vs = verdictNames();
      if (vs) { parts.push("verdicts=" + vs.map(encodeURIComponent).join(",")); }
      if (filter.from) { parts.push("from=" + filter.from); }
      if (filter.to) { parts.push("to=" + filter.to); }
      if (!filter.undated) { parts.push("undated=0"); }
      if (listState.query) { parts.push("q=" + encodeURIComponent(listState.query)); }
      if (listState.sort !== "file") { parts.push("sort=" + listState.sort); }
      var c = map.getCenter();
      parts.push("map=" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
      return parts.join("&");
    }
    function scheduleHash() {
      if (applyingHash || !ready) { return; }
      if (hashTimer) { clearTimeout(hashTimer); }
      hashTimer = setTimeout(function () {
        hashTimer = null;
        var text = hashText();
        if (text === lastHash) { return; }
        lastHash = text;
        try { history.replaceState(null, "", "#" + text); } catch (e) { /* e.g. a sandboxed frame */ }
      }, 150);
    }
    function flushHash() {
      if (hashTimer) { clearTimeout(hashTimer); hashTimer = null; }
      var text = hashText();
      lastHash = text;
      try { history.replaceState(null, "", "#" + text); } catch (e) { /* ignore */ }
      return "#" + text;
    }
    function parseHash(text) {
      var out = {};
      (text || "").replace(/^#/, "").split("&").forEach(function (part) {
        if (!part) { return; }
        var eq = part.indexOf("=");
        var key = eq < 0 ? part : part.slice(0, eq);
        var raw = eq < 0 ? "" : part.slice(eq + 1);
        var value;
        try { value = decodeURIComponent(raw); } catch (e) { return; }
        if (key === "clip" || key === "verdicts" || key === "from" || key === "to" || key === "undated" ||
            key === "q" || key === "sort" || key === "map") { out[key] = value; }
      });
      return out;
    }
    function applyHash(text) {
      var h = parseHash(text);
      applyingHash = true;
      try {
        var clip = null;
        if (h.clip !== undefined) { var ci = clipIndexOfName(h.clip); if (ci >= 0) { clip = ci; } }
        filter.clip = clip;
        if (h.verdicts !== undefined) {
          var set = new Uint8Array(V), any = false;
          h.verdicts.split(",").forEach(function (raw) {
            var name; try { name = decodeURIComponent(raw); } catch (e) { return; }
            var k = data.verdicts.indexOf(name);
            if (k >= 0) { set[k] = 1; any = true; }
          });
          filter.verdicts = any ? set : null;
        } else { filter.verdicts = null; }
        filter.from = isoDate(h.from || "") || null;
        filter.to = isoDate(h.to || "") || null;
        filter.undated = h.undated !== "0";
        if (fromInput) { fromInput.value = filter.from || ""; }
        if (toInput) { toInput.value = filter.to || ""; }
        if (undatedInput) { undatedInput.checked = filter.undated; }
        listState.query = typeof h.q === "string" ? h.q : "";
        if (clipSearch) { clipSearch.value = listState.query; }
        listState.sort = ["file", "mismatch", "frames", "name"].indexOf(h.sort) >= 0 ? h.sort : "file";
        if (clipSort) { clipSort.value = listState.sort; }
        var view = null;
        if (h.map) {
          var p = h.map.split("/").map(Number);
          if (p.length === 3 && p.every(isFinite) && p[1] >= -90 && p[1] <= 90 && p[2] >= -180 && p[2] <= 180) {
            view = { zoom: Math.max(map.getMinZoom(), Math.min(map.getMaxZoom(), Math.round(p[0]))), lat: p[1], lon: p[2] };
          }
        }
        if (view) { map.setView([view.lat, view.lon], view.zoom, { animate: false }); }
        apply(!view && clip !== null);
        if (!view && clip === null) { openingView(); }
        return !!view || clip !== null;
      } finally {
        applyingHash = false;
      }
    }
    window.addEventListener("hashchange", function () {
      if (location.hash === "#" + lastHash) { return; }
      applyHash(location.hash);
      redraw();
    });

    function openingView() {
      var v = data.view;
      if (!v) { map.setView([20, 0], 2, { animate: false }); return; }
      var b = v.bounds;
      if (b[0][0] === b[1][0] && b[0][1] === b[1][1]) { map.setView(b[0], 14, { animate: false }); }
      else { map.fitBounds(b, { paddingTopLeft: [40, 60], paddingBottomRight: [150, 40], maxZoom: 14, animate: false }); }
    }

    // -- first draw (no animation: the page starts where it should)
    var moving = false, ready = false;
    map.on("movestart zoomstart", function () { moving = true; });
    var timings = { labels: 0, frames: 0 };
    map.on("moveend", function () {
      moving = false;
      var t0 = performance.now();
      placeLabels();
      var t1 = performance.now();
      redraw();
      timings.labels = t1 - t0;
      timings.frames = performance.now() - t1;
      scheduleHash();
      settle();
    });
    openingView();
    var fromHash = location.hash && location.hash.length > 1 ? applyHash(location.hash) : false;
    if (!fromHash) { apply(false); }
    fitAttribution();
    placeLabels();
    redraw();
    ready = true;
    container.classList.remove("gv-loading");

    function revealIndex(i) {
      focused = i;
      map.setView([cols.lat[i], cols.lon[i]], Math.max(map.getZoom(), 15), { animate: false });
      redraw();
      return whenIdle();
    }

    var api = {
      map: map,
      frameCount: n,
      locatedFrameCount: M,
      drawnFrameCount: function () { return shownCount; },
      visibleMarkerCount: function () { return drawn.markers; },
      visibleClusterCount: function () { return drawn.clusters; },
      inViewCounts: function () {
        var out = {};
        data.verdicts.forEach(function (v, k) { if (viewState.inView[k]) { out[v] = viewState.inView[k]; } });
        return out;
      },
      outsideViewCount: function () { return viewState.outside; },
      labelAnchors: function () { return placedLabels.slice(); },
      timings: function () { return { labels: timings.labels, frames: timings.frames }; },
      countryFills: function () {
        var out = {};
        geo.regions.forEach(function (r) { if (r.country && !own(out, r.country)) { out[r.country] = r.fill; } });
        return out;
      },
      selectClip: selectClip,
      selectClipIndex: selectClipIndex,
      selectedClip: function () { return filter.clip === null ? null : data.clips[filter.clip]; },
      setVerdicts: setVerdicts,
      activeVerdicts: verdictNames,
      setDateRange: setDateRange,
      permalink: flushHash,
      isLoading: function () {
        var pane = map.getPane("mapPane");
        return busy > 0 || moving || pane.classList.contains("leaflet-zoom-anim") || !ready;
      },
      whenIdle: whenIdle,
      indexOfRow: function (r) { var i = rowIndex[r]; return i === undefined ? -1 : i; },
      revealFrame: function (r) {
        var i = rowIndex[r];
        if (i === undefined || cols.lat[i] === null || !selected[i]) {
          return Promise.reject(new Error("frame of row " + r + " is not drawn"));
        }
        return revealIndex(i).then(function () { return true; });
      },
      openFrame: function (r) {
        var i = rowIndex[r];
        if (i === undefined || cols.lat[i] === null) { throw new Error("frame of row " + r + " is not on the map"); }
        openPopup(i);
      },
      safeHttpUrl: safeHttpUrl
    };
    window.geoverifyMap = api;
    document.dispatchEvent(new CustomEvent("geoverify:ready"));
    return api;
  }

  window.GeoverifyEvidenceMap = { init: init, safeHttpUrl: safeHttpUrl };
})();
