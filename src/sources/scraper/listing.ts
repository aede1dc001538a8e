/** The record a scraped ad becomes, and its topic schema. */
import { z } from 'zod';

export const priceKinds = ['fixed', 'per-sqft', 'free', 'contact', 'swap-trade', 'unknown'] as const;

export const listingSchema = z.strictObject({
  id: z.string().regex(/^\d+$/),
  title: z.string().min(1),
  url: z.url().nullable(),
  description: z.string().nullable(),
  /** Integer cents; null when the ad shows no amount (contact, swap/trade, unreadable). */
  priceCents: z.number().int().min(0).nullable(),
  priceKind: z.enum(priceKinds),
  /** The price before a drop, when the site shows one. */
  originalPriceCents: z.number().int().min(0).nullable(),
  location: z.string().nullable(),
  address: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  bedrooms: z.number().nullable(),
  bathrooms: z.number().nullable(),
  unitType: z.string().nullable(),
  activatedAt: z.string().nullable(),
  sortedAt: z.string().nullable(),
  adSource: z.string().nullable(),
  /** Where the fields came from: the page's Apollo state (complete) or the card markup (fallback). */
  from: z.enum(['next-data', 'card']),
  pageUrl: z.url(),
  scrapedAt: z.iso.datetime(),
  change: z.enum(['new', 'updated']),
});

export type Listing = z.output<typeof listingSchema>;

/** A listing as parsed from a page, before dedup decides whether it is new or updated. */
export type ParsedListing = Omit<Listing, 'change' | 'scrapedAt'>;
