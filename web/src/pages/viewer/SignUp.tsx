// Create an account.
import type { PageProps } from "../../router";
import { AuthForm } from "./AuthForm";

export default function SignUp({ query }: PageProps) {
  return <AuthForm mode="signup" query={query} />;
}
