// /studio/jobs/<id>: one processing job, polled until it ends.
import type { PageProps } from "../../router";
import { JobProgress } from "./Jobs";
import { StudioPage } from "./StudioNav";

export default function JobDetailPage({ params }: PageProps) {
  return (
    <StudioPage heading="Job">
      <JobProgress jobId={params.id} />
    </StudioPage>
  );
}
