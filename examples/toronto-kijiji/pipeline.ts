/**
 * Toronto open data: the CKAN package `apartment-building-evaluation` downloaded into the raw zone,
 * cleaned and typed into `processed/toronto_apartments` by the Toronto job (toronto-job.ts).
 *
 * The download runs when `TORONTO_CKAN_URL` names a CKAN portal (the City's is
 * https://ckan0.cf.opendata.inter.prod-toronto.ca); the clean job runs on its schedule over
 * whatever the raw zone holds, and `tributary batch run toronto-apartments --pipeline
 * examples/toronto-kijiji` runs it on demand.
 */
import { ckanSource, definePipeline, source } from 'tributary';
import { torontoApartmentsJob } from './toronto-job.ts';

const portal = process.env.TORONTO_CKAN_URL;

export default definePipeline({
  name: 'toronto-kijiji',
  description: 'Toronto apartment building evaluations: CKAN download → raw zone → cleaned, typed table',
  sources: portal
    ? [
        source({
          name: 'toronto-abe',
          component: ckanSource,
          config: { name: 'toronto-abe', baseUrl: portal, package: 'apartment-building-evaluation', formats: ['CSV'] },
          schedule: { cron: '0 6 * * *', timezone: 'America/Toronto' },
          writesTo: 'lake',
        }),
      ]
    : [],
  batchJobs: [{ job: torontoApartmentsJob(), schedule: { everyMs: 10 * 60_000 } }],
});
