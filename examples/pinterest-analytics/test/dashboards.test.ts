import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardJson, dashboards, DATASOURCE } from '../deploy/grafana/dashboards.ts';

describe('the Grafana dashboards', () => {
  it('should be checked in exactly as dashboards.ts emits them', () => {
    for (const [file, dashboard] of Object.entries(dashboards)) {
      const checkedIn = readFileSync(new URL(`../deploy/grafana/${file}`, import.meta.url), 'utf8');
      expect(checkedIn, `${file} is stale: run node examples/pinterest-analytics/deploy/grafana/emit-dashboards.ts`).toBe(dashboardJson(dashboard));
    }
  });

  it('should give every panel one Prometheus query on the provisioned datasource, and unique ids and uids', () => {
    const uids = Object.values(dashboards).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const dashboard of Object.values(dashboards)) {
      const panels = dashboard.panels ?? [];
      expect(panels.length).toBeGreaterThan(0);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.datasource).toEqual(DATASOURCE);
        expect('targets' in panel && panel.targets?.length).toBe(1);
        const [target] = 'targets' in panel ? (panel.targets ?? []) : [];
        expect(typeof target?.expr === 'string' && target.expr.includes('tributary_'), `${panel.title} queries a tributary metric`).toBe(true);
      }
    }
  });

  it('should show ingest rate, consumer lag, job throughput, batch durations and store health', () => {
    const exprs = Object.values(dashboards).flatMap((d) => (d.panels ?? []).flatMap((p) => ('targets' in p ? (p.targets ?? []) : []).map((t) => String(t.expr))));
    for (const metric of ['tributary_ingest_records_total', 'tributary_stream_consumer_lag_records', 'tributary_stream_records_total', 'tributary_batch_run_duration_seconds', 'tributary_store_up']) {
      expect(exprs.some((e) => e.includes(metric)), metric).toBe(true);
    }
  });
});
