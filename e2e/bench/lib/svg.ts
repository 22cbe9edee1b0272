// Side-by-side figures as hand-written SVG: horizontal bars, grouped (one group per scenario, one bar per
// server), each bar optionally stacked from parts (e.g. etcd + kube2sky + skydns). No dependency.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** One part of a bar (a stacked segment). */
export interface BarPart {
  readonly label: string;
  readonly value: number;
}

/** One bar: the server it stands for and its value, or its stacked parts (the value is then their sum). */
export interface Bar {
  readonly series: string;
  readonly value?: number;
  readonly parts?: readonly BarPart[];
  /** Shown after the value, e.g. `0.31× CoreDNS`. */
  readonly note?: string;
}

/** A group of bars under one heading (a scenario). */
export interface BarGroup {
  readonly label: string;
  readonly bars: readonly Bar[];
}

/** A horizontal bar chart. */
export interface BarChart {
  readonly title: string;
  /** The unit on the value axis, e.g. `µs CPU per answered question`. */
  readonly unit: string;
  readonly groups: readonly BarGroup[];
  /** A line under the title (how it was measured). */
  readonly subtitle?: string;
  /** Decimals of the printed values (default 1). */
  readonly decimals?: number;
  /** True when smaller is better (printed in the subtitle line). */
  readonly lowerIsBetter?: boolean;
}

/** Fixed colours per series name (ours first), then a palette for anything else. */
const COLOURS: Record<string, string> = {
  skydns: '#1f77b4',
  'kube-dns-legacy': '#1f77b4',
  'CoreDNS (kubernetes)': '#d62728',
  'CoreDNS (etcd)': '#ff7f0e',
  'Knot DNS': '#2ca02c',
  dnsmasq: '#7f7f7f',
};
const PALETTE = ['#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#aec7e8', '#ffbb78', '#98df8a'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function barValue(b: Bar): number {
  return b.parts === undefined ? (b.value ?? NaN) : b.parts.reduce((n, p) => n + p.value, 0);
}

/** A "nice" axis maximum at or above `max` (1, 2, 2.5 or 5 × a power of ten). */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** The chart as an SVG document. */
export function barChartSvg(c: BarChart): string {
  const decimals = c.decimals ?? 1;
  const colour = new Map<string, string>();
  let next = 0;
  const colourOf = (name: string): string => {
    let col = colour.get(name) ?? COLOURS[name];
    if (col === undefined) col = PALETTE[next++ % PALETTE.length] as string;
    colour.set(name, col);
    return col;
  };
  const labelW = 190;
  const plotW = 430;
  const valueW = 170;
  const width = labelW + plotW + valueW;
  const barH = 16;
  const gap = 4;
  const groupGap = 14;
  const top = c.subtitle === undefined ? 44 : 62;
  const values = c.groups.flatMap((g) => g.bars.map(barValue)).filter((v) => Number.isFinite(v));
  const max = niceMax(Math.max(0, ...values));
  const x = (v: number): number => labelW + (plotW * Math.max(0, v)) / max;
  const out: string[] = [];
  let y = top;
  for (const g of c.groups) {
    out.push(`<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(g.label)}</text>`);
    y += 18;
    for (const b of g.bars) {
      const v = barValue(b);
      out.push(`<text x="${labelW - 6}" y="${y + barH - 4}" text-anchor="end">${escapeXml(b.series)}</text>`);
      if (b.parts === undefined) {
        if (Number.isFinite(v))
          out.push(
            `<rect x="${labelW}" y="${y}" width="${(x(v) - labelW).toFixed(1)}" height="${barH}" fill="${colourOf(b.series)}"><title>${escapeXml(`${b.series}: ${v.toFixed(decimals)} ${c.unit}`)}</title></rect>`,
          );
      } else {
        let at = 0;
        for (const p of b.parts) {
          const x0 = x(at);
          at += p.value;
          out.push(
            `<rect x="${x0.toFixed(1)}" y="${y}" width="${(x(at) - x0).toFixed(1)}" height="${barH}" fill="${colourOf(p.label)}" stroke="#fff" stroke-width="0.5"><title>${escapeXml(`${p.label}: ${p.value.toFixed(decimals)} ${c.unit}`)}</title></rect>`,
          );
        }
      }
      const text = Number.isFinite(v)
        ? `${v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}${b.note === undefined ? '' : ` (${b.note})`}`
        : 'not measured';
      out.push(`<text x="${(Number.isFinite(v) ? x(v) : labelW) + 5}" y="${y + barH - 4}">${escapeXml(text)}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  // Axis: 5 ticks.
  const axisY = y;
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    ticks.push(`<line x1="${x(v)}" y1="${top - 4}" x2="${x(v)}" y2="${axisY}" stroke="#ddd"/>`);
    ticks.push(
      `<text x="${x(v)}" y="${axisY + 14}" text-anchor="middle" fill="#555">${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}</text>`,
    );
  }
  // Legend for stacked parts.
  const legend: string[] = [];
  const partNames = [...new Set(c.groups.flatMap((g) => g.bars.flatMap((b) => (b.parts ?? []).map((p) => p.label))))];
  let lx = labelW;
  const ly = axisY + 34;
  for (const name of partNames) {
    legend.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${colourOf(name)}"/><text x="${lx + 16}" y="${ly}">${escapeXml(name)}</text>`,
    );
    lx += 24 + name.length * 7;
  }
  const height = axisY + (partNames.length > 0 ? 48 : 26);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold">${escapeXml(c.title)}</text>`,
    `<text x="8" y="38" fill="#333">${escapeXml(`${c.unit}${c.lowerIsBetter === undefined ? '' : c.lowerIsBetter ? ' (lower is better)' : ' (higher is better)'}`)}</text>`,
    ...(c.subtitle === undefined
      ? []
      : [`<text x="8" y="54" fill="#555" font-size="11">${escapeXml(c.subtitle)}</text>`]),
    ...ticks,
    ...out,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

/** Write the chart to `file` (directories created). */
export function writeBarChart(file: string, c: BarChart): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, barChartSvg(c));
}
