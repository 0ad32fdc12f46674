// A small typed client over the types `openapi-typescript` generates from openapi.yaml.
//
// `make sdk` writes the types to build/sdk/typescript/schema.d.ts beside a copy of this file;
// tests/test_sdk.py compiles it with `tsc --strict` and runs it against a live server:
//
//   node example.js http://127.0.0.1:8000 [service_id]
//
// It prints one JSON line: how many units it paged through, one unit, its status now, and the
// problem a missing unit answers with.
import type { components, operations } from "./schema";

type Unit = components["schemas"]["Unit"];
type UnitPage = components["schemas"]["UnitPage"];
type UnitStatus = components["schemas"]["UnitStatus"];
type AccessChannel = components["schemas"]["AccessChannel"];
type Problem = components["schemas"]["Problem"];
type ListUnitsQuery = NonNullable<operations["listUnits"]["parameters"]["query"]>;
type UnitId = operations["getUnit"]["parameters"]["path"]["unit_id"];

/** A problem+json answer, thrown as an error that keeps the typed body. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

export class SocialServicesClient {
  constructor(private readonly baseUrl: string) {}

  private async get<T>(pathOrUrl: string): Promise<T> {
    const url = new URL(pathOrUrl, this.baseUrl);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new ProblemError((await response.json()) as Problem);
    }
    return (await response.json()) as T;
  }

  /** Every unit matching `query`, following the `next` links page by page. */
  async *units(query: ListUnitsQuery = {}): AsyncGenerator<Unit> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, String(value));
    }
    let next: string | null = `/v1/units?${params}`;
    while (next !== null) {
      const page: UnitPage = await this.get<UnitPage>(next);
      yield* page.results;
      next = page.next;
    }
  }

  unit(unitId: UnitId): Promise<Unit> {
    return this.get<Unit>(`/v1/units/${encodeURIComponent(unitId)}`);
  }

  /** Is it open now (or at `at`), for whom, and why. */
  status(unitId: UnitId, at?: string): Promise<UnitStatus> {
    const query = at === undefined ? "" : `?${new URLSearchParams({ at })}`;
    return this.get<UnitStatus>(`/v1/units/${encodeURIComponent(unitId)}/status${query}`);
  }
}

/**
 * The channels whose type has its own schema. `AccessChannel` also holds `OtherChannel`, the
 * catch-all for types added later (its `type` is any string but these), which TypeScript cannot
 * tell apart by `type` alone: derived from the generated types, no list kept by hand.
 */
type KnownChannel = AccessChannel extends infer C
  ? C extends { type: infer K } ? (string extends K ? never : C) : never
  : never;

/** One line per way in; `type` narrows the union to each channel's own fields. */
export function describeChannel(channel: AccessChannel): string {
  // Sound: a known `type` is never an OtherChannel (the spec excludes the known types there).
  const known = channel as KnownChannel;
  switch (known.type) {
    case "phone":
    case "fax":
      return `${known.type}: ${known.number}`;
    case "web_page":
      return `web: ${known.url.fi ?? known.url.en ?? known.url.sv ?? ""}`;
    case "visiting_address":
    case "postal_address":
      return `${known.type}: ${known.address.street_address?.fi ?? ""}`;
    case "contact":
      return `contact by: ${known.contact_by}`;
    case "referral":
    case "distance_service":
      return `${known.type}: ${known.name?.fi ?? known.id}`;
    default:
      // Enumerations are extensible: a type this program does not know is still a channel.
      return `other: ${channel.type}: ${channel.name?.fi ?? channel.id}`;
  }
}

async function main(baseUrl: string, serviceId?: string): Promise<void> {
  const client = new SocialServicesClient(baseUrl);
  const ids: string[] = [];
  for await (const unit of client.units({ page_size: 2, service_id: serviceId })) {
    ids.push(unit.id);
  }
  const first = await client.unit(ids[0]);
  const status = await client.status(first.id);
  let problem: Problem | undefined;
  try {
    await client.unit("no-such-unit");
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    problem = error.problem;
  }
  const summary = {
    unit_ids: ids,
    unit: { id: first.id, name_fi: first.name.fi, channels: first.access_channels.map(describeChannel) },
    status: { state: status.state, open_to_public: status.open_to_public },
    problem: problem && { status: problem.status, title: problem.title, instance: problem.instance },
  };
  console.log(JSON.stringify(summary));
}

if (require.main === module) {
  const [baseUrl = "http://127.0.0.1:8000", serviceId] = process.argv.slice(2);
  main(baseUrl, serviceId).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
