// Shapes of the Marquee API's requests and answers, named for the client; each is the type
// generated from /openapi.json (src/generated/openapi.d.ts, `npm run gen:api`), never typed by hand.
import type { components } from "./generated/openapi";

type Schemas = components["schemas"];

export type Role = Schemas["Role"];
export type TitleKind = Schemas["TitleKind"];
export type UserRead = Schemas["UserRead"];
export type TokenPair = Schemas["TokenPair"];
export type AuthSession = Schemas["Session"];
export type ProfileRead = Schemas["ProfileRead"];
export type ProfileCreate = Schemas["ProfileCreate"];
export type ProfileWrite = Schemas["ProfileUpdate"];
export type ProfileToken = Schemas["ProfileToken"];

/** Every list answer: a page of `T` with the total and the cursor of the next page. */
export type Page<T> = Omit<Schemas["Page_TitleRead_"], "items"> & { items: T[] };

export type GenreRead = Schemas["GenreRead"];
export type GenreCount = Schemas["GenreCount"];
export type TitleRead = Schemas["TitleRead"];
export type CreditRead = Schemas["CreditRead"];
export type EpisodeRead = Schemas["EpisodeRead"];
export type SeasonRead = Schemas["SeasonRead"];
export type TitleDetail = Schemas["TitleDetail"];
export type HomeTitle = Schemas["HomeTitle"];
export type HomeRow = Schemas["HomeRow"];
export type Home = Schemas["Home"];
export type SearchHit = Schemas["SearchHitRead"];
export type FacetCount = Schemas["FacetCountRead"];
export type SearchPage = Schemas["SearchPage"];
export type Suggestion = Schemas["SuggestionRead"];
export type PlanRead = Schemas["PlanRead"];
export type SubscriptionRead = Schemas["SubscriptionRead"];
export type Entitlements = Schemas["EntitlementsRead"];
export type StreamRead = Schemas["StreamRead"];
export type Streams = Schemas["StreamList"];
export type WatchPosition = Schemas["PositionRead"];
export type MyListItem = Schemas["MyListItemRead"];
export type MyListStatus = Schemas["MyListStatus"];
export type Rating = Schemas["RatingRead"];
/** The body of every 4xx and 5xx answer (RFC 9457 problem+json). */
export type Problem = Schemas["Problem"];
