/**
 * The columns of the City of Toronto's Apartment Building Evaluation CSVs (CKAN package
 * `apartment-building-evaluation`), as they appear after header normalisation. Two layouts exist:
 * pre-2023 (`YEAR_BUILT`, 20 items scored 1–5) and 2023-current (`YEAR BUILT`, another column order,
 * 50 items scored 0–3). Columns of one layout only are optional; anything else is schema drift.
 */
import type { ExpectedColumn } from 'tributary';

const core: ExpectedColumn[] = [
  { name: 'id', type: 'BIGINT' },
  { name: 'rsn', type: 'INTEGER' },
  { name: 'year_registered', type: 'SMALLINT' },
  { name: 'year_built', type: 'SMALLINT' },
  { name: 'year_evaluated', type: 'SMALLINT' },
  { name: 'property_type', type: 'VARCHAR' },
  { name: 'ward', type: 'VARCHAR' },
  { name: 'wardname', type: 'VARCHAR' },
  { name: 'site_address', type: 'VARCHAR' },
  { name: 'confirmed_storeys', type: 'SMALLINT' },
  { name: 'confirmed_units', type: 'INTEGER' },
  { name: 'evaluation_completed_on', type: 'DATE' },
  // The 2023 layout renamed SCORE; 81.1 occurs, so not an integer.
  { name: 'score', type: 'DOUBLE', aliases: ['current_building_eval_score'] },
  { name: 'proactive_building_score', type: 'DOUBLE', required: false },
  { name: 'current_reactive_score', type: 'DOUBLE', required: false },
  { name: 'results_of_score', type: 'VARCHAR', required: false },
  { name: 'no_of_areas_evaluated', type: 'SMALLINT' },
  { name: 'grid', type: 'VARCHAR' },
  { name: 'latitude', type: 'DOUBLE' },
  { name: 'longitude', type: 'DOUBLE' },
  { name: 'x', type: 'DOUBLE' },
  { name: 'y', type: 'DOUBLE' },
];

/** Items of the pre-2023 layout, scored 1–5. */
export const pre2023Items = [
  'entrance_lobby', 'entrance_doors_windows', 'security', 'stairwells', 'laundry_rooms', 'internal_guards_handrails',
  'garbage_chute_rooms', 'garbage_bin_storage_area', 'elevators', 'storage_areas_lockers', 'interior_wall_ceiling_floor',
  'interior_lighting_levels', 'graffiti', 'exterior_cladding', 'exterior_grounds', 'exterior_walkways', 'balcony_guards',
  'water_pen_ext_bldg_elements', 'parking_area', 'other_facilities',
];

/** Items of the 2023-current layout, scored 0–3 (four names also occur in the pre-2023 layout). */
export const current2023Items = [
  'numbering_of_property', 'exterior_grounds', 'fencing', 'retaining_walls', 'catch_basins_storm_drainage', 'building_exterior',
  'balcony_guards', 'windows', 'ext_receptacle_storage_area', 'exterior_walkways', 'clothing_drop_boxes', 'accessory_buildings',
  'intercom', 'emergency_contact_sign', 'lobby_walls_and_ceiling', 'lobby_floors', 'laundry_room', 'int_receptacle_storage_area',
  'mail_receptacles', 'exterior_doors', 'storage_areas_lockers_maint', 'pools', 'other_amenities', 'parking_areas',
  'abandoned_equip_derelict_veh', 'garbage_compactor_room', 'elevator_maintenance', 'elevator_cosmetics', 'int_hallway_walls_ceiling',
  'interior_hallway_floors', 'int_lobby_hallway_lighting', 'common_area_ventilation', 'electrical_services_outlets',
  'chute_rooms_maintenance', 'stairwell_walls_and_ceiling', 'stairwell_landing_and_steps', 'stairwell_lighting',
  'int_handrail_guard_safety', 'int_handrail_guard_maint', 'graffiti', 'building_cleanliness', 'common_area_pests',
  'tenant_notification_board', 'pest_control_log', 'maintenance_log', 'cleaning_log', 'vital_service_plan',
  'electrical_safety_plan', 'state_of_good_repair_plan', 'tenant_service_request_log',
];

export const itemColumns = [...new Set([...pre2023Items, ...current2023Items])];

export const torontoColumns: readonly ExpectedColumn[] = [...core, ...itemColumns.map((name): ExpectedColumn => ({ name, type: 'TINYINT', required: false }))];
