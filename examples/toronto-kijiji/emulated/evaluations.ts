/**
 * Emulated Apartment Building Evaluations: a CSV in the City of Toronto's pre-2023 layout (the 40
 * columns of `apartment-building-evaluation`'s first resource), generated from a seed so that the
 * example needs no downloaded data. Most rows are clean; a few carry what the real file carries and
 * the clean job must handle: a `** CREATED IN ERROR **` row, a row with no areas evaluated, a row
 * without an RSN (quarantined), `N/A` items.
 */
import { pre2023Items } from '../toronto-columns.ts';
import { between, pick, seeded } from './random.ts';

/** Wards as the City numbers and names them (a subset). */
export const WARDS: readonly (readonly [string, string])[] = [
  ['02', 'Etobicoke Centre'],
  ['04', 'Parkdale-High Park'],
  ['05', 'York South-Weston'],
  ['09', 'Davenport'],
  ['10', 'Spadina-Fort York'],
  ['11', 'University-Rosedale'],
  ['13', 'Toronto Centre'],
  ['14', 'Toronto-Danforth'],
  ['17', 'Don Valley North'],
  ['20', 'Scarborough Southwest'],
];

const HEADER = [
  '_id', 'RSN', 'YEAR_REGISTERED', 'YEAR_EVALUATED', 'YEAR_BUILT', 'PROPERTY_TYPE', 'WARD', 'WARDNAME', 'SITE_ADDRESS',
  'CONFIRMED_STOREYS', 'CONFIRMED_UNITS', 'EVALUATION_COMPLETED_ON', 'SCORE', 'RESULTS_OF_SCORE', 'NO_OF_AREAS_EVALUATED',
  ...pre2023Items.map((item) => item.toUpperCase()),
  'GRID', 'LATITUDE', 'LONGITUDE', 'X', 'Y',
];

const STREETS = ['KING ST W', 'BLOOR ST E', 'JANE ST', 'DON MILLS RD', 'KIPLING AVE', 'QUEEN ST E', 'FINCH AVE W', 'DANFORTH AVE'];

export interface EvaluationsOptions {
  /** Rows, the special ones included. Default 400. */
  rows?: number;
  seed?: number;
}

/** What the generated file holds, for checks: rows by what the clean job should do with them. */
export interface EvaluationsCsv {
  csv: string;
  rows: number;
  /** Rows the job should filter: created in error, no areas evaluated. */
  filtered: number;
  /** Rows the job should quarantine: no RSN. */
  quarantined: number;
}

export function generateEvaluations(options: EvaluationsOptions = {}): EvaluationsCsv {
  const random = seeded(options.seed ?? 416);
  const total = options.rows ?? 400;
  const lines = [HEADER.join(',')];
  for (let i = 1; i <= total; i++) {
    const [ward, wardName] = pick(random, WARDS);
    const evaluated = `${between(random, 2017, 2022)}-${String(between(random, 1, 12)).padStart(2, '0')}-${String(between(random, 1, 28)).padStart(2, '0')}`;
    const items = pre2023Items.map(() => (random() < 0.1 ? 'N/A' : String(between(random, 1, 5))));
    const scored = items.filter((v) => v !== 'N/A').map(Number);
    const score = Math.round((scored.reduce((n, v) => n + v, 0) / (scored.length * 5)) * 100);
    let address = `${between(random, 1, 2999)} ${pick(random, STREETS)}`;
    let areas = String(scored.length);
    let rsn = String(4_100_000 + i);
    if (i === 7) address = `** CREATED IN ERROR ** ${address}`;
    if (i === 11) areas = '0';
    if (i === 13) rsn = '';
    const latitude = (43.6 + random() * 0.2).toFixed(7);
    const longitude = (-79.6 + random() * 0.4).toFixed(7);
    lines.push(
      [
        i, rsn, between(random, 2017, 2019), '', between(random, 1920, 2015), pick(random, ['PRIVATE', 'TCHC', 'SOCIAL HOUSING']), ward, wardName, address,
        between(random, 3, 30), between(random, 10, 400), evaluated, score, `Evaluation needs to be conducted in ${between(random, 1, 3)} years`, areas,
        ...items, `${ward}${between(random, 10, 99)}`, latitude, longitude, (300_000 + random() * 20_000).toFixed(3), (4_830_000 + random() * 20_000).toFixed(3),
      ].join(','),
    );
  }
  return { csv: `${lines.join('\n')}\n`, rows: total, filtered: 2, quarantined: 1 };
}
