/** Benchmark records shaped like the real Pinterest posts in ../shared/data, about 200 bytes of JSON each. */
import { readFileSync } from 'node:fs';

export const sharedData = new URL('../../shared/data/', import.meta.url);

interface Pin {
  category: string;
  index: number;
  unique_id: string;
  title: string;
  follower_count: string;
  is_image_or_video: string;
  downloaded: number;
}

/** The 200 real pins, each trimmed to the fields a stream job uses, encoded once as key and value bytes. */
export function pinRecords(): { key: Buffer; value: Buffer }[] {
  const lines = readFileSync(new URL('pinterest/pinterest_data.jsonl', sharedData), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const pin = JSON.parse(line) as Pin;
    const value = {
      category: pin.category,
      index: pin.index,
      unique_id: pin.unique_id,
      title: pin.title.slice(0, 48),
      follower_count: pin.follower_count,
      is_image_or_video: pin.is_image_or_video,
      downloaded: pin.downloaded,
    };
    return { key: Buffer.from(pin.unique_id), value: Buffer.from(JSON.stringify(value)) };
  });
}

/** Tracks the largest resident set size seen while a case runs. */
export function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024);
    },
  };
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
