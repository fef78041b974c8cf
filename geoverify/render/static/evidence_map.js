/* geoverify evidence map: draws the frames embedded in the page's JSON data.
 *
 * Every value that came from a claims file is put into the page with
 * textContent / setAttribute / createElement, never as HTML. Popups are
 * built when a marker is clicked. Only http(s) URLs become links.
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

  // ---- the map -------------------------------------------------------------

  function init(map, dataElementId) {
    var data = JSON.parse(document.getElementById(dataElementId).textContent);
    var n = data.n;
    var cols = data.columns;
    var style = data.style;
    var unit = data.distanceUnit;

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
    function colourOf(v) { return own(style.verdictColours, data.verdicts[v]) || style.unknownColour; }

    var container = map.getContainer();
    container.classList.add("gv-map");

    // -- panes: polygons under borders under labels under markers
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

    // -- boundaries (display only)
    var geo = data.geo;
    if (geo.adm0.length) {
      L.geoJSON({ type: "FeatureCollection", features: geo.adm0 }, {
        pane: "gvCountries", interactive: false,
        style: function (f) {
          return { color: "#9a9a9a", weight: 1, fillColor: f.properties.fill, fillOpacity: 1 };
        }
      }).addTo(map);
    }
    if (geo.adm1.length) {
      L.geoJSON({ type: "FeatureCollection", features: geo.adm1 }, {
        pane: "gvRegions", interactive: false,
        style: function () { return { color: style.regionLine, weight: 1.2, opacity: 0.9, fill: false }; }
      }).addTo(map);
    }
    if (geo.borders.length) {
      var fc = { type: "FeatureCollection", features: geo.borders };
      L.geoJSON(fc, { pane: "gvBorders", interactive: false,
        style: function () { return { color: "#ffffff", weight: 7, opacity: 0.8 }; } }).addTo(map);
      L.geoJSON(fc, { pane: "gvBorders", interactive: false,
        style: function () { return { color: style.border, weight: 3.5, opacity: 1 }; } }).addTo(map);
    }
    var claimedLayer = L.layerGroup().addTo(map);

    // -- labels: placed inside the visible part of each polygon after every move
    var labelLayer = L.layerGroup().addTo(map);
    var labelShapes = [];
    function collectLabelShapes(features, kind) {
      features.forEach(function (f) {
        var name = f.properties.name;
        if (!name) { return; }
        var g = f.geometry;
        var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
        var rings = polys.map(function (p) {
          return p[0].map(function (c) { return L.latLng(c[1], c[0]); });
        });
        if (rings.length) {
          var text = name;
          if (kind === "region" && f.properties.country) { text = name + " (" + f.properties.country + ")"; }
          labelShapes.push({ kind: kind, text: text, rings: rings });
        }
      });
    }
    collectLabelShapes(geo.adm0, "country");
    collectLabelShapes(geo.adm1, "region");

    function ringArea(pts) {
      var a = 0;
      for (var i = 0, j = pts.length - 1; i < pts.length; j = i++) { a += (pts[j].x + pts[i].x) * (pts[j].y - pts[i].y); }
      return Math.abs(a / 2);
    }
    function insidePoint(pts) {
      // Widest horizontal run inside the polygon, on the scanline through its vertical middle.
      var minY = Infinity, maxY = -Infinity;
      pts.forEach(function (p) { if (p.y < minY) { minY = p.y; } if (p.y > maxY) { maxY = p.y; } });
      var best = null;
      [0.5, 0.35, 0.65].forEach(function (t) {
        if (best) { return; }
        var y = minY + (maxY - minY) * t + 0.01, xs = [];
        for (var i = 0, j = pts.length - 1; i < pts.length; j = i++) {
          var a = pts[i], b = pts[j];
          if ((a.y > y) !== (b.y > y)) { xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)); }
        }
        xs.sort(function (u, v) { return u - v; });
        var width = 0;
        for (var k = 0; k + 1 < xs.length; k += 2) {
          if (xs[k + 1] - xs[k] > width) { width = xs[k + 1] - xs[k]; best = L.point((xs[k] + xs[k + 1]) / 2, y); }
        }
      });
      return best;
    }
    function placeLabels() {
      labelLayer.clearLayers();
      var zoom = map.getZoom();
      var size = map.getSize();
      var view = L.bounds(map.containerPointToLayerPoint([24, 24]), map.containerPointToLayerPoint([size.x - 24, size.y - 24]));
      var placed = [];
      labelShapes.forEach(function (shape) {
        if (shape.kind === "region" && zoom < 6) { return; }
        var bestPts = null, bestArea = 0;
        shape.rings.forEach(function (ring) {
          var pts = L.PolyUtil.clipPolygon(ring.map(function (ll) { return map.latLngToLayerPoint(ll); }), view);
          var area = pts.length > 2 ? ringArea(pts) : 0;
          if (area > bestArea) { bestArea = area; bestPts = pts; }
        });
        if (!bestPts || bestArea < 2500) { return; }
        var at = insidePoint(bestPts);
        if (!at) { return; }
        var width = shape.text.length * (shape.kind === "country" ? 11 : 7) + 10, height = 18;
        for (var attempt = 0; attempt < 5; attempt++) {
          var dy = [0, 22, -22, 44, -44][attempt];
          var box = L.bounds([at.x - width / 2, at.y + dy - height / 2], [at.x + width / 2, at.y + dy + height / 2]);
          var clash = placed.some(function (other) { return other.intersects(box); });
          if (!clash) {
            placed.push(box);
            var node = el("span", "gv-label-text", shape.text);
            L.marker(map.layerPointToLatLng(L.point(at.x, at.y + dy)), {
              pane: "gvLabels", interactive: false, keyboard: false,
              icon: L.divIcon({ className: "gv-label gv-label-" + shape.kind, html: node, iconSize: null })
            }).addTo(labelLayer);
            return;
          }
        }
      });
    }
    map.on("moveend", placeLabels);
    if (data.attributionHtml && map.attributionControl) {
      // Escaped by geoverify when the page was built.
      map.attributionControl.addAttribution(data.attributionHtml);
    }

    // -- markers (created once; the cluster group holds the filtered subset)
    var icons = {};
    function iconFor(v, c) {
      var key = v + ":" + c;
      if (!icons[key]) {
        var shapes = style.shapes, outlines = style.outlines;
        var svg = '<svg class="gv-shape" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">' +
          '<g fill="' + colourOf(v) + '" stroke="' + outlines[Math.floor(c / shapes.length) % outlines.length] +
          '" stroke-width="1.6" stroke-linejoin="round">' + shapes[c % shapes.length] + "</g></svg>";
        icons[key] = L.divIcon({ className: "gv-marker", html: svg, iconSize: [18, 18], iconAnchor: [9, 9], popupAnchor: [0, -8] });
      }
      return icons[key];
    }

    var FrameMarker = L.Marker.extend({
      _initIcon: function () {
        L.Marker.prototype._initIcon.call(this);
        var i = this.gvIndex, icon = this._icon;
        icon.setAttribute("data-gv-row", String(rowOf(i)));
        icon.setAttribute("data-gv-verdict", verdictOf(i));
        var frame = str(cols.frame, i);
        icon.setAttribute("aria-label", verdictOf(i) + ": " + clipName(cols.clip[i]) + (frame ? " at " + frame : ""));
        icon.setAttribute("title", verdictOf(i) + " - " + clipName(cols.clip[i]) + (frame ? " @ " + frame : ""));
      }
    });

    var markers = new Array(n);
    var located = 0;
    var rowIndex = Object.create(null);
    var dates = new Array(n);
    var hasDates = !!data.dateRange;
    for (var i = 0; i < n; i++) {
      rowIndex[rowOf(i)] = i;
      if (hasDates) { dates[i] = isoDate(str(cols.date, i)); }
      var lat = cols.lat[i], lon = cols.lon[i];
      if (lat === null || lon === null) { continue; }
      var marker = new FrameMarker([lat, lon], { icon: iconFor(cols.verdict[i], cols.clip[i]), keyboard: true });
      marker.gvIndex = i;
      markers[i] = marker;
      located++;
    }

    // -- loading state (markercluster adds big batches in timed chunks)
    var loading = false, pending = null, waiters = [], expected = 0;
    function finishLoading() {
      if (!loading) { return; }
      loading = false;
      if (pending) { var fit = pending.fit; pending = null; apply(fit); return; }
      container.classList.remove("gv-loading");
      var ws = waiters; waiters = [];
      ws.forEach(function (resolve) { resolve(); });
      document.dispatchEvent(new CustomEvent("geoverify:idle"));
    }
    var cluster = L.markerClusterGroup({
      chunkedLoading: true,
      chunkInterval: 120,
      chunkDelay: 20,
      chunkProgress: function (processed, total) {
        // markercluster also reports its own (empty) batch when added to the map
        if (loading && total === expected && processed >= total) { setTimeout(finishLoading, 0); }
      },
      showCoverageOnHover: false,
      maxClusterRadius: located > 2000 ? 60 : 30,
      spiderfyOnMaxZoom: true,
      removeOutsideVisibleBounds: true
    });
    map.addLayer(cluster);

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
      swatch.style.backgroundColor = colourOf(cols.verdict[i]);
      head.appendChild(swatch);
      head.appendChild(el("strong", "gv-popup-verdict", v));
      var label = own(style.verdictLabels, v);
      if (label) { head.appendChild(el("span", "gv-popup-verdict-desc", label)); }
      root.appendChild(head);

      var title = el("div", "gv-popup-title");
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
    cluster.on("click", function (e) {
      if (e.layer && e.layer.gvIndex !== undefined) { openPopup(e.layer.gvIndex); }
    });

    // -- filtering: clip x dates
    var filter = { clip: null, from: null, to: null, undated: true };

    function passes(i) {
      if (filter.clip !== null && cols.clip[i] !== filter.clip) { return false; }
      if (filter.from || filter.to) {
        var d = dates[i];
        if (!d) { return filter.undated; }
        if (filter.from && d < filter.from) { return false; }
        if (filter.to && d > filter.to) { return false; }
      }
      return true;
    }

    var legendCounts = document.querySelectorAll("#gv-legend .gv-count");
    var statusNode = document.getElementById("gv-status");
    var selectedCount = 0, shownCount = 0;

    function updateLegend(counts) {
      Array.prototype.forEach.call(legendCounts, function (node) {
        var k = data.verdicts.indexOf(node.getAttribute("data-verdict"));
        node.textContent = String(k < 0 ? 0 : counts[k]);
      });
    }

    function updateStatus() {
      if (!statusNode) { return; }
      var what = filter.clip === null ? "all clips" : "clip \u201c" + clipName(filter.clip) + "\u201d";
      statusNode.textContent = "Showing " + selectedCount + " of " + n + " frames (" + what + "); " +
        shownCount + " on the map.";
    }

    function updateClipButtons() {
      var buttons = document.querySelectorAll(".gv-clip-option");
      Array.prototype.forEach.call(buttons, function (b) {
        var idx = b.getAttribute("data-clip-index");
        var on = (idx === "" && filter.clip === null) || (idx !== "" && Number(idx) === filter.clip);
        b.classList.toggle("gv-selected", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
        var li = b.closest(".gv-clip");
        if (li) { li.classList.toggle("gv-selected", on); }
      });
    }

    function updateClaimed(claimCodes) {
      claimedLayer.clearLayers();
      var feats = [];
      geo.adm1.concat(geo.adm0).forEach(function (f) {
        if (f.properties.code && claimCodes[f.properties.code]) { feats.push(f); }
      });
      if (feats.length) {
        L.geoJSON({ type: "FeatureCollection", features: feats }, {
          pane: "gvClaimed", interactive: false,
          style: function () {
            return { color: style.claimed, weight: 3, dashArray: "8 6", fillColor: style.claimed, fillOpacity: 0.07 };
          }
        }).addTo(claimedLayer);
      }
    }

    function fitTo(indices) {
      if (!indices.length) { return; }
      var south = 90, west = 180, north = -90, east = -180;
      indices.forEach(function (i) {
        var la = cols.lat[i], lo = cols.lon[i];
        if (la < south) { south = la; } if (la > north) { north = la; }
        if (lo < west) { west = lo; } if (lo > east) { east = lo; }
      });
      if (south === north && west === east) {
        map.setView([south, west], 13);
      } else {
        map.fitBounds([[south, west], [north, east]], { padding: [40, 40], maxZoom: 13 });
      }
    }

    function apply(fit) {
      if (loading) { pending = { fit: (pending && pending.fit) || fit }; return; }
      var counts = data.verdicts.map(function () { return 0; });
      var chosen = [], chosenIdx = [], claimCodes = Object.create(null);
      selectedCount = 0;
      for (var i = 0; i < n; i++) {
        if (!passes(i)) { continue; }
        selectedCount++;
        counts[cols.verdict[i]]++;
        var c = obj(cols.claim, i);
        if (c && c.code) { claimCodes[c.code] = true; }
        if (markers[i]) { chosen.push(markers[i]); chosenIdx.push(i); }
      }
      shownCount = chosen.length;
      map.closePopup();
      loading = true;
      container.classList.add("gv-loading");
      cluster.clearLayers();
      updateLegend(counts);
      updateStatus();
      updateClipButtons();
      updateClaimed(claimCodes);
      if (fit) { fitTo(chosenIdx); }
      expected = chosen.length;
      cluster.addLayers(chosen, true);
    }

    function whenIdle() {
      if (!loading && !pending) { return Promise.resolve(); }
      return new Promise(function (resolve) { waiters.push(resolve); });
    }

    function selectClipIndex(index) {
      if (index !== null && !(index >= 0 && index < data.clips.length)) {
        throw new Error("no clip number " + index);
      }
      filter.clip = index;
      apply(true);
      return whenIdle();
    }

    function selectClip(name) {
      if (name === null || name === undefined) { return selectClipIndex(null); }
      var index = data.clips.indexOf(name);
      if (index < 0 && name === data.noClipName) { index = data.clips.indexOf(null); }
      if (index < 0) { throw new Error("no clip named " + JSON.stringify(name)); }
      return selectClipIndex(index);
    }

    Array.prototype.forEach.call(document.querySelectorAll(".gv-clip-option"), function (b) {
      b.addEventListener("click", function () {
        var idx = b.getAttribute("data-clip-index");
        selectClipIndex(idx === "" ? null : Number(idx));
      });
    });

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

    // -- first draw (no animation: the page starts where it should)
    var moving = false;
    map.on("movestart zoomstart", function () { moving = true; });
    map.on("moveend", function () { moving = false; });
    if (data.bounds) {
      var b = data.bounds;
      if (b[0][0] === b[1][0] && b[0][1] === b[1][1]) { map.setView(b[0], 12, { animate: false }); }
      else { map.fitBounds(b, { padding: [40, 40], maxZoom: 13, animate: false }); }
    } else {
      map.setView([20, 0], 2, { animate: false });
    }
    placeLabels();
    apply(false);

    var api = {
      map: map,
      cluster: cluster,
      frameCount: n,
      locatedFrameCount: located,
      drawnFrameCount: function () { return cluster.getLayers().length; },
      selectClip: selectClip,
      selectClipIndex: selectClipIndex,
      selectedClip: function () { return filter.clip === null ? null : data.clips[filter.clip]; },
      setDateRange: setDateRange,
      isLoading: function () {
        // also busy while the map moves or Leaflet / markercluster animate
        var pane = map.getPane("mapPane");
        return loading || !!pending || moving || pane.classList.contains("leaflet-zoom-anim") ||
          pane.classList.contains("leaflet-cluster-anim");
      },
      whenIdle: whenIdle,
      indexOfRow: function (r) { var i = rowIndex[r]; return i === undefined ? -1 : i; },
      revealFrame: function (r) {
        var i = rowIndex[r], m = i === undefined ? null : markers[i];
        if (!m || !cluster.hasLayer(m)) { return Promise.reject(new Error("frame of row " + r + " is not drawn")); }
        return new Promise(function (resolve, reject) {
          var timer = setTimeout(function () { reject(new Error("frame of row " + r + " could not be shown")); }, 8000);
          cluster.zoomToShowLayer(m, function () { clearTimeout(timer); resolve(true); });
        });
      },
      openFrame: function (r) {
        var i = rowIndex[r];
        if (i === undefined || !markers[i]) { throw new Error("frame of row " + r + " is not on the map"); }
        openPopup(i);
      },
      safeHttpUrl: safeHttpUrl
    };
    window.geoverifyMap = api;
    return api;
  }

  window.GeoverifyEvidenceMap = { init: init, safeHttpUrl: safeHttpUrl };
})();
