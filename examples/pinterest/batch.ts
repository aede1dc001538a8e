/**
 * The batch half of the cleaning: the pins the archiver copied into the raw zone, cleaned by the
 * same `cleanPin` as the stream job, merged by `unique_id` into `processed/pinterest_pins`,
 * partitioned by the day the pin reached the log.
 */
import { defineBatchJob, type BatchRecord } from 'tributary';
import { cleanPin } from './clean-pin.ts';
import { PIN_RAW_DATASET } from './pins.ts';

function cleanRecord(record: BatchRecord): BatchRecord | null {
  let raw: unknown;
  try {
    raw = JSON.parse(String(record.value));
  } catch {
    return null;
  }
  const pin = cleanPin(raw);
  if (!pin || pin.unique_id === null) return null;
  return {
    unique_id: pin.unique_id,
    index: pin.index,
    category: pin.category,
    title: pin.title,
    description: pin.description,
    follower_count: pin.follower_count,
    tag_list: pin.tag_list === null ? null : JSON.stringify(pin.tag_list),
    file_type: pin.file_type,
    image_src: pin.image_src,
    downloaded: pin.downloaded,
    save_location: pin.save_location,
    event_time: pin.timestamp ?? String(record.timestamp),
    source: `${String(record.topic)}/${String(record.partition)}/${String(record.offset)}`,
  };
}

export const cleanBatchJob = defineBatchJob({
  name: 'pinterest-clean-batch',
  description: "the raw zone's pins, cleaned by the stream job's cleanPin, merged by unique_id",
  inputs: [{ kind: 'dataset', name: 'pins', zone: 'raw', dataset: PIN_RAW_DATASET }],
  transform: {
    // `_day` is for the partition (computed over this SQL, before the record function); the function's columns are the output.
    sql: 'SELECT topic, "partition", "offset", "timestamp"::VARCHAR AS "timestamp", "timestamp" AS _day, value FROM pins',
    records: {
      fn: cleanRecord,
      columns: [
        { name: 'unique_id', type: 'VARCHAR' },
        { name: 'index', type: 'INTEGER' },
        { name: 'category', type: 'VARCHAR' },
        { name: 'title', type: 'VARCHAR' },
        { name: 'description', type: 'VARCHAR' },
        { name: 'follower_count', type: 'BIGINT' },
        { name: 'tag_list', type: 'VARCHAR' },
        { name: 'file_type', type: 'VARCHAR' },
        { name: 'image_src', type: 'VARCHAR' },
        { name: 'downloaded', type: 'INTEGER' },
        { name: 'save_location', type: 'VARCHAR' },
        { name: 'event_time', type: 'VARCHAR' },
        { name: 'source', type: 'VARCHAR' },
      ],
    },
  },
  output: { zone: 'processed', dataset: 'pinterest_pins', mode: 'merge', key: ['unique_id'], partitionBy: { column: 'dt', expr: '_day' } },
});
