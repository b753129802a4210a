// charts.js — ECharts options whose labels never overlap, at any width (375 px to desktop).
//
//   barList(items, { value: (it) => it.n, name: '件数' })   // one horizontal bar per item
//   barListHeight(items)                                  // the height that keeps one label per bar
//   trend(months, series, { narrow })                     // a category x axis of months
//
// The rules: a category axis with many names runs vertically (horizontal bars), one row of
// BAR_ROW px per item so every name has its own line, each name truncated to a width with
// an ellipsis (the full name is in the tooltip); a horizontal category axis leaves labels
// out where they would collide (interval 'auto' + hideOverlap) instead of rotating them;
// legends scroll instead of wrapping over the plot. Used with <ChartBox renderer="svg">,
// whose text the browser tests measure (tests/web/supervisor_analysis.test.mjs).

export const BAR_ROW = 30

/** The height of a barList chart of items (px, as a CSS length). */
export function barListHeight(items, min = 160) {
  return `${Math.max(min, items.length * BAR_ROW + 70)}px`
}

const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10)

/**
 * Horizontal bars, one per item (busiest first, top to bottom). opts: value(item) -> number,
 * name (series name), labelWidth (px of the names, default 96), percent (values are rates).
 */
export function barList(items, opts = {}) {
  const value = opts.value || ((it) => it.n)
  const percent = !!opts.percent
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true,
      valueFormatter: percent ? (v) => (v === null || v === undefined ? '—' : `${v}%`) : undefined },
    grid: { left: 8, right: 24, top: 10, bottom: 24, containLabel: true },
    xAxis: { type: 'value', minInterval: percent ? undefined : 1, max: percent ? 100 : undefined,
      axisLabel: { hideOverlap: true, formatter: percent ? '{value}%' : '{value}' }, splitNumber: 3 },
    yAxis: { type: 'category', inverse: true, data: items.map((it) => it.label),
      axisLabel: { interval: 0, width: opts.labelWidth || 96, overflow: 'truncate', ellipsis: '…' },
      axisTick: { show: false } },
    series: [{ name: opts.name || '件数', type: 'bar', barMaxWidth: 18,
      data: items.map((it) => (percent ? pct(value(it)) : value(it))) }],
  }
}

/**
 * Months on the x axis (labels skipped where they would collide, never rotated), bars of
 * counts on the left axis and, with a rate series, a line on a percent axis on the right.
 * series: [{ name, value(item), rate: bool }].
 */
export function trend(items, series) {
  const rates = series.some((s) => s.rate)
  return {
    tooltip: { trigger: 'axis', confine: true },
    legend: { type: 'scroll', top: 0, data: series.map((s) => s.name) },
    grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: 'category', data: items.map((it) => it.label),
      axisLabel: { interval: 'auto', hideOverlap: true, width: 80, overflow: 'truncate' } },
    yAxis: [
      { type: 'value', minInterval: 1, splitNumber: 4, axisLabel: { hideOverlap: true } },
      ...(rates ? [{ type: 'value', min: 0, max: 100, splitNumber: 4,
        axisLabel: { formatter: '{value}%', hideOverlap: true } }] : []),
    ],
    series: series.map((s) => (s.rate
      ? { name: s.name, type: 'line', yAxisIndex: 1, connectNulls: true, data: items.map((it) => pct(s.value(it))) }
      : { name: s.name, type: 'bar', barMaxWidth: 24, data: items.map((it) => s.value(it)) })),
  }
}

/** A pie with its names in a scrolling legend (no slice labels to collide). */
export function pie(items, name) {
  return {
    tooltip: { trigger: 'item', confine: true, formatter: '{b}：{c} 件（{d}%）' },
    legend: { type: 'scroll', bottom: 0, data: items.map((it) => it.label) },
    series: [{ name, type: 'pie', radius: ['35%', '62%'], center: ['50%', '44%'], label: { show: false },
      data: items.map((it) => ({ name: it.label, value: it.n })) }],
  }
}
