// Compile-time proof that the generated types take values the API may add later: enumerations
// are open strings, and an access channel of a new type is still an AccessChannel.
// tests/test_sdk.py compiles this with `tsc --strict` beside the generated schema.d.ts.
import type { components } from "./schema";

type Schemas = components["schemas"];

export const laterUnitType: Schemas["Unit"]["type"] = "drop_in_centre";
export const laterState: Schemas["UnitStatus"]["state"] = "by_appointment_only";
export const laterDeliveryMode: NonNullable<Schemas["StatusNotice"]["delivery_mode"]> = "hybrid";
export const laterContactBy: Schemas["ContactChannel"]["contact_by"] = "guardian";
export const laterChannel: Schemas["AccessChannel"] = {
  type: "chat",
  id: "pakila-chat",
  name: { fi: "Chat", sv: null, en: "Chat" },
  description: null,
  service_ids: [],
  unit_ids: ["pakila-work-centre"],
  source_urls: [],
  notes: null,
  created_at: "2021-03-01T00:00:00Z",
  modified_at: "2021-03-01T00:00:00Z",
};
