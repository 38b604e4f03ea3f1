// A small live line chart on a canvas: a few series over a sliding time window, the y axis scaled
// to a round number above the highest visible value. No dependencies.
//
//   const chart = new LiveChart(canvas, { series: [{ key: 'in', label: 'in', color: '#0b6bcb' }] });
//   chart.push(Date.now(), { in: 12 });

const NICE_STEPS = [1, 2, 2.5, 5, 10];

// The smallest "round" number (1, 2, 2.5 or 5 times a power of ten) at or above value.
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return NICE_STEPS.find((step) => step * power >= value) * power;
}

export class LiveChart {
  /**
   * @param {HTMLCanvasElement} canvas its width follows its CSS width; its height attribute is kept
   * @param {{series: {key: string, label: string, color: string, dash?: number[]}[], windowSeconds?: number,
   *          unit?: string, minimum?: number}} options minimum: the y axis never shows less
   */
  constructor(canvas, { series, windowSeconds = 60, unit = '', minimum = 1 }) {
    this.canvas = canvas;
    this.series = series;
    this.windowMs = windowSeconds * 1000;
    this.unit = unit;
    this.minimum = minimum;
    this.points = []; // { t, values }
    this.cssHeight = canvas.height;
    this.canvas.style.height = `${this.cssHeight}px`;
    this.draw();
  }

  /** Adds a sample (time in ms, values by series key) and redraws. */
  push(time, values) {
    this.points.push({ t: time, values });
    while (this.points.length > 2 && this.points[1].t < time - this.windowMs) this.points.shift();
    this.canvas.dataset.samples = String(Number(this.canvas.dataset.samples || 0) + 1);
    this.draw();
  }

  // Matches the backing store to the displayed size, for sharp lines on any pixel ratio.
  context() {
    const ratio = globalThis.devicePixelRatio || 1;
    const width = this.canvas.clientWidth || this.canvas.width;
    const height = this.cssHeight;
    if (this.canvas.width !== Math.round(width * ratio)) this.canvas.width = Math.round(width * ratio);
    if (this.canvas.height !== Math.round(height * ratio)) this.canvas.height = Math.round(height * ratio);
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx, width, height };
  }

  draw() {
    const { ctx, width, height } = this.context();
    const plot = { left: 48, right: width - 12, top: 24, bottom: height - 22 };
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    const highest = Math.max(this.minimum, ...this.points.flatMap((p) => this.series.map((s) => p.values[s.key] ?? 0)));
    const top = 4 * niceCeiling(highest / 4); // four grid steps of a round size
    this.drawGrid(ctx, plot, top);
    const now = this.points.length ? this.points[this.points.length - 1].t : 0;
    const x = (t) => plot.right - ((now - t) / this.windowMs) * (plot.right - plot.left);
    const y = (v) => plot.bottom - (v / top) * (plot.bottom - plot.top);
    for (const s of this.series) this.drawLine(ctx, plot, s, x, y);
    this.drawLegend(ctx, plot);
  }

  drawGrid(ctx, plot, top) {
    ctx.font = '11px system-ui, "DejaVu Sans", sans-serif';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const value = (top * i) / 4;
      const y = Math.round(plot.bottom - (i / 4) * (plot.bottom - plot.top)) + 0.5;
      ctx.strokeStyle = i === 0 ? '#8c959f' : '#eaeef2';
      ctx.beginPath();
      ctx.moveTo(plot.left, y);
      ctx.lineTo(plot.right, y);
      ctx.stroke();
      ctx.fillStyle = '#656d76';
      ctx.textAlign = 'right';
      ctx.fillText(formatNumber(value) + this.unit, plot.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const seconds = this.windowMs / 1000;
    for (let i = 0; i <= 4; i++) {
      const x = plot.left + (i / 4) * (plot.right - plot.left);
      const ago = Math.round(seconds - (i / 4) * seconds);
      ctx.fillText(ago ? `-${ago}s` : 'now', x, plot.bottom + 5);
    }
  }

  drawLine(ctx, plot, { key, color, dash = [] }, x, y) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.left, plot.top - 2, plot.right - plot.left, plot.bottom - plot.top + 4);
    ctx.clip();
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.setLineDash(dash);
    ctx.beginPath();
    this.points.forEach((p, i) => {
      const px = x(p.t);
      const py = y(p.values[key] ?? 0);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
    ctx.restore();
  }

  // The series' names and latest values, above the plot.
  drawLegend(ctx, plot) {
    const last = this.points[this.points.length - 1];
    ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    let x = plot.left;
    for (const s of this.series) {
      ctx.fillStyle = s.color;
      ctx.fillRect(x, 7, 14, 4);
      ctx.fillStyle = '#1f2328';
      const text = `${s.label}${last ? ' ' + formatNumber(last.values[s.key] ?? 0) + this.unit : ''}`;
      ctx.fillText(text, x + 20, 9);
      x += 20 + ctx.measureText(text).width + 18;
    }
  }
}

/** 1234567 -> "1.23M", 0.5 -> "0.5", 12.345 -> "12.3". */
export function formatNumber(value) {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return String(Number(value.toFixed(abs >= 10 ? 1 : 2)));
}
