// Quality-of-experience figures for one playback: time to first frame, stalls, switches, errors.

export interface QoeReport {
  rendition: string;
  time_to_first_frame_ms: number | null;
  rebuffer_count: number;
  rebuffer_ms: number;
  watched_ms: number;
  rendition_switches: number;
  errors: number;
  bitrate_kbps: number | null;
}

export class QoeTracker {
  private readonly startedAt: number;
  private firstFrameAt: number | null = null;
  private stallStartedAt: number | null = null;
  private playingSince: number | null = null;
  private watched = 0;
  private rebufferCount = 0;
  private rebufferMs = 0;
  private switches = 0;
  private errorCount = 0;
  private ttffSent = false;
  rendition = "";
  bitrateKbps: number | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.startedAt = now();
  }

  /** The first frame is on screen; stalls before it count toward start-up, not rebuffering. */
  firstFrame(): void {
    if (this.firstFrameAt === null) this.firstFrameAt = this.now();
  }

  playing(): void {
    this.endStall();
    if (this.playingSince === null) this.playingSince = this.now();
  }

  paused(): void {
    this.endStall();
    this.stopClock();
  }

  stalled(): void {
    this.stopClock();
    if (this.firstFrameAt !== null && this.stallStartedAt === null) {
      this.stallStartedAt = this.now();
      this.rebufferCount++;
    }
  }

  switched(rendition: string, bitrateKbps: number | null): void {
    if (this.rendition && rendition !== this.rendition) this.switches++;
    this.rendition = rendition;
    this.bitrateKbps = bitrateKbps;
  }

  error(): void {
    this.errorCount++;
  }

  /**
   * The figures since the last call, then start counting afresh: a long film sends several
   * small beacons instead of one too big to accept. Time to first frame goes in the first only.
   */
  take(): QoeReport {
    const now = this.now();
    if (this.playingSince !== null) {
      this.watched += now - this.playingSince;
      this.playingSince = now;
    }
    if (this.stallStartedAt !== null) {
      this.rebufferMs += now - this.stallStartedAt;
      this.stallStartedAt = now;
    }
    const report: QoeReport = {
      rendition: this.rendition || "unknown",
      time_to_first_frame_ms:
        this.firstFrameAt === null || this.ttffSent ? null : Math.round(this.firstFrameAt - this.startedAt),
      rebuffer_count: this.rebufferCount,
      rebuffer_ms: Math.round(this.rebufferMs),
      watched_ms: Math.round(this.watched),
      rendition_switches: this.switches,
      errors: this.errorCount,
      bitrate_kbps: this.bitrateKbps === null ? null : Math.round(this.bitrateKbps),
    };
    if (report.time_to_first_frame_ms !== null) this.ttffSent = true;
    this.watched = this.rebufferMs = 0;
    this.rebufferCount = this.switches = this.errorCount = 0;
    return report;
  }

  private endStall(): void {
    if (this.stallStartedAt !== null) {
      this.rebufferMs += this.now() - this.stallStartedAt;
      this.stallStartedAt = null;
    }
  }

  private stopClock(): void {
    if (this.playingSince !== null) {
      this.watched += this.now() - this.playingSince;
      this.playingSince = null;
    }
  }
}
