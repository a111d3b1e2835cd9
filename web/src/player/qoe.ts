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

  get rebuffers(): number {
    return this.rebufferCount;
  }

  /** The figures so far; `watched_ms` and stall time include the running interval. */
  report(): QoeReport {
    const now = this.now();
    const running = this.playingSince === null ? 0 : now - this.playingSince;
    const stalling = this.stallStartedAt === null ? 0 : now - this.stallStartedAt;
    return {
      rendition: this.rendition || "unknown",
      time_to_first_frame_ms:
        this.firstFrameAt === null ? null : Math.round(this.firstFrameAt - this.startedAt),
      rebuffer_count: this.rebufferCount,
      rebuffer_ms: Math.round(this.rebufferMs + stalling),
      watched_ms: Math.round(this.watched + running),
      rendition_switches: this.switches,
      errors: this.errorCount,
      bitrate_kbps: this.bitrateKbps === null ? null : Math.round(this.bitrateKbps),
    };
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
