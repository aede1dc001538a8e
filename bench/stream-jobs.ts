/**
 * The stateless benchmark job as a pipeline module, so that pipeline threads can load it
 * (pipeline-pool.ts): pin-shaped records → filter → map to a card.
 */
import { z } from 'zod';
import { Pipeline, defineStreamJobs, statelessJob } from '../src/index.ts';

export const INPUT = 'pins';

export const pinSchema = z.object({
  t: z.number().optional(),
  category: z.string(),
  index: z.number(),
  unique_id: z.string(),
  title: z.string(),
  follower_count: z.string(),
  is_image_or_video: z.string(),
  downloaded: z.number(),
});
export type Pin = z.infer<typeof pinSchema>;

/** "124k" → 124000; "User Info Error" → null. */
function followers(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text);
  return m ? Math.round(Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1)) : null;
}

/** parse → filter → map: 196 of the 200 pins pass the filter. `topic`: the input topic (default INPUT). */
export function cards(topic = INPUT) {
  return Pipeline.from(topic, pinSchema)
    .filter((p) => p.downloaded === 1, 'downloaded')
    .map((p) => ({ t: p.t, id: p.unique_id, category: p.category, title: p.title, followers: followers(p.follower_count), video: p.is_image_or_video !== 'image' }), 'card');
}

export default defineStreamJobs([statelessJob({ name: 'bench-stateless', pipeline: cards(), output: { topic: 'cards' } })]);
