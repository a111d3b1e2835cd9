// What the viewer is told when playback cannot start, one screen per problem type.
import type { components } from "../generated/openapi";

export interface ProblemScreen {
  heading: string;
  message: string;
  action?: { label: string; href: string };
}

type ApiProblem = components["schemas"]["Problem"];

/** A problem+json body, or just the status when the answer had none. */
export type Problem = Partial<ApiProblem> & Pick<ApiProblem, "status">;

/** Every code the API declares; a screen for a code it never sends does not compile. */
export type ProblemCode = ApiProblem["code"];

/** The stable code at the end of a problem `type` ("/problems/too_many_streams"). */
export function problemCode(problem: Problem): ProblemCode | "unknown" {
  return ((problem.type ?? "").split("/").pop() || "unknown") as ProblemCode | "unknown";
}

export function problemScreen(problem: Problem): ProblemScreen {
  switch (problemCode(problem)) {
    case "not_available_in_region":
      return {
        heading: "Not available in your region",
        message: "This title is not licensed where you are watching from.",
        action: { label: "Back to browsing", href: "/" },
      };
    case "too_many_streams": {
      const limit = problem.max_streams ? ` Your plan allows ${problem.max_streams}.` : "";
      return {
        heading: "Too many streams",
        message: `Your account is already watching on other screens.${limit} Stop one and try again.`,
        action: { label: "See devices in use", href: "/account" },
      };
    }
    case "subscription_required":
      return {
        heading: "Upgrade your plan",
        message: "Your account has no active plan that includes this title.",
        action: { label: "Choose a plan", href: "/account" },
      };
    case "maturity_restricted":
      return {
        heading: "Not for this profile",
        message: "This title is rated above what this profile may watch.",
        action: { label: "Switch profile", href: "/profiles" },
      };
    case "not_playable":
      return {
        heading: "Not ready to play yet",
        message: "This title has no playable version yet. Try again later.",
        action: { label: "Back to browsing", href: "/" },
      };
    case "not_found":
      return {
        heading: "Title not found",
        message: "This title does not exist or is no longer available.",
        action: { label: "Back to browsing", href: "/" },
      };
    default:
      return {
        heading: "Playback failed",
        message: problem.detail || "Something went wrong while starting playback.",
        action: { label: "Back to browsing", href: "/" },
      };
  }
}
