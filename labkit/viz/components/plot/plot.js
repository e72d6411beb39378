// labkit's plot component: Streamlit's component protocol (v1) in a few lines, and one plotly figure.
//
// Streamlit -> here: {type: "streamlit:render", args: {spec, figure_key, selection_key, config, height, select}},
//   where spec is the figure's JSON as bytes (plotly's typed-array encoding: {dtype: "f4", bdata: base64}),
//   figure_key names the figure (a new key draws it again; the same key leaves the plot, its frame and its
//   selection as they are).
// here -> Streamlit: componentReady (index.html), setFrameHeight, and setComponentValue with
//   {figure: selection_key, selection: {codes: [...]}}: the customdata (point codes) of a lasso, a box
//   or a click, and what the codes name (the run and space: another opening frame names the same points).
//
// Frames. A WebGL figure whose animated traces are all markers (the Distribution plot's generated points) is
// played here without plotly's frames: plotly draws the static traces (real points, rings) once with
// WebGL, and each frame's generated points are rasterised into a 2-D canvas laid between plotly's
// background and its WebGL layer (so real points stay above them). A frame change redraws that canvas
// and the title only; plotly's WebGL scene, which in software WebGL takes most of a second to repaint
// 20,000 points, is never redrawn. The slider and Play/Pause are plotly's own, with method "skip": this
// file listens to them. A lasso or box selects generated points too (tested against the frame's points
// here); the PNG button draws the full figure, the frame's generated points included. Other figures
// (density contours) are animated with plotly's frames, as plotly does.
(function () {
  "use strict";
  var gd = document.getElementById("plot");
  var shown = null;   // key of the figure on screen
  var owner = null;   // what a selection is made on (the points its codes name), sent back with it
  var drawing = null; // the figure being drawn (a promise)
  var next = null;    // the newest render message that came while drawing
  var fast = null;    // the own-frames state of the figure on screen (null: plotly's frames)

  function send(type, data) {
    var msg = { isStreamlitMessage: true, type: type };
    for (var k in data) { msg[k] = data[k]; }
    window.parent.postMessage(msg, "*");
  }

  // ------------------------------------------------------------------------------ typed arrays
  var TYPES = { f4: Float32Array, f8: Float64Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
    u2: Uint16Array, i1: Int8Array, u1: Uint8Array };
  function decode(v) {
    if (v && typeof v === "object" && v.bdata !== undefined) {
      var bin = atob(v.bdata), u8 = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { u8[i] = bin.charCodeAt(i); }
      return new TYPES[String(v.dtype).replace(/^[<|=]/, "")](u8.buffer);
    }
    return v || [];
  }

  // ------------------------------------------------------------------------------ own frames
  // Only WebGL figures (over 5,000 points: figures.WEBGL_ABOVE): the canvas lies under plotly's WebGL
  // layer, so the real points stay above the generated ones; small SVG figures animate quickly anyway.
  function markersOnly(fig) {
    var frames = fig.frames || [];
    if (!frames.length || !fig.layout.sliders || !fig.layout.sliders.length) { return false; }
    return frames.every(function (f) {
      return (f.data || []).every(function (t) {
        return t.type === "scattergl" && t.mode === "markers";
      });
    });
  }

  // The frames' generated groups, decoded once; the figure's animated traces keep their legend and style
  // but no points; slider steps and Play/Pause become "skip" (this file plays them).
  function ownFrames(fig) {
    var frames = {}, order = [], playArgs = null;
    fig.frames.forEach(function (f) {
      order.push(String(f.name));
      frames[String(f.name)] = {
        layout: f.layout || {},
        groups: (f.data || []).map(function (t, j) {
          var m = t.marker || {};
          return { trace: (f.traces || [])[j], raw: t, x: null, y: null, codes: null,
            color: m.color || "#009E73", size: m.size || 6, opacity: m.opacity === undefined ? 1 : m.opacity,
            symbol: m.symbol || "circle", xaxis: t.xaxis || "x", yaxis: t.yaxis || "y" };
        }),
      };
    });
    var animated = fig.frames[0].traces || [];
    // One empty point each, so plotly keeps the traces (their legend entries; a trace without points is off).
    animated.forEach(function (i) { fig.data[i].x = [null]; fig.data[i].y = [null]; fig.data[i].customdata = [null]; });
    var slider = fig.layout.sliders[0];
    slider.steps.forEach(function (s) { s.method = "skip"; s.execute = true; });
    (fig.layout.updatemenus || []).forEach(function (menu) {
      (menu.buttons || []).forEach(function (b) {
        if (b.method === "animate") {
          if (b.args && b.args[0] === null) { playArgs = b.args[1] || {}; }
          b.method = "skip"; b.execute = true;
        }
      });
    });
    var active = slider.active || 0;
    var duration = playArgs && playArgs.frame && playArgs.frame.duration ? playArgs.frame.duration : 600;
    delete fig.frames;
    return { frames: frames, order: order, current: order[active], timer: null, duration: duration,
      canvas: null, acc: null, touched: null };
  }

  // A frame's groups with their arrays decoded (on first use: the first draw waits for one frame only).
  function groupsOf(name) {
    var frame = fast && fast.frames[name];
    if (!frame) { return []; }
    frame.groups.forEach(function (g) {
      if (g.x === null) {
        g.x = decode(g.raw.x); g.y = decode(g.raw.y); g.codes = decode(g.raw.customdata); g.raw = null;
      }
    });
    return frame.groups;
  }

  // Pixels of a marker of `size` (offsets from its centre): an "x" as two diagonals, else a disc.
  var shapes = {};
  function shape(symbol, size) {
    var key = symbol + ":" + size;
    if (shapes[key]) { return shapes[key]; }
    var out = [], r = Math.max(1, Math.round(size / 2)), dx, dy;
    if (String(symbol).indexOf("x") === 0) {
      for (dx = -r; dx <= r; dx++) { out.push([dx, dx]); if (dx !== 0) { out.push([dx, -dx]); } }
    } else {
      for (dy = -r; dy <= r; dy++) { for (dx = -r; dx <= r; dx++) { if (dx * dx + dy * dy <= r * r) { out.push([dx, dy]); } } }
    }
    shapes[key] = out;
    return out;
  }

  function rgb(color) {
    var c = String(color).replace("#", "");
    if (c.length === 3) { c = c[0] + c[0] + c[1] + c[1] + c[2] + c[2]; }
    return [parseInt(c.slice(0, 2), 16) / 255, parseInt(c.slice(2, 4), 16) / 255, parseInt(c.slice(4, 6), 16) / 255];
  }

  function shownTrace(i) {  // not hidden from the legend
    var t = gd.data[i];
    return !t || t.visible === undefined || t.visible === true;
  }

  function axisOf(id, letter) {
    var name = letter + "axis" + String(id).slice(1);
    return gd._fullLayout[name];
  }

  // Rasterise the current frame's generated points into the canvas under plotly's WebGL layer:
  // "over" blending in a premultiplied float buffer, only the pixels touched, one putImageData.
  function paint() {
    if (!fast || !gd._fullLayout) { return; }
    var full = gd._fullLayout, dpr = window.devicePixelRatio || 1;
    var W = Math.round(full.width * dpr), H = Math.round(full.height * dpr);
    var c = fast.canvas;
    var container = gd.querySelector(".svg-container");
    if (!container) { return; }
    if (!c || c.parentNode !== container) {
      c = fast.canvas = document.createElement("canvas");
      c.className = "labkit-frame-layer";
      c.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;";
      container.insertBefore(c, container.querySelector(".gl-container") || container.children[1] || null);
    }
    if (c.width !== W || c.height !== H || !fast.acc) {
      c.width = W; c.height = H;
      c.style.width = full.width + "px"; c.style.height = full.height + "px";
      fast.acc = new Float32Array(W * H * 4);
      fast.image = c.getContext("2d").createImageData(W, H);
      fast.touched = [];
    }
    var acc = fast.acc, data = fast.image.data, touched = fast.touched, i, o;
    for (i = 0; i < touched.length; i++) { o = touched[i]; acc[o] = acc[o + 1] = acc[o + 2] = acc[o + 3] = 0; data[o + 3] = 0; }
    var now = [];
    groupsOf(fast.current).forEach(function (g) {
      if (!shownTrace(g.trace)) { return; }
      var xa = axisOf(g.xaxis, "x"), ya = axisOf(g.yaxis, "y");
      if (!xa || !ya) { return; }
      var col = rgb(g.color), a = Math.min(1, Math.max(0, g.opacity)), f = 1 - a;
      var pix = shape(g.symbol, Math.max(1, Math.round(g.size * dpr)));
      var x0 = xa._offset, x1 = xa._offset + xa._length, y0 = ya._offset, y1 = ya._offset + ya._length;
      var cr = col[0] * a, cg = col[1] * a, cb = col[2] * a;
      for (var k = 0; k < g.x.length; k++) {
        var px = x0 + xa.l2p(g.x[k]), py = y0 + ya.l2p(g.y[k]);
        if (!(px >= x0 && px <= x1 && py >= y0 && py <= y1)) { continue; }
        var cx = Math.round(px * dpr), cy = Math.round(py * dpr);
        for (var p = 0; p < pix.length; p++) {
          var x = cx + pix[p][0], y = cy + pix[p][1];
          if (x < 0 || y < 0 || x >= W || y >= H) { continue; }
          o = (y * W + x) * 4;
          if (acc[o + 3] === 0) { now.push(o); }
          acc[o] = cr + acc[o] * f; acc[o + 1] = cg + acc[o + 1] * f; acc[o + 2] = cb + acc[o + 2] * f;
          acc[o + 3] = a + acc[o + 3] * f;
        }
      }
    });
    for (i = 0; i < now.length; i++) {
      o = now[i];
      var A = acc[o + 3];
      data[o] = 255 * acc[o] / A; data[o + 1] = 255 * acc[o + 1] / A; data[o + 2] = 255 * acc[o + 2] / A;
      data[o + 3] = 255 * A;
    }
    fast.touched = now;
    c.getContext("2d").putImageData(fast.image, 0, 0);
  }

  // Show frame `name`: its points, and its layout (a title is set in place; other changes by relayout).
  function showFrame(name, moveSlider) {
    if (!fast || !fast.frames[name]) { return; }
    fast.current = name;
    paint();
    var lay = fast.frames[name].layout, update = {};
    if (lay.title && lay.title.text !== undefined) {
      var el = gd.querySelector(".gtitle");
      gd.layout.title = Object.assign({}, gd.layout.title || {}, { text: lay.title.text });
      if (gd._fullLayout.title) { gd._fullLayout.title.text = lay.title.text; }
      if (el) { el.textContent = lay.title.text; } else { update["title.text"] = lay.title.text; }
    }
    if (lay.annotations) { update.annotations = lay.annotations; }
    if (moveSlider) { update["sliders[0].active"] = fast.order.indexOf(name); }
    if (Object.keys(update).length) { Plotly.relayout(gd, update); }
  }

  function stop() { if (fast && fast.timer !== null) { clearInterval(fast.timer); fast.timer = null; } }

  function play() {
    stop();
    var i = fast.order.indexOf(fast.current);
    if (i >= fast.order.length - 1) { i = -1; }
    var step = function () {
      i += 1;
      if (i >= fast.order.length) { stop(); return; }
      showFrame(fast.order[i], true);
      if (i === fast.order.length - 1) { stop(); }
    };
    step();
    fast.timer = setInterval(step, fast.duration);
  }

  // ------------------------------------------------------------------------------ selections
  function codesOf(points) {
    var out = [];
    for (var i = 0; i < (points || []).length; i++) {
      var c = points[i].customdata;
      if (Array.isArray(c)) { c = c.length ? c[0] : null; }
      if (c !== null && c !== undefined) { out.push(Number(c)); }
    }
    return out;
  }

  function inside(poly, x, y) {
    var hit = false;
    for (var i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      var xi = poly[i][0], yi = poly[i][1], xj = poly[j][0], yj = poly[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { hit = !hit; }
    }
    return hit;
  }

  // The frame's generated points inside a lasso or box (plotly's selection event), as codes.
  function generatedIn(ev) {
    var out = [];
    if (!fast || !ev) { return out; }
    groupsOf(fast.current).forEach(function (g) {
      if (!shownTrace(g.trace)) { return; }
      var test = null;
      if (ev.lassoPoints && ev.lassoPoints[g.xaxis] && ev.lassoPoints[g.yaxis]) {
        var lx = ev.lassoPoints[g.xaxis], ly = ev.lassoPoints[g.yaxis], poly = [];
        for (var i = 0; i < lx.length; i++) { poly.push([lx[i], ly[i]]); }
        test = function (x, y) { return inside(poly, x, y); };
      } else if (ev.range && ev.range[g.xaxis] && ev.range[g.yaxis]) {
        var rx = ev.range[g.xaxis], ry = ev.range[g.yaxis];
        var ax = Math.min(rx[0], rx[1]), bx = Math.max(rx[0], rx[1]), ay = Math.min(ry[0], ry[1]), by = Math.max(ry[0], ry[1]);
        test = function (x, y) { return x >= ax && x <= bx && y >= ay && y <= by; };
      }
      if (test === null) { return; }
      for (var k = 0; k < g.x.length; k++) { if (test(g.x[k], g.y[k])) { out.push(Number(g.codes[k])); } }
    });
    return out;
  }

  function selected(codes) {
    send("streamlit:setComponentValue", { value: { figure: owner, selection: { codes: codes } }, dataType: "json" });
  }

  function listen(select) {
    gd.on("plotly_afterplot", paint);
    gd.on("plotly_sliderchange", function (ev) {
      if (!fast || !ev || !ev.step) { return; }
      if (ev.step.label !== undefined && fast.frames[String(ev.step.label)]) {
        if (ev.interaction) { stop(); }
        if (String(ev.step.label) !== fast.current) { showFrame(String(ev.step.label), false); }
      }
    });
    gd.on("plotly_buttonclicked", function (ev) {
      if (!fast || !ev || !ev.button || ev.button.method !== "skip") { return; }
      if (ev.button.args && ev.button.args[0] === null) { play(); } else { stop(); }
    });
    if (!select) { return; }
    // Generated points first, in the order plotly lists its traces (the generated ones come first).
    gd.on("plotly_selected", function (ev) { if (ev) { selected(generatedIn(ev).concat(codesOf(ev.points))); } });
    gd.on("plotly_click", function (ev) { if (ev) { selected(codesOf(ev.points)); } });
    gd.on("plotly_deselect", function () { selected([]); });
  }

  // The PNG button: the whole figure, the frame's generated points included (they are not plotly's here).
  function fullFigure() {
    var data = gd.data.map(function (t) { return Object.assign({}, t); });
    (fast ? groupsOf(fast.current) : []).forEach(function (g) {
      data[g.trace] = Object.assign({}, data[g.trace], { x: Array.from(g.x), y: Array.from(g.y) });
    });
    return { data: data, layout: Object.assign({}, gd.layout, { sliders: [], updatemenus: [] }) };
  }

  function pngButton(options) {
    return {
      name: "Download plot as a PNG",
      title: "Download plot as a PNG",
      icon: Plotly.Icons.camera,
      click: function () {
        var o = Object.assign({ format: "png", filename: "labkit-figure", scale: 1 }, options || {});
        o.width = gd._fullLayout.width; o.height = gd._fullLayout.height;
        Plotly.downloadImage(fullFigure(), o);
      },
    };
  }

  // ------------------------------------------------------------------------------ drawing
  function draw(args) {
    performance.mark("labkit:draw-start");
    var fig = JSON.parse(new TextDecoder().decode(args.spec));
    var first = shown === null;
    shown = args.figure_key;
    owner = args.selection_key || args.figure_key;
    stop();
    var config = Object.assign({ responsive: true }, args.config || {});
    fast = markersOnly(fig) ? ownFrames(fig) : null;
    if (fast) {
      config.modeBarButtonsToRemove = ["toImage"];
      config.modeBarButtonsToAdd = [pngButton(config.toImageButtonOptions)];
    }
    var done = (first ? Plotly.newPlot : Plotly.react)(gd, {
      data: fig.data, layout: fig.layout, frames: fig.frames || [], config: config,
    });
    return Promise.resolve(done).then(function () {
      if (first) { listen(args.select); }
      paint();
      // The other frames' arrays are decoded once the first draw is painted, one frame per task.
      var state = fast;
      requestAnimationFrame(function () {
        (state ? state.order : []).forEach(function (name) {
          setTimeout(function () { if (fast === state) { groupsOf(name); } }, 0);
        });
      });
      document.body.dataset.figure = shown; // for tests: which figure is drawn
      performance.mark("labkit:drawn");
      // index.html already sent the first figure's height with its first message; the drawn height is
      // sent after every draw all the same (a figure of another height, or an iframe Streamlit laid out
      // again, must never keep a frame that cuts the plot off)
      var height = Math.ceil(gd.getBoundingClientRect().height);
      window.__labkitHeight = height;
      send("streamlit:setFrameHeight", { height: height });
    });
  }

  function render(msg) {
    var args = msg.args || {};
    if (args.figure_key === shown && drawing === null) { return; }
    if (drawing !== null) { next = msg; return; }
    drawing = draw(args).catch(function (err) {
      document.body.textContent = "labkit plot: " + err;
      send("streamlit:setFrameHeight", { height: 60 });
    }).then(function () {
      drawing = null;
      if (next !== null) { var m = next; next = null; render(m); }
    });
  }

  if (typeof Plotly === "undefined") {
    document.body.textContent = "labkit plot: plotly.min.js did not load";
    send("streamlit:setFrameHeight", { height: 60 });
    return;
  }
  window.addEventListener("message", function (ev) {
    if (ev.data && ev.data.type === "streamlit:render") { render(ev.data); }
  });
  if (window.__labkitPending) { var m = window.__labkitPending; window.__labkitPending = null; render(m); }
})();
