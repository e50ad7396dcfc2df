/*
 * VSC explorer for the static pages of the book: a live decoder that runs in the browser.
 *
 * A chapter's page holds, for each explorer,
 *   <div class="vsc-explorer" id="ID" data-title="..."></div>
 *   <script type="application/json" id="ID-data">{...}</script>
 * written by vsc_lib/web_explorer.py: the MLP decoder's weights (float32, base64), example codes
 * and the dimensions to offer. This script draws, in the div, a picker of examples, one toggle
 * (spike on/off) and one slider (slab value) per offered dimension, and the decoded image, which
 * is redrawn whenever a control moves. The decoder is the library's: z -> ReLU(W1 z + b1) ->
 * W2 h + b2 -> sigmoid (Bernoulli means), or, for the authors' normalised Gaussian likelihood,
 * the sigmoid of the first half of the outputs rescaled so that the brightest pixel is 1.
 * No network access and no other script: it works from file:// like the rest of the book.
 */
(function () {
  "use strict";

  /** base64 string of little-endian float32 values -> Float32Array */
  function floats(b64) {
    const text = atob(b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  /** The decoder's weights as arrays (W1: hidden x latent, W2: outputs x hidden, row-major). */
  function network(data) {
    return { w1: floats(data.w1), b1: floats(data.b1), w2: floats(data.w2), b2: floats(data.b2) };
  }

  /** Pixel values in [0, 1] (channel-major, row-major) decoded from the code z. */
  function decode(data, net, z) {
    const J = data.latent_dim, H = data.hidden;
    const D = data.channels * data.height * data.width;
    const h = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      let s = net.b1[i];
      const row = i * J;
      for (let j = 0; j < J; j++) if (z[j] !== 0) s += net.w1[row + j] * z[j];
      h[i] = s > 0 ? s : 0;
    }
    const out = new Float64Array(D);
    for (let k = 0; k < D; k++) {
      let s = net.b2[k];
      const row = k * H;
      for (let i = 0; i < H; i++) s += net.w2[row + i] * h[i];
      out[k] = 1 / (1 + Math.exp(-s));
    }
    if (data.post === "normalised") {
      let peak = 1e-12;
      for (let k = 0; k < D; k++) peak = Math.max(peak, out[k]);
      for (let k = 0; k < D; k++) out[k] = Math.min(1, out[k] / peak);
    }
    return out;
  }

  /** Draw the first channel of the pixels as grey levels, each pixel a scale x scale square. */
  function draw(canvas, data, pixels) {
    const W = data.width, Hh = data.height;
    const context = canvas.getContext("2d");
    const image = context.createImageData(W, Hh);
    for (let k = 0; k < W * Hh; k++) {
      const grey = Math.round(255 * (1 - pixels[k]));  // ink dark on white, as the book's figures
      image.data[4 * k] = image.data[4 * k + 1] = image.data[4 * k + 2] = grey;
      image.data[4 * k + 3] = 255;
    }
    const small = document.createElement("canvas");
    small.width = W;
    small.height = Hh;
    small.getContext("2d").putImageData(image, 0, 0);
    context.imageSmoothingEnabled = false;
    context.drawImage(small, 0, 0, canvas.width, canvas.height);
    canvas.dataset.pixels = Array.from(pixels.slice(0, W * Hh), (p) => p.toFixed(5)).join(",");
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Build the explorer inside root (a div.vsc-explorer) from its data element. */
  function mount(root) {
    if (root.dataset.mounted) return;
    root.dataset.mounted = "yes";
    const data = JSON.parse(document.getElementById(root.id + "-data").textContent);
    const net = network(data);
    const scale = Math.max(4, Math.floor(224 / data.width));
    root.appendChild(element("p", { class: "vsc-explorer-title" }, root.dataset.title || "VSC explorer"));
    const picker = element("select", { "aria-label": "example", class: "vsc-explorer-example" });
    data.examples.forEach((example, i) => picker.appendChild(element("option", { value: String(i) }, example.label)));
    const canvas = element("canvas", { width: String(data.width * scale), height: String(data.height * scale),
                                        class: "vsc-explorer-image", "aria-label": "decoded image" });
    const controls = element("div", { class: "vsc-explorer-controls" });
    const layout = element("div", { style: "display:flex;gap:1.5em;align-items:flex-start;flex-wrap:wrap" });
    const left = element("div");
    left.append(picker, element("br"), canvas);
    layout.append(left, controls);
    root.appendChild(layout);
    let z = null;

    function redraw() {
      draw(canvas, data, decode(data, net, z));
    }

    function show(index) {
      const example = data.examples[index];
      z = Float64Array.from(example.code);
      controls.replaceChildren();
      for (const j of example.dims) {
        const row = element("div", { class: "vsc-explorer-dim", "data-dim": String(j),
                                     style: "display:flex;gap:0.6em;align-items:center;margin:0.15em 0" });
        const name = data.names[String(j)];
        const toggle = element("input", { type: "checkbox", "aria-label": "dimension " + j + " on" });
        toggle.checked = z[j] !== 0;
        const [low, high] = data.range;
        const start = z[j] !== 0 ? z[j] : 1.0;
        const slider = element("input", { type: "range", min: String(low), max: String(high), step: "0.05",
                                          value: String(start), "aria-label": "dimension " + j + " value" });
        const value = element("span", { style: "width:3.5em;font-variant-numeric:tabular-nums" }, start.toFixed(2));
        const apply = () => {
          z[j] = toggle.checked ? Number(slider.value) : 0;
          value.textContent = Number(slider.value).toFixed(2);
          slider.disabled = !toggle.checked;
          redraw();
        };
        slider.disabled = !toggle.checked;
        toggle.addEventListener("change", apply);
        slider.addEventListener("input", apply);
        const label = element("label", { style: "width:9em" }, "z" + j + (name ? " (" + name + ")" : ""));
        label.prepend(toggle);
        row.append(label, slider, value);
        controls.appendChild(row);
      }
      redraw();
    }

    picker.addEventListener("change", () => show(Number(picker.value)));
    show(0);
  }

  window.VSCExplorer = window.VSCExplorer || { floats, network, decode, mount };
  document.querySelectorAll("div.vsc-explorer").forEach(window.VSCExplorer.mount);
})();
